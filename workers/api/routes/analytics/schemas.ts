import { MAX_USAGE_RANGE_DAYS, USAGE_GROUPS } from '@flowspark/billing';
import { z } from '@hono/zod-openapi';
import { TimestampSchema } from '../../lib/schemas';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A time: an ISO 8601 instant, or a date (its start, UTC). */
const Instant = z
  .string()
  .max(40)
  .refine(
    (value) => /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(value) && Number.isFinite(Date.parse(value)),
    {
      message: 'Must be a date (2026-12-01) or an ISO 8601 time (2026-12-01T00:00:00Z)',
    },
  )
  .transform((value) => new Date(Date.parse(value)).toISOString());

export const UsageQuery = z
  .strictObject({
    from: Instant.optional().openapi({
      param: { name: 'from', in: 'query' },
      description: 'Start (included). Default: 30 days before `to`',
      example: '2026-12-01',
    }),
    to: Instant.optional().openapi({
      param: { name: 'to', in: 'query' },
      description: 'End (excluded). Default: now',
      example: '2027-01-01',
    }),
    group_by: z
      .enum(USAGE_GROUPS)
      .default('day')
      .openapi({ param: { name: 'group_by', in: 'query' }, description: '`day` (UTC), `feature` or `model`' }),
  })
  .transform((q, ctx) => {
    const to = q.to ?? new Date().toISOString();
    const from = q.from ?? new Date(Date.parse(to) - 30 * DAY_MS).toISOString();
    if (Date.parse(from) >= Date.parse(to)) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'Must be before `to`' });
      return z.NEVER;
    }
    if (Date.parse(to) - Date.parse(from) > MAX_USAGE_RANGE_DAYS * DAY_MS) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: `At most ${MAX_USAGE_RANGE_DAYS} days before \`to\`` });
      return z.NEVER;
    }
    return { from, to, group_by: q.group_by };
  });

const Totals = {
  events: z.number().int(),
  input_tokens: z.number().int(),
  output_tokens: z.number().int(),
  total_tokens: z.number().int(),
  charged_tokens: z.number().int().openapi({ description: 'Tokens taken from the wallet' }),
  avg_latency_ms: z.number().int().nullable(),
  cache_hits: z
    .number()
    .int()
    .openapi({ description: 'Calls answered from the semantic cache: no provider tokens', example: 12 }),
  cache_misses: z.number().int().openapi({
    description: 'Calls the semantic cache could not answer: the provider answered, then it was cached',
    example: 30,
  }),
  cache_bypasses: z.number().int().openapi({
    description: 'Calls that did not read the semantic cache (`Cache-Control: no-cache`, or the cache off)',
    example: 2,
  }),
};

export const UsageTotalsSchema = z.object(Totals).openapi('UsageTotals');

export const UsageBucketSchema = z
  .object({
    key: z
      .string()
      .nullable()
      .openapi({ description: 'The day (YYYY-MM-DD), the feature or the model', example: '2026-12-07' }),
    ...Totals,
  })
  .openapi('UsageBucket');

export const UsageReportSchema = z
  .object({
    from: TimestampSchema,
    to: TimestampSchema,
    group_by: z.enum(USAGE_GROUPS),
    buckets: z.array(UsageBucketSchema),
  })
  .openapi('UsageReport');

export const UsageSummarySchema = z
  .object({
    period_start: TimestampSchema,
    period_end: TimestampSchema,
    plan: z.enum(['free', 'pro', 'enterprise']),
    balance: z.number().int(),
    reserved: z.number().int(),
    allowance: z.number().int(),
    /** This period's usage. */
    period: UsageTotalsSchema,
    by_feature: z.array(UsageBucketSchema),
  })
  .openapi('UsageSummary');
