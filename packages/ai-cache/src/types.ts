import type { TokenUsage } from '@flowspark/ai';

/**
 * The RPC contract of the SemanticCache object (workers/objects/semantic-cache.ts): one object per
 * organization, named by its id, every call naming the organization too (an object refuses another
 * organization's calls). Prompts never reach the object, only their hashes and embeddings.
 */

/** A cached answer: what the provider said, and what that cost when it was asked. */
export interface CachedAnswer {
  text: string;
  model: string;
  provider: string;
  usage: TokenUsage;
}

export interface CacheLookup {
  scope: string;
  prompt_hash: string;
  /** The prompt's guard (guard.ts): similar entries must share it. */
  guard: string;
  /** The prompt's embedding (unit length), or null: exact match only. */
  vector: Float32Array | null;
  /** The model of `vector`: only entries embedded by the same model are compared. */
  embedding_model: string | null;
  threshold: number;
  /** The caller's clock (ms): entries that expired by then are not answers. */
  now: number;
}

export type CacheMatch = 'exact' | 'similar';

export type CacheLookupResult =
  | { status: 'hit'; match: CacheMatch; similarity: number; answer: CachedAnswer; cached_at: number }
  | { status: 'miss' };

export interface CacheStore {
  scope: string;
  prompt_hash: string;
  guard: string;
  vector: Float32Array | null;
  embedding_model: string | null;
  answer: CachedAnswer;
  now: number;
  ttl_ms: number;
  /** The organization's cap: past it, the least recently used entries are evicted. */
  max_entries: number;
}

export interface CacheStoreResult {
  stored: boolean;
  /** Entries removed to stay within the cap (expired ones not counted). */
  evicted: number;
}

export interface CacheObjectStats {
  entries: number;
  /** Lookups since the cache was started or last purged. */
  hits: number;
  exact_hits: number;
  similar_hits: number;
  misses: number;
  /** Provider tokens the hits did not spend (each hit: its answer's original usage). */
  tokens_saved: number;
  /** When counting started (ms), or null before the first lookup. */
  counting_since: number | null;
  /** Oldest and newest live entries (ms), null when empty. */
  oldest_entry_at: number | null;
  newest_entry_at: number | null;
}
