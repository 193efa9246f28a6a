/**
 * The wallet's D1 side: the ledger (token_ledger) and the usage events (usage_events), written by the
 * organization's TokenWallet object from its outbox, and read by the API. Writes are idempotent (rows
 * keep the ids the object gave them), so an outbox flushed twice writes each row once.
 */
import { newId, type PageRequest } from '@flowspark/core';
import { type Database, paginate, schema } from '@flowspark/db';
import { desc, eq } from 'drizzle-orm';
import type { LedgerEntry, SettledUsage, UsageRecord } from './wallet';

const { tokenLedger } = schema;

export type LedgerRow = typeof tokenLedger.$inferSelect;

/** Statements that write these rows (INSERT OR IGNORE: a row already written stays as it is). */
export const outboxStatements = (
  d1: D1Database,
  ledger: LedgerEntry[],
  usage: UsageRecord[],
): D1PreparedStatement[] => {
  const statements: D1PreparedStatement[] = [];
  if (ledger.length > 0) {
    statements.push(
      d1
        .prepare(
          `INSERT OR IGNORE INTO token_ledger (id, org_id, seq, kind, amount, balance_after, feature, reference, note, created_at)
           SELECT json_extract(value, '$.id'), json_extract(value, '$.org_id'), json_extract(value, '$.seq'),
             json_extract(value, '$.kind'), json_extract(value, '$.amount'), json_extract(value, '$.balance_after'),
             json_extract(value, '$.feature'), json_extract(value, '$.reference'), json_extract(value, '$.note'),
             json_extract(value, '$.created_at')
           FROM json_each(?1)`,
        )
        .bind(JSON.stringify(ledger)),
    );
  }
  if (usage.length > 0) {
    statements.push(
      d1
        .prepare(
          `INSERT OR IGNORE INTO usage_events (id, org_id, user_id, feature, model, input_tokens, output_tokens,
             total_tokens, charged_tokens, estimated, latency_ms, job_id, resource_id, cache_status, created_at)
           SELECT json_extract(value, '$.id'), json_extract(value, '$.org_id'), json_extract(value, '$.user_id'),
             json_extract(value, '$.feature'), json_extract(value, '$.model'), json_extract(value, '$.input_tokens'),
             json_extract(value, '$.output_tokens'), json_extract(value, '$.total_tokens'),
             json_extract(value, '$.charged_tokens'), json_extract(value, '$.estimated'),
             json_extract(value, '$.latency_ms'), json_extract(value, '$.job_id'), json_extract(value, '$.resource_id'),
             json_extract(value, '$.cache_status'), json_extract(value, '$.created_at')
           FROM json_each(?1)`,
        )
        .bind(JSON.stringify(usage.map((u) => ({ ...u, estimated: u.estimated ? 1 : 0 })))),
    );
  }
  return statements;
};

/** What a call answered from the semantic cache records: who, for what, which cached model, how long. */
export type CacheHitUsage = Pick<
  SettledUsage,
  'feature' | 'model' | 'latency_ms' | 'user_id' | 'job_id' | 'resource_id'
>;

/**
 * The usage event of an answer from the semantic cache: no tokens used or charged (no reservation,
 * no ledger entry), `cache_status: 'hit'`. Written straight to D1, since the wallet is not involved.
 */
export const cacheHitRecord = (orgId: string, hit: CacheHitUsage, now = Date.now()): UsageRecord => ({
  ...hit,
  id: newId('use'),
  org_id: orgId,
  input_tokens: 0,
  output_tokens: 0,
  total_tokens: 0,
  charged_tokens: 0,
  estimated: false,
  cache_status: 'hit',
  created_at: new Date(now).toISOString(),
});

export const recordCacheHit = async (d1: D1Database, orgId: string, hit: CacheHitUsage): Promise<UsageRecord> => {
  const record = cacheHitRecord(orgId, hit);
  await d1.batch(outboxStatements(d1, [], [record]));
  return record;
};

/** The organization's ledger, newest first (one page and its total, in one batch). */
export const listLedger = (db: Database, orgId: string, page: PageRequest) =>
  paginate(
    db,
    db.select().from(tokenLedger).where(eq(tokenLedger.orgId, orgId)).orderBy(desc(tokenLedger.seq)),
    { table: tokenLedger, where: eq(tokenLedger.orgId, orgId) },
    page,
  );

/** The organization's plan as stored (the object reads it once, when it first starts). */
export const storedPlan = async (d1: D1Database, orgId: string): Promise<string | null> =>
  (await d1.prepare('SELECT plan FROM organizations WHERE id = ?1').bind(orgId).first<{ plan: string }>())?.plan ??
  null;
