/**
 * Plan quotas (seed 004 QuotaEnforcement): documents and their storage (knowledge base and bot
 * training documents together) and bots. Checked when something new would be stored, against the
 * organization's plan as stored (not as a token says it), in one query; past a quota the request is
 * refused with 403 QUOTA_EXCEEDED naming the quota, its limit and what is used.
 */
import { AppError } from '@flowspark/core';
import type { Database } from '@flowspark/db';
import { sql } from 'drizzle-orm';
import { billingPlans, planOf } from './plans';

export type QuotaName = 'documents' | 'storage_bytes' | 'bots';

export const quotaExceeded = (quota: QuotaName, limit: number, used: number, plan: string) =>
  new AppError(
    'QUOTA_EXCEEDED',
    quota === 'storage_bytes'
      ? `The ${plan} plan stores at most ${limit.toLocaleString('en-US')} bytes of documents`
      : `The ${plan} plan allows at most ${limit.toLocaleString('en-US')} ${quota === 'bots' ? 'bot' : 'document'}${limit === 1 ? '' : 's'}`,
    { details: { quota, limit, used, plan } },
  );

/** Refuses a new document of `bytes` when the organization already has its plan's documents or storage. */
export const assertDocumentQuota = async (
  db: Database,
  orgId: string,
  bytes: number,
  plansVar?: string | null,
): Promise<void> => {
  const [row] = await db.all<{ plan: string | null; documents: number; stored: number }>(sql`
    SELECT (SELECT plan FROM organizations WHERE id = ${orgId}) AS plan, count(*) AS documents,
      coalesce(sum(size_bytes), 0) AS stored
    FROM kb_documents WHERE org_id = ${orgId}`);
  const plan = planOf(row?.plan);
  const limits = billingPlans(plansVar)[plan];
  const documents = row?.documents ?? 0;
  const stored = row?.stored ?? 0;
  if (documents + 1 > limits.max_documents) throw quotaExceeded('documents', limits.max_documents, documents, plan);
  if (stored + bytes > limits.storage_bytes) throw quotaExceeded('storage_bytes', limits.storage_bytes, stored, plan);
};

/** Refuses a new bot when the organization already has its plan's bots. */
export const assertBotQuota = async (db: Database, orgId: string, plansVar?: string | null): Promise<void> => {
  const [row] = await db.all<{ plan: string | null; bots: number }>(sql`
    SELECT (SELECT plan FROM organizations WHERE id = ${orgId}) AS plan, count(*) AS bots
    FROM bots WHERE org_id = ${orgId}`);
  const plan = planOf(row?.plan);
  const limit = billingPlans(plansVar)[plan].max_bots;
  if ((row?.bots ?? 0) + 1 > limit) throw quotaExceeded('bots', limit, row?.bots ?? 0, plan);
};
