import { type AiProvider, type ChatRequest, type ChatResult, parseAiConfig, type TokenUsage } from '@flowspark/ai';
import {
  AI_CACHE_LIMITS,
  type AiCacheSettings,
  aiCacheSettings,
  type CachedAnswer,
  type CacheKey,
  type CacheLookupResult,
  type CacheMatch,
  type CacheObjectStats,
  type CacheStoreResult,
  cacheKeyOf,
  promptGuard,
  similarityThreshold,
  unitVector,
} from '@flowspark/ai-cache';
import { recordCacheHit } from '@flowspark/billing';
import { AppError, describeError, logger } from '@flowspark/core';
import type { Env } from '../env';
import { aiProvider } from './ai';
import { type BillableFeature, billedProvider } from './wallet';

/** The semantic cache's part in one call (usage events and AI requests record it). */
export type CacheStatus = 'hit' | 'miss' | 'bypass';

export interface CachedChatParams {
  orgId: string;
  feature: BillableFeature;
  /** Who asked (a user, an API key's creator); null when no one did (a cron run). */
  userId: string | null;
  /** The request that started this asked `Cache-Control: no-cache`: the cache is not read. */
  bypass: boolean;
  jobId?: string | null;
  /** What the call is for (an execution, an agent run): the usage event's resource. */
  resourceId?: string | null;
  /**
   * Where work that need not hold up the answer goes (a hit's usage event, storing a fresh answer),
   * e.g. `ctx.waitUntil`. Without it that work is awaited before the call returns.
   */
  defer?: (work: Promise<unknown>) => void;
  /** Filled with milliseconds per step (Server-Timing): cache-embed, cache-lookup, cache-store, wallet-*. */
  timings?: Record<string, number>;
}

export interface CachedChatResult extends ChatResult {
  cache: CacheStatus;
  /** Time of the call as the caller saw it: the cache lookup and, on a miss, the provider. */
  latency_ms: number;
  /** On a hit: the same prompt (`exact`) or one close enough in meaning (`similar`). */
  cache_match?: CacheMatch;
  /** On a hit: the cosine similarity of the prompt and the cached one (1 for an exact hit). */
  similarity?: number;
}

/**
 * The request asked for a fresh answer: `Cache-Control: no-cache`, `no-store` or `max-age=0` (what a
 * browser's reload sends), or the older `Pragma: no-cache`. What routes pass as `bypass`.
 */
export const cacheBypassRequested = (headers: Headers): boolean => {
  const directives = (headers.get('cache-control') ?? '')
    .toLowerCase()
    .split(',')
    .map((d) => d.replace(/\s+/g, ''));
  if (directives.some((d) => d === 'no-cache' || d === 'no-store' || d === 'max-age=0')) return true;
  return /(^|,)\s*no-cache\s*(,|$)/i.test(headers.get('pragma') ?? '');
};

/** The organization's cache object: named by its id, so one tenant's entries never answer another. */
export const semanticCache = (env: Pick<Env, 'SEMANTIC_CACHE'>, orgId: string) =>
  env.SEMANTIC_CACHE.get(env.SEMANTIC_CACHE.idFromName(orgId));

/** A prompt as the cache compares it: its keys, its guard and its embedding (null: exact match only). */
export interface CachePrompt {
  key: CacheKey;
  guard: string;
  vector: Float32Array | null;
  embeddingModel: string | null;
}

const NO_USAGE: TokenUsage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, estimated: false };

const timed = async <T>(timings: Record<string, number> | undefined, name: string, step: () => Promise<T>) => {
  const started = performance.now();
  try {
    return await step();
  } finally {
    if (timings) timings[name] = (timings[name] ?? 0) + performance.now() - started;
  }
};

/**
 * The scope and exact key of a request (the model resolved as the provider would: `req.model`, or the
 * configured default chat model), and the embedding of its prompt when it is short enough to be
 * compared by meaning. An embedding that fails leaves the exact key to work alone.
 */
