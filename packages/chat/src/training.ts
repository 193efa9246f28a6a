/**
 * Bot training: a bot's documents go through the knowledge-base pipeline (packages/kb: R2, the
 * `kb.ingest` job, chunks, embeddings) in a scope of their own, `{ orgId, botId }`. Each bot has its
 * own keyword index object and vector namespace, so a bot's retrieval reads its own documents only:
 * never the tenant's knowledge base, never another bot's.
 */
import type { Database } from '@flowspark/db';
import {
  type KbPorts,
  type KbRetrievalPorts,
  type KbScope,
  type KbSearchOptions,
  listKbDocuments,
  removeKbDocument,
  searchKb,
} from '@flowspark/kb';
import type { ChatActor } from './access';
import { assertMayChange, type BotRecord, requireBot } from './bots';
import type { BotPassage, BotRetrieval } from './retrieval';

/** The scope of a bot's training documents. */
export const botScope = (bot: Pick<BotRecord, 'orgId' | 'id'>): KbScope => ({ orgId: bot.orgId, botId: bot.id });

/**
 * The bot, for a change to its documents: the tenant's own (404 otherwise), and for a public bot only
 * owners and admins (what its visitors are told changes with its documents).
 */
export const requireTrainableBot = async (db: Database, actor: ChatActor, id: string): Promise<BotRecord> => {
  const bot = await requireBot(db, actor.orgId, id);
  assertMayChange(actor, bot, 'train');
  return bot;
};

/** Documents removed per round when a bot is deleted. */
const PURGE_PAGE = 50;

/**
 * Removes every training document of the bot: vectors, keyword-index rows, files, chunks and rows.
 * Idempotent; a failure part-way leaves the rest for the next call. `stopJob` cancels a document's
 * indexing job that is still live (the job then finds its document gone and keeps nothing).
 */
export const purgeBotDocuments = async (
  ports: KbPorts,
  bot: Pick<BotRecord, 'orgId' | 'id'>,
  stopJob: (jobId: string) => Promise<void>,
): Promise<number> => {
  const scope = botScope(bot);
  const removed = new Set<string>();
  while (true) {
    const { items } = await listKbDocuments(ports.db, scope, { page: 1, page_size: PURGE_PAGE });
    if (items.length === 0) return removed.size;
    for (const document of items) {
      // A row listed again after its removal would loop forever: stop instead.
      if (removed.has(document.id)) throw new Error('A bot document was not removed');
      if (document.jobId && (document.status === 'uploading' || document.status === 'processing')) {
        await stopJob(document.jobId);
      }
      await removeKbDocument(ports, document);
      removed.add(document.id);
    }
  }
};

/**
 * Retrieval for rag bots on the knowledge-base search (hybrid: keyword and vector, fused), in the
 * bot's own indexes. Only passages that look relevant are given to the model (a shared meaningful
 * word, or vector similarity above the embedding model's floor); none means the bot has nothing.
 */
export const trainedBots = (ports: KbRetrievalPorts, options: Omit<KbSearchOptions, 'timings'> = {}): BotRetrieval => ({
  retrieve: async ({ orgId, botId, query, topK }): Promise<BotPassage[]> => {
    const result = await searchKb(ports, { orgId, botId }, { query, top_k: topK, mode: 'hybrid' }, options);
    return result.hits
      .filter((hit) => hit.relevant)
      .map((hit) => ({
        document_id: hit.document_id,
        chunk_id: hit.chunk_id,
        title: hit.title,
        page_number: hit.page_number,
        text: hit.text,
        snippet: hit.snippet,
        score: hit.score,
      }));
  },
});
