import type { JobRow } from '@flowspark/jobs';
import type { Env } from '../env';
import { type BillableFeature, releaseTokens, settleTokens } from './wallet';

/** The billable feature of each job type that reserves tokens at its request. */
const JOB_FEATURES: Record<string, BillableFeature> = {
  'document.generate': 'document.generate',
  'presentation.generate': 'presentation.generate',
  'image.generate': 'image.generate',
};

const reservationOf = (job: JobRow): string | null => {
  const id = (job.input as { reservation_id?: unknown } | null)?.reservation_id;
  return typeof id === 'string' ? id : null;
};

/**
 * Ends the token reservation a job's request made: a job that is done is charged what its result
 * says it used (`tokens_used`, `model_used`; the wallet writes the debit and the usage event), one
 * that failed or was cancelled frees it. Settling twice charges once, so a redelivered end is safe.
 */
export const settleJobTokens = async (env: Env, job: JobRow): Promise<void> => {
  const reservationId = reservationOf(job);
  const feature = JOB_FEATURES[job.type];
  if (!reservationId || !feature) return;
  if (job.status === 'error' || job.status === 'cancelled') {
    await releaseTokens(env, job.orgId, reservationId);
    return;
  }
  if (job.status !== 'done') return;
  const result = (job.result ?? {}) as { tokens_used?: unknown; model_used?: unknown };
  const tokens = typeof result.tokens_used === 'number' && result.tokens_used > 0 ? result.tokens_used : 0;
  const started = job.startedAt ? Date.parse(job.startedAt) : Number.NaN;
  const ended = job.finishedAt ? Date.parse(job.finishedAt) : Number.NaN;
  await settleTokens(
    env,
    { orgId: job.orgId, feature, userId: job.createdBy, jobId: job.id, resourceId: job.resourceId },
    reservationId,
    // The job records its total only: it is counted as input and output together.
    { prompt_tokens: 0, completion_tokens: 0, total_tokens: tokens, estimated: false },
    typeof result.model_used === 'string' ? result.model_used : null,
    Number.isFinite(started) && Number.isFinite(ended) ? ended - started : null,
  );
};