export const prepareCachePrompt = async (
  env: Env,
  provider: AiProvider,
  req: ChatRequest,
  timings?: Record<string, number>,
): Promise<CachePrompt> => {
  const model = req.model ?? parseAiConfig(env).models.chat;
  const key = await cacheKeyOf(req, { provider: provider.name, model });
  const guard = await promptGuard(key.prompt);
  if (!key.prompt || key.prompt.length > AI_CACHE_LIMITS.similarPromptChars) {
    return { key, guard, vector: null, embeddingModel: null };
  }
  try {
    const embedded = await timed(timings, 'cache-embed', () => provider.embed([key.prompt]));
    const vector = unitVector(embedded.vectors[0] ?? []);
    return { key, guard, vector, embeddingModel: vector ? embedded.model : null };
  } catch (err) {
    logger.warn('semantic cache: prompt not embedded, exact match only', describeError(err));
    return { key, guard, vector: null, embeddingModel: null };
  }
};

/** What identifies a prompt to the cache object, for a lookup and a store alike. */
const promptFields = (prompt: CachePrompt) => ({
  scope: prompt.key.scope,
  prompt_hash: prompt.key.promptHash,
  guard: prompt.guard,
  vector: prompt.vector,
  embedding_model: prompt.embeddingModel,
});

/** One lookup in the organization's cache (throws when the object cannot be reached). */
export const lookupCachedAnswer = (
  env: Pick<Env, 'SEMANTIC_CACHE'>,
  orgId: string,
  prompt: CachePrompt,
  settings: Pick<AiCacheSettings, 'similarity'>,
  now = Date.now(),
): Promise<CacheLookupResult> =>
  semanticCache(env, orgId).lookup(orgId, {
    ...promptFields(prompt),
    threshold: similarityThreshold(settings, prompt.embeddingModel),
    now,
  });

/** Keeps an answer under the prompt's key (throws when the object cannot be reached). */
export const storeCachedAnswer = (
  env: Pick<Env, 'SEMANTIC_CACHE'>,
  orgId: string,
  prompt: CachePrompt,
  answer: CachedAnswer,
  settings: Pick<AiCacheSettings, 'ttlSeconds' | 'maxEntries'>,
  now = Date.now(),
): Promise<CacheStoreResult> =>
  semanticCache(env, orgId).store(orgId, {
    ...promptFields(prompt),
    answer,
    now,
    ttl_ms: settings.ttlSeconds * 1000,
    max_entries: settings.maxEntries,
  });

/** An answer worth keeping: some text (an empty answer is more likely a glitch than the answer). */
const cacheable = (result: ChatResult) => result.text.trim().length > 0;

/** Deferred when the caller gave somewhere to defer to, awaited otherwise. `work` never rejects. */
const afterwards = async (params: CachedChatParams, work: Promise<unknown>) => {
  if (params.defer) params.defer(work);
  else await work;
};

const logged = (what: string, params: CachedChatParams) => (err: unknown) =>
  logger.warn(what, { org_id: params.orgId, feature: params.feature, ...describeError(err) });

/**
 * One chat call through the organization's semantic cache: an answer cached for the same model,
 * system prompt and settings is returned without asking the provider (no tokens); otherwise the
 * provider answers, paid from the wallet, and the answer is cached.
 *
 * - hit: the prompt's exact key, or a similar prompt of the same scope (same guard, cosine at or above
 *   the threshold of the embedding model); no reservation, a usage event of 0 tokens (`hit`).
 * - miss: the provider answers through the wallet (usage event `miss`) and the answer is stored.
 * - bypass (`params.bypass`, or AI_CACHE=off): the cache is not read; the provider answers (usage
 *   event `bypass`) and, unless the cache is off, its answer replaces the cached one.
 * The cache never fails a call: when its object cannot be reached the provider answers (a miss).
 */
