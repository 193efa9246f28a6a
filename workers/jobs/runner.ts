import { describeError, logger, newId } from '@flowspark/core';
import { createDb, type Database } from '@flowspark/db';
import {
  backoffSeconds,
  claimJob,
  completeJob,
  DEFAULT_LEASE_SECONDS,
  describeJobFailure,
  failJob,
  getJob,
  isCancelRequested,
  isRetryableJobFailure,
  isTerminal,
  type JobRow,
  markJobCancelled,
  requeueJob,
  setProgress,
} from '@flowspark/jobs';
import type { Env } from '../env';
import { announceJobEnd } from '../lib/job-end';
import { publishJobEvent } from '../lib/job-events';
import { loadJobHandler } from './registry';
import type { JobContext, JobHandler } from './types';

/** What to do with the queue message once the runner is done with it. */
export type Outcome = { action: 'ack' } | { action: 'retry'; delaySeconds: number };

const ACK: Outcome = { action: 'ack' };

/** Thrown into a handler (through progress / throwIfCancelled) to stop it. */
class JobCancelled extends Error {
  override name = 'JobCancelled';
}
/** The job is no longer this delivery's: its lease expired and recovery or another delivery took it. */
class LeaseLost extends Error {
  override name = 'LeaseLost';
}

/** A duplicate delivery comes back once the live one's lease would have expired. */
const leaseWait = (job: JobRow): number => {
  const left = job.leaseUntil ? Math.ceil((Date.parse(job.leaseUntil) - Date.now()) / 1000) : 0;
  return Math.min(DEFAULT_LEASE_SECONDS, Math.max(5, left + 1));
};

const contextFor = (env: Env, db: Database, job: JobRow, input: unknown, requestId: string): JobContext<unknown> => {
  const fence = { attempt: job.attempts };
  const isCancelled = () => isCancelRequested(db, job.id);
  return {
    env,
    job,
    orgId: job.orgId,
    requestId,
    input,
    isCancelled,
    throwIfCancelled: async () => {
      if (await isCancelled()) throw new JobCancelled('The job was cancelled');
    },
    progress: async (percent, message) => {
      const row = await setProgress(db, job.id, percent, fence);
      if (!row) throw new LeaseLost('The job is no longer held by this delivery');
      await publishJobEvent(env, job.orgId, row, 'job.progress', message);
      if (row.cancelRequested) throw new JobCancelled('The job was cancelled');
    },
  };
};

/** Ends the job as `error` (fenced to this attempt) and announces it. */
const fail = async (env: Env, db: Database, job: JobRow, code: string, message: string, requestId: string) => {
  const row = await failJob(db, job.id, code, message, { attempt: job.attempts });
  if (row) await announceJobEnd(env, row, requestId);
  logger.warn('job failed', { request_id: requestId, job_id: job.id, type: job.type, error_code: code });
  return ACK;
};

const cancel = async (env: Env, db: Database, job: JobRow, requestId: string) => {
  const row = await markJobCancelled(db, job.id, { attempt: job.attempts });
  if (row) await announceJobEnd(env, row, requestId);
  return ACK;
};

/**
 * Runs one delivery of a job. Idempotent under at-least-once delivery: a terminal job is acknowledged
 * without running, and the atomic claim lets only one delivery run it at a time.
 */
export const runJob = async (env: Env, message: { job_id: string; org_id: string }): Promise<Outcome> => {
  const requestId = newId('req');
  const db = createDb(env.DB);
  const found = await getJob(db, message.org_id, message.job_id);
  if (!found) {
    logger.warn('queue message for an unknown job dropped', { request_id: requestId, job_id: message.job_id });
    return ACK;
  }
  if (isTerminal(found.status)) return ACK;
  const job = await claimJob(db, found.id);
  if (!job) {
    const current = await getJob(db, message.org_id, message.job_id);
    return !current || isTerminal(current.status) ? ACK : { action: 'retry', delaySeconds: leaseWait(current) };
  }
  await publishJobEvent(env, job.orgId, job, 'job.status');
  if (job.cancelRequested) return cancel(env, db, job, requestId);
  if (job.attempts > job.maxAttempts) {
    return fail(env, db, job, 'RETRIES_EXHAUSTED', `The job was attempted ${job.maxAttempts} times`, requestId);
  }

  let handler: JobHandler | null;
  try {
    handler = await loadJobHandler(job.type);
  } catch (err) {
    logger.error('job handler failed to load', { request_id: requestId, type: job.type, ...describeError(err) });
    return fail(env, db, job, 'INTERNAL_ERROR', 'The job failed because of an internal error', requestId);
  }
  if (!handler) return fail(env, db, job, 'UNKNOWN_JOB_TYPE', `No handler for job type "${job.type}"`, requestId);

  let input: unknown = job.input;
  if (handler.input) {
    const parsed = handler.input.safeParse(job.input ?? {});
    if (!parsed.success) {
      const where = parsed.error.issues.map((issue) => issue.path.join('.') || '(input)').join(', ');
      return fail(env, db, job, 'INVALID_JOB_INPUT', `The job input is invalid: ${where}`, requestId);
    }
    input = parsed.data;
  }

  try {
    const result = await handler.run(contextFor(env, db, job, input, requestId));
    const done = await completeJob(db, job.id, result ?? {}, { attempt: job.attempts });
    if (done) {
      await announceJobEnd(env, done, requestId);
      return ACK;
    }
    // Not completed: a cancellation arrived while it ran (cancel wins), or the lease was lost.
    return cancel(env, db, job, requestId);
  } catch (err) {
    if (err instanceof LeaseLost) return ACK;
    if (err instanceof JobCancelled || (await isCancelRequested(db, job.id))) return cancel(env, db, job, requestId);
    const { code, message: text } = describeJobFailure(err);
    logger.warn('job attempt failed', {
      request_id: requestId,
      job_id: job.id,
      type: job.type,
      attempt: job.attempts,
      error_code: code,
      ...describeError(err),
    });
    if (!isRetryableJobFailure(err)) return fail(env, db, job, code, text, requestId);
    if (job.attempts >= job.maxAttempts) {
      return fail(env, db, job, 'RETRIES_EXHAUSTED', `Gave up after ${job.attempts} attempts: ${text}`, requestId);
    }
    const queued = await requeueJob(db, job.id, code, text, { attempt: job.attempts });
    if (!queued) return ACK;
    await publishJobEvent(env, job.orgId, queued, 'job.status', `Retrying after: ${text}`);
    return { action: 'retry', delaySeconds: backoffSeconds(job.attempts) };
  }
};
