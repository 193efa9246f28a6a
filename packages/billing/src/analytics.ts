/**
 * Usage analytics over the usage events (seed 004 BillingUsage): totals per day, feature or model in
 * a time range, always of one organization (the `usage_events_org_created` index serves each query).
 */
import type { Database } from '@flowspark/db';
import { sql } from 'drizzle-orm';

export const USAGE_GROUPS = ['day', 'feature', 'model'] as const;
export type UsageGroup = (typeof USAGE_GROUPS)[number];

/** The longest range one query covers. */
export const MAX_USAGE_RANGE_DAYS = 366;

export interface UsageTotals {
  events: number;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  charged_tokens: number;
  /** Mean latency of the events that recorded one; null when none did. */
  avg_latency_ms: number | null;
  /** Calls answered from the semantic cache (no provider tokens). */
  cache_hits: number;
  /** Calls the cache could not answer: the provider answered, and the answer was cached. */
  cache_misses: number;
  /** Calls that did not read the cache (Cache-Control: no-cache, or the cache off). */
  cache_bypasses: number;
}

export interface UsageBucket extends UsageTotals {
  /** The day (YYYY-MM-DD, UTC), the feature, or the model (`null`: answered without a model). */
  key: string | null;
}

const GROUP_KEYS: Record<UsageGroup, ReturnType<typeof sql>> = {
  day: sql`substr(created_at, 1, 10)`,
  feature: sql`feature`,
  model: sql`model`,
};

type TotalsRow = Omit<UsageTotals, 'avg_latency_ms'> & { avg_latency_ms: number | null };

const totalsOf = (row: TotalsRow): UsageTotals => ({
  events: row.events,
  input_tokens: row.input_tokens ?? 0,
  output_tokens: row.output_tokens ?? 0,
  total_tokens: row.total_tokens ?? 0,
  charged_tokens: row.charged_tokens ?? 0,
  avg_latency_ms: row.avg_latency_ms === null ? null : Math.round(row.avg_latency_ms),
  cache_hits: row.cache_hits ?? 0,
  cache_misses: row.cache_misses ?? 0,
  cache_bypasses: row.cache_bypasses ?? 0,
});

const TOTALS = sql`count(*) AS events, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
  sum(total_tokens) AS total_tokens, sum(charged_tokens) AS charged_tokens, avg(latency_ms) AS avg_latency_ms,
  count(CASE WHEN cache_status = 'hit' THEN 1 END) AS cache_hits,
  count(CASE WHEN cache_status = 'miss' THEN 1 END) AS cache_misses,
  count(CASE WHEN cache_status = 'bypass' THEN 1 END) AS cache_bypasses`;

/** Usage in [from, to), grouped; days in order, features and models by tokens used (most first). */
export const usageBuckets = async (
  db: Database,
  orgId: string,
  range: { from: string; to: string },
  group: UsageGroup,
): Promise<UsageBucket[]> => {
  const key = GROUP_KEYS[group];
  const order = group === 'day' ? sql`key` : sql`total_tokens DESC, key`;
  const rows = await db.all<TotalsRow & { key: string | null }>(sql`
    SELECT ${key} AS key, ${TOTALS} FROM usage_events
    WHERE org_id = ${orgId} AND created_at >= ${range.from} AND created_at < ${range.to}
    GROUP BY key ORDER BY ${order}`);
  return rows.map((row) => ({ key: row.key, ...totalsOf(row) }));
};

/** Usage in [from, to): the totals, and per feature (two queries, side by side). */
export const usageSummary = async (
  db: Database,
  orgId: string,
  range: { from: string; to: string },
): Promise<{ totals: UsageTotals; by_feature: UsageBucket[] }> => {
  const where = sql`org_id = ${orgId} AND created_at >= ${range.from} AND created_at < ${range.to}`;
  const [totals, features] = await Promise.all([
    db.all<TotalsRow>(sql`SELECT ${TOTALS} FROM usage_events WHERE ${where}`),
    db.all<TotalsRow & { key: string }>(
      sql`SELECT feature AS key, ${TOTALS} FROM usage_events WHERE ${where} GROUP BY feature ORDER BY total_tokens DESC, key`,
    ),
  ]);
  return {
    totals: totalsOf(totals[0] ?? ({ events: 0, avg_latency_ms: null } as TotalsRow)),
    by_feature: features.map((row) => ({ key: row.key, ...totalsOf(row) })),
  };
};
