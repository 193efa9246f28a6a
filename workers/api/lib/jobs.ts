import { describeError, isAppError, logger } from '@flowspark/core';
import { cancelJob, enqueueJob, type JobRow } from '@flowspark/jobs';
import { announceJobEnd } from '../../lib/job-end';
import { publishJobEvent } from '../../lib/job-events';
import type { RequestContext, RouteContext } from './context';

export interface Cancellation {
  job: JobRow;
  outcome: 'cancelled' | 'cancel_requested';
}

/**
 * Announces a cancellation: a job cancelled at once has ended (its `job.status` event and its failure
 * effect); a running one was asked to stop, with `message` on its event.
 */
export const announceCancellation = async (ctx: RequestContext, { job, outcome }: Cancellation, message: string) => {
  if (outcome === 'cancelled') await announceJobEnd(ctx.env, job, ctx.requestId);
  else await publishJobEvent(ctx.env, job.orgId, job, 'job.status', message);
};

/** Stops a resource's job if it has not ended; a job that ended (409) or is gone (404) meanwhile needs nothing. */
export const stopJob = async (ctx: RouteContext, jobId: string, message: string) => {
  try {
    await announceCancellation(ctx, await cancelJob(ctx.db, ctx.actor.orgId, jobId), message);
  } catch (err) {
    if (!isAppError(err) || (err.code !== 'CONFLICT' && err.code !== 'NOT_FOUND')) throw err;
  }
};

/**
 * Sends the job's message. If that fails the job stays queued and the scheduled recovery sends it
 * again, so the request still succeeded: the failure is logged as `what` and not thrown.
 */
export const enqueueOrRecover = async (ctx: RequestContext, job: JobRow, what: string) => {
  try {
    await enqueueJob(ctx.env.JOBS, job);
  } catch (err) {
    logger.warn(what, { request_id: ctx.requestId, job_id: job.id, ...describeError(err) });
  }
};
