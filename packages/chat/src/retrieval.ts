/**
 * The retrieval port of `rag` bots: the passages of a bot's own documents that are most relevant to
 * a message. Bot training (documents through the knowledge-base pipeline, scoped to the bot) is what
 * implements it; until a bot has trained documents, `untrainedBots` is the port and a rag bot has no
 * context: it says so without asking the model (see reply.ts).
 */

export interface BotPassage {
  document_id: string;
  chunk_id: string;
  title: string;
  /** The passage's text, as given to the model. */
  text: string;
  /** A short excerpt for the citation. */
  snippet: string;
  score: number;
}

export interface BotRetrievalRequest {
  orgId: string;
  botId: string;
  query: string;
  topK: number;
}

export interface BotRetrieval {
  /**
   * At most `topK` passages of this bot's documents only (never the tenant's knowledge base or another
   * bot's), best first, relevant ones only: an empty list means the documents hold nothing for it.
   */
  retrieve(request: BotRetrievalRequest): Promise<BotPassage[]>;
}

/** No bot has documents yet: every retrieval finds nothing. */
export const untrainedBots: BotRetrieval = {
  retrieve: async () => [],
};
