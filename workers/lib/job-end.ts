import { describeError, logger } from '@flowspark/core';
import type { JobRow } from '@flowspark/jobs';
import type { Env } from '../env';
import { settleJobTokens } from './job-billing';
import { publishJobEvent } from './job-events';
import { emitJobEnd } from './tenant-events';

/** What a failure effect gets: the job as it ended (status `error` or `cancelled`). */
export interface JobEndContext {
  env: Env;
  job: JobRow;
  orgId: string;
  requestId: string;
}

/**
 * What a job that ended without success leaves on the resource it was producing (e.g. the document
 * marked failed, its partial output removed). Must be idempotent.
 */
export type FailureEffect = (ctx: JobEndContext) => Promise<void>;
export type FailureEffectLoader = () => Promise<FailureEffect>;

const effects = () => import('./failure-effects');

/**
 * Job types and their failure effects: functions of the packages, loaded on first use so the Worker
 * starts without them (workers/lib/failure-effects.ts). The job handlers' `onFailed` hooks call the
 * same functions.
 */
const FAILURE_EFFECTS: Record<string, FailureEffectLoader> = {
  'image.generate': () => effects().then((m) => m.imageGenerationFailed),
  'document.generate': () => effects().then((m) => m.generationFailed),
  'presentation.generate': () => effects().then((m) => m.generationFailed),
  'kb.ingest': () => effects().then((m) => m.kbIngestionFailed),
  'summary.generate': () => effects().then((m) => m.summaryFailed),
  'integration.sync': () => effects().then((m) => m.integrationSyncFailed),
};

/** Adds or replaces the failure effect of a job type (job types registered at run time). */
export const registerFailureEffect = (type: string, loader: FailureEffectLoader): void => {
  FAILURE_EFFECTS[type] = loader;
};

/**
 * After a job reached its final status: the `job.status` event, its token reservation settled (done)
 * or freed (failed, cancelled), and for a job that did not succeed,
 * its type's failure effect so the resource it was producing is marked too. Errors of the effect are
 * logged, never thrown: the job's own end is already recorded.
 */
export const announceJobEnd = async (env: Env, job: JobRow, requestId: string): Promise<void> => {
  await publishJobEvent(env, job.orgId, job, 'job.status');
  try {
    await settleJobTokens(env, job);
  } catch (err) {
    // The reservation expires by itself; the usage of a done job is then not charged.
    logger.error('job tokens not settled', { request_id: requestId, job_id: job.id, ...describeError(err) });
  }
  // Webhooks and notifications (logged, never thrown).
  await emitJobEnd(env, job);
  if (job.status !== 'error' && job.status !== 'cancelled') return;
  if (!Object.hasOwn(FAILURE_EFFECTS, job.type)) return;
  try {
    const effect = await FAILURE_EFFECTS[job.type]!();
    await effect({ env, job, orgId: job.orgId, requestId });
  } catch (err) {
    logger.error('job failure hook failed', { request_id: requestId, job_id: job.id, ...describeError(err) });
  }
};
