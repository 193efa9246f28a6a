/**
 * AI requests (seed 004 AIRequest): one row per AI call an execution step or an agent run makes,
 * with its model, tokens, time and the semantic cache's part. The prompt itself is not kept, only
 * its SHA-256, so a row never holds what a tenant asked.
 */
import { sha256Hex } from '@flowspark/auth';
import { newId } from '@flowspark/core';
import { type Database, schema } from '@flowspark/db';
import { and, asc, eq } from 'drizzle-orm';

const { aiRequests } = schema;

export type AiRequestRow = typeof aiRequests.$inferSelect;
export type AiCacheStatus = 'hit' | 'miss' | 'bypass';

export interface NewAiRequest {
  orgId: string;
  /** What the call was for: `llm` (a workflow step), `intent`, `kb_answer`, … */
  purpose: string;
  executionId?: string | null;
  stepId?: string | null;
  agentRunId?: string | null;
  model: string | null;
  provider: string | null;
  /** The prompt as sent (hashed here, never stored). */
  prompt: string;
  inputTokens: number;
  outputTokens: number;
  cacheStatus: AiCacheStatus | null;
  latencyMs: number | null;
}

/** The row of one AI request, to insert (alone or in the caller's batch). */
export const buildAiRequest = async (request: NewAiRequest): Promise<AiRequestRow> => ({
  id: newId('air'),
  orgId: request.orgId,
  executionId: request.executionId ?? null,
  stepId: request.stepId ?? null,
  agentRunId: request.agentRunId ?? null,
  purpose: request.purpose,
  model: request.model,
  provider: request.provider,
  promptHash: await sha256Hex(request.prompt),
  inputTokens: request.inputTokens,
  outputTokens: request.outputTokens,
  cacheStatus: request.cacheStatus,
  latencyMs: request.latencyMs,
  createdAt: new Date().toISOString(),
});

export const recordAiRequest = async (db: Database, request: NewAiRequest): Promise<AiRequestRow> => {
  const row = await buildAiRequest(request);
  await db.insert(aiRequests).values(row);
  return row;
};

/** An execution's or agent run's AI requests, oldest first (a query: await it, or put it in a batch). */
export const listAiRequests = (db: Database, orgId: string, of: { executionId: string } | { agentRunId: string }) =>
  db
    .select()
    .from(aiRequests)
    .where(
      and(
        eq(aiRequests.orgId, orgId),
        'executionId' in of ? eq(aiRequests.executionId, of.executionId) : eq(aiRequests.agentRunId, of.agentRunId),
      ),
    )
    .orderBy(asc(aiRequests.createdAt), asc(aiRequests.id))
    .limit(500);

/** As the API shows it. */
export const presentAiRequest = (row: AiRequestRow) => ({
  id: row.id,
  purpose: row.purpose,
  step_id: row.stepId,
  model: row.model,
  provider: row.provider,
  prompt_sha256: row.promptHash,
  input_tokens: row.inputTokens,
  output_tokens: row.outputTokens,
  cache: row.cacheStatus,
  latency_ms: row.latencyMs,
  created_at: row.createdAt,
});
