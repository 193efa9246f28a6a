import { createDb } from '@flowspark/db';
import type { KbKeywordIndex, KbPorts, KbSearchOptions } from '@flowspark/kb';
import type { Env } from '../env';
import { aiProvider } from './ai';
import { vectorIndex } from './vectors';

/** A scope's keyword index object (one per knowledge base and per bot, named by kbIndexName). */
export const keywordIndex =
  (env: Env): KbKeywordIndex =>
  (name) =>
    env.KEYWORD_INDEX.get(env.KEYWORD_INDEX.idFromName(name));

/** What knowledge-base ingestion, search and deletion need, from the Worker's bindings. */
export const kbPorts = (env: Env): KbPorts => ({
  db: createDb(env.DB),
  files: env.FILES,
  ai: aiProvider(env),
  vectors: vectorIndex(env),
  keywords: keywordIndex(env),
});

/**
 * Search options from the vars: KB_MIN_VECTOR_SCORE (0..1) replaces the embedding model's default
 * relevance floor of vector similarity.
 */
export const kbSearchOptions = (env: Env): KbSearchOptions => {
  const raw = (env as unknown as { KB_MIN_VECTOR_SCORE?: string }).KB_MIN_VECTOR_SCORE;
  const value = raw ? Number(raw) : Number.NaN;
  return Number.isFinite(value) && value >= 0 && value <= 1 ? { minVectorScore: value } : {};
};
