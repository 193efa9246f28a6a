/**
 * The cache's settings, from the Worker's vars. Invalid values fall back to the defaults: a typo in
 * a cache setting must never stop AI calls (the cache is an optimisation, the provider the truth).
 */

export interface AiCacheVars {
  /** `off` disables the cache: every call asks the provider, nothing is read or stored. */
  AI_CACHE?: string;
  /** Least cosine similarity (0..1) for a similar prompt to be a hit; default per embedding model. */
  AI_CACHE_SIMILARITY?: string;
  /** How long an answer is kept, in seconds (default 7 days). */
  AI_CACHE_TTL_SECONDS?: string;
  /** Most entries one organization keeps; past it the least recently used go (default 5,000). */
  AI_CACHE_MAX_ENTRIES?: string;
}

export const AI_CACHE_DEFAULTS = {
  ttlSeconds: 7 * 24 * 60 * 60,
  maxEntries: 5_000,
} as const;

export const AI_CACHE_LIMITS = {
  maxTtlSeconds: 365 * 24 * 60 * 60,
  /** Each entry keeps its embedding in memory (3 KB at 768 dimensions): 20,000 stay near 60 MB. */
  maxEntries: 20_000,
  /**
   * Prompts longer than this are matched exactly only. A long prompt is mostly a template around
   * data (a ticket, a document): two of them embed alike while their data, and so their answers,
   * differ.
   */
  similarPromptChars: 1_000,
  /** Answers larger than this are not kept (a Durable Object row holds at most 2 MB). */
  answerChars: 256 * 1024,
} as const;

/**
 * Similarity thresholds per embedding model, chosen on bench/ai-cache/paraphrases.json so that no
 * near miss ("opening hours on Sunday" against a cached "on Saturday") and no unrelated question
 * hits. The lexical hash vectors score a one-word change in a prompt of n content words about
 * (n−1)/n, so 0.95 keeps prompts of up to 20 such words apart (the bench's closest near miss past
 * the guard scores 0.89 hashed, 0.93 bridged; an added "not" scores 1 and only the guard stops it);
 * their hits are rewordings with the same content words. The sentence encoder scores near misses
 * up to 0.985 ("this month" against "next month"), hence 0.99.
 */
export const SIMILARITY_THRESHOLDS: Readonly<Record<string, number>> = {
  'local-hash-384': 0.95,
  'local-bridged-384': 0.95,
  'local-use-lite-512': 0.99,
};
/** Models not measured on the bench (Workers AI's bge, OpenAI's): near-duplicates only. */
export const DEFAULT_SIMILARITY_THRESHOLD = 0.97;

export interface AiCacheSettings {
  enabled: boolean;
  ttlSeconds: number;
  maxEntries: number;
  /** AI_CACHE_SIMILARITY when it is a number in 0..1; null: the embedding model's default. */
  similarity: number | null;
}

const integerIn = (raw: string | undefined, min: number, max: number): number | null => {
  const text = raw?.trim() ?? '';
  if (!/^\d+$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : null;
};

const OFF = new Set(['off', 'false', '0', 'disabled']);

export const aiCacheSettings = (vars: AiCacheVars): AiCacheSettings => {
  const similarity = vars.AI_CACHE_SIMILARITY?.trim() ? Number(vars.AI_CACHE_SIMILARITY) : Number.NaN;
  return {
    enabled: !OFF.has(vars.AI_CACHE?.trim().toLowerCase() ?? ''),
    ttlSeconds: integerIn(vars.AI_CACHE_TTL_SECONDS, 1, AI_CACHE_LIMITS.maxTtlSeconds) ?? AI_CACHE_DEFAULTS.ttlSeconds,
    maxEntries: integerIn(vars.AI_CACHE_MAX_ENTRIES, 1, AI_CACHE_LIMITS.maxEntries) ?? AI_CACHE_DEFAULTS.maxEntries,
    similarity: Number.isFinite(similarity) && similarity >= 0 && similarity <= 1 ? similarity : null,
  };
};

/** The threshold in effect for vectors of `embeddingModel`. */
export const similarityThreshold = (settings: Pick<AiCacheSettings, 'similarity'>, embeddingModel: string | null) =>
  settings.similarity ??
  (embeddingModel ? SIMILARITY_THRESHOLDS[embeddingModel] : undefined) ??
  DEFAULT_SIMILARITY_THRESHOLD;
