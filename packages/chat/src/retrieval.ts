/**
 * The retrieval port of `rag` bots: the passages of a bot's own documents that are most relevant to
 * a message. `trainedBots` (training.ts) implements it on the knowledge-base search, in the bot's own
 * indexes. A rag bot whose documents hold nothing for a message says so without asking the model
 * (see reply.ts).
 */

export interface BotPassage {
  document_id: string;
  chunk_id: string;
  title: string;
  page_number: number | null;
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

/** Retrieval that finds nothing: for tests and callers with no documents to search. */
export const noRetrieval: BotRetrieval = {
  retrieve: async () => [],
};
