import { z } from '@hono/zod-openapi';
import { type AiCacheOverview, aiCacheOverview, purgeAiCache } from '../../../lib/ai-cache';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import { createGroup, type GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse, TimestampSchema } from '../../lib/schemas';

const TAGS = ['AI cache'];

const AiCacheSchema = z
  .object({
    enabled: z.boolean().openapi({ description: '`false` when the deployment turned the cache off (`AI_CACHE=off`)' }),
    entries: z.number().int().openapi({ description: 'Answers cached now (expired ones not counted)', example: 412 }),
    max_entries: z
      .number()
      .int()
      .openapi({ description: 'Most answers kept; past it the least recently used go', example: 5000 }),
    hits: z.number().int().openapi({ description: 'Calls answered from the cache', example: 168 }),
    exact_hits: z.number().int().openapi({ description: 'Hits on the same prompt', example: 121 }),
    similar_hits: z
      .number()
      .int()
      .openapi({ description: 'Hits on a prompt similar in meaning (same scope)', example: 47 }),
    misses: z.number().int().openapi({ description: 'Lookups that found no answer', example: 530 }),
    hit_rate: z
      .number()
      .nullable()
      .openapi({ description: 'hits / (hits + misses); null before the first lookup', example: 0.241 }),
    tokens_saved: z.number().int().openapi({
      description: 'Provider tokens the hits did not spend (what each answer cost when asked)',
      example: 90210,
    }),
    counting_since: TimestampSchema.nullable().openapi({
      description: 'Start of these counts: the first lookup since the cache was created or last purged',
    }),
    oldest_entry_at: TimestampSchema.nullable().openapi({ description: 'When the oldest cached answer was made' }),
    newest_entry_at: TimestampSchema.nullable().openapi({ description: 'When the newest cached answer was made' }),
    similarity_threshold: z.number().openapi({
      description:
        'Least cosine similarity for a similar prompt to be a hit, for the configured embedding model ' +
        '(`AI_CACHE_SIMILARITY` overrides it)',
      example: 0.95,
    }),
    embedding_model: z
      .string()
      .nullable()
      .openapi({ description: 'The embedding model prompts are compared with', example: 'local-hash-384' }),
    ttl_seconds: z.number().int().openapi({ description: 'How long an answer is kept', example: 604800 }),
  })
  .openapi('AiCache');

const AiCachePurgedSchema = z
  .object({ deleted: z.number().int().openapi({ description: 'Cached answers deleted', example: 412 }) })
  .openapi('AiCachePurged');

const at = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const present = (cache: AiCacheOverview) => ({
  enabled: cache.enabled,
  entries: cache.entries,
  max_entries: cache.max_entries,
  hits: cache.hits,
  exact_hits: cache.exact_hits,
  similar_hits: cache.similar_hits,
  misses: cache.misses,
  hit_rate:
    cache.hits + cache.misses === 0 ? null : Math.round((cache.hits / (cache.hits + cache.misses)) * 1000) / 1000,
  tokens_saved: cache.tokens_saved,
  counting_since: at(cache.counting_since),
  oldest_entry_at: at(cache.oldest_entry_at),
  newest_entry_at: at(cache.newest_entry_at),
  similarity_threshold: cache.similarity_threshold,
  embedding_model: cache.embedding_model,
  ttl_seconds: cache.ttl_seconds,
});

const getRoute = defineRoute(
  { scope: 'analytics:read' },
  {
    method: 'get',
    path: '/ai/cache',
    operationId: 'getAiCache',
    tags: TAGS,
    summary: "The organization's semantic cache of AI answers",
    description:
      'AI answers are cached per organization: a later call with the same model, system prompt and settings whose ' +
      'prompt is the same, or close enough in meaning, is answered from the cache without asking the provider ' +
      '(no tokens). This shows the entries, the hits and misses since the cache was last purged, and the ' +
      'threshold and lifetime in effect. Owners and admins only.',
    responses: { 200: jsonResponse(AiCacheSchema, 'The cache'), ...errorResponses([503]) },
  },
);

const purgeRoute = defineRoute(
  { scope: 'ai_cache:write' },
  {
    method: 'delete',
    path: '/ai/cache',
    operationId: 'purgeAiCache',
    tags: TAGS,
    summary: 'Delete every cached AI answer of the organization',
    description:
      'The next calls ask the provider again (and cache the new answers). Counts start again too. A single call ' +
      'can skip the cache with `Cache-Control: no-cache`. Owners and admins only.',
    responses: { 200: jsonResponse(AiCachePurgedSchema, 'How many answers were deleted'), ...errorResponses([503]) },
  },
);

const register = (app: GroupApp) => {
  app.openapi(getRoute, async (c) => {
    const { env, actor } = routeContext(c);
    return ok(c, present(await aiCacheOverview(env, actor.orgId)), 200);
  });
  app.openapi(purgeRoute, async (c) => {
    const { env, actor } = routeContext(c);
    return ok(c, { deleted: await purgeAiCache(env, actor.orgId) }, 200);
  });
};

/** The semantic cache of AI answers: `/ai/cache` (owners and admins). */
const app = createGroup();
register(app);

export default app;
