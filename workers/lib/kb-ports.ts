import { createDb } from '@flowspark/db';
import type { KbKeywordIndex, KbPorts } from '@flowspark/kb';
import type { Env } from '../env';
import { aiProvider } from './ai';
import { vectorIndex } from './vectors';

/** The tenant's keyword index object (one per organization, named by its id). */
export const keywordIndex =
  (env: Env): KbKeywordIndex =>
  (orgId) =>
    env.KEYWORD_INDEX.get(env.KEYWORD_INDEX.idFromName(orgId));

/** What knowledge-base ingestion, search and deletion need, from the Worker's bindings. */
export const kbPorts = (env: Env): KbPorts => ({
  db: createDb(env.DB),
  files: env.FILES,
  ai: aiProvider(env),
  vectors: vectorIndex(env),
  keywords: keywordIndex(env),
});