export const cachedChat = async (env: Env, params: CachedChatParams, req: ChatRequest): Promise<CachedChatResult> => {
  const started = Date.now();
  const settings = aiCacheSettings(env);
  const base = aiProvider(env);
  const ask = (cacheStatus: CacheStatus) =>
    billedProvider(
      env,
      base,
      {
        orgId: params.orgId,
        feature: params.feature,
        userId: params.userId,
        jobId: params.jobId ?? null,
        resourceId: params.resourceId ?? null,
        cacheStatus,
      },
      params.timings,
    ).chat(req);
  const answered = (result: ChatResult, cache: CacheStatus): CachedChatResult => ({
    ...result,
    cache,
    latency_ms: Date.now() - started,
  });
  const prepare = () => prepareCachePrompt(env, base, req, params.timings);
  const keep = (prompt: CachePrompt, result: ChatResult) =>
    afterwards(
      params,
      timed(params.timings, 'cache-store', () =>
        storeCachedAnswer(
          env,
          params.orgId,
          prompt,
          { text: result.text, model: result.model, provider: result.provider, usage: result.usage },
          settings,
        ),
      ).catch(logged('semantic cache: answer not stored', params)),
    );

  if (!settings.enabled) return answered(await ask('bypass'), 'bypass');

  if (params.bypass) {
    // Not read, but refreshed: the key and embedding are made while the provider answers.
    const preparing = prepare().catch((err) => {
      logged('semantic cache: prompt not prepared', params)(err);
      return null;
    });
    const result = answered(await ask('bypass'), 'bypass');
    const prompt = await preparing;
    if (prompt && cacheable(result)) await keep(prompt, result);
    return result;
  }

  let prompt: CachePrompt | null = null;
  let lookup: CacheLookupResult = { status: 'miss' };
  try {
    prompt = await prepare();
    const prepared = prompt;
    lookup = await timed(params.timings, 'cache-lookup', () =>
      lookupCachedAnswer(env, params.orgId, prepared, settings),
    );
  } catch (err) {
    // The cache is an optimisation: without it the provider answers, and nothing is stored.
    logged('semantic cache unavailable; the provider answers', params)(err);
    prompt = null;
  }

  if (lookup.status === 'hit') {
    const latency = Date.now() - started;
    const { answer } = lookup;
    await afterwards(
      params,
      recordCacheHit(env.DB, params.orgId, {
        feature: params.feature,
        model: answer.model,
        latency_ms: latency,
        user_id: params.userId,
        job_id: params.jobId ?? null,
        resource_id: params.resourceId ?? null,
      }).catch(logged('semantic cache: usage event of a hit not written', params)),
    );
    return {
      text: answer.text,
      model: answer.model,
      provider: answer.provider,
      usage: NO_USAGE,
      cache: 'hit',
      cache_match: lookup.match,
      similarity: lookup.similarity,
      latency_ms: latency,
    };
  }

  const result = answered(await ask('miss'), 'miss');
  if (prompt && cacheable(result)) await keep(prompt, result);
  return result;
};

/** The object could not be reached: 503, so the caller knows to try again. */
const unavailable = (orgId: string) => (err: unknown) => {
  logger.warn('semantic cache unavailable', { org_id: orgId, ...describeError(err) });
  throw new AppError('SERVICE_UNAVAILABLE', 'The semantic cache is unavailable; try again', {
    details: { reason: 'AI_CACHE_UNAVAILABLE' },
    cause: err,
  });
};

/** Deletes every cached answer of the organization: how many there were. */
export const purgeAiCache = async (env: Pick<Env, 'SEMANTIC_CACHE'>, orgId: string): Promise<number> =>
  (await semanticCache(env, orgId).purge(orgId).catch(unavailable(orgId))).deleted;

export interface AiCacheOverview extends CacheObjectStats {
  enabled: boolean;
  /** The configured embedding model, whose threshold is in effect (null: the configuration is invalid). */
  embedding_model: string | null;
  similarity_threshold: number;
  ttl_seconds: number;
  max_entries: number;
}

/** The organization's cache as it is now, with the settings in effect. */
export const aiCacheOverview = async (env: Env, orgId: string): Promise<AiCacheOverview> => {
  const settings = aiCacheSettings(env);
  let embeddingModel: string | null = null;
  try {
    embeddingModel = parseAiConfig(env).models.embedding;
  } catch {
    // An invalid AI configuration fails every call with its own error; the overview still answers.
  }
  const stats = await semanticCache(env, orgId).stats(orgId).catch(unavailable(orgId));
  return {
    ...stats,
    enabled: settings.enabled,
    embedding_model: embeddingModel,
    similarity_threshold: similarityThreshold(settings, embeddingModel),
    ttl_seconds: settings.ttlSeconds,
    max_entries: settings.maxEntries,
  };
};
