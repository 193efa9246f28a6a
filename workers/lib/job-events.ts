import { describeError, logger } from '@flowspark/core';
import { type JobEvent, type JobEventType, type JobRow, jobEvent, type RunEventInput } from '@flowspark/jobs';
import type { Env } from '../env';

/**
 * Publishes a job change to the tenant's job feed (every WebSocket of that tenant receives it). Used
 * by the queue consumer and by route handlers (e.g. cancelling a queued job). A feed failure is
 * logged, never thrown: the job's state in D1 is the truth, and clients can always read it over REST.
 */
export const publishJobEvent = async (
  env: Pick<Env, 'JOB_FEED'>,
  orgId: string,
  job: JobRow,
  type: JobEventType,
  message?: string,
): Promise<JobEvent | null> => {
  try {
    const feed = env.JOB_FEED.get(env.JOB_FEED.idFromName(orgId));
    return await feed.publish(jobEvent(job, type, message));
  } catch (err) {
    logger.warn('job event not published', { org_id: orgId, job_id: job.id, type, ...describeError(err) });
    return null;
  }
};

/** Publishes a workflow execution's or agent run's change to the tenant's feed; failures are logged, never thrown. */
export const publishRunEvent = async (
  env: Pick<Env, 'JOB_FEED'>,
  orgId: string,
  event: Omit<RunEventInput, 'at'>,
): Promise<JobEvent | null> => {
  try {
    const feed = env.JOB_FEED.get(env.JOB_FEED.idFromName(orgId));
    return await feed.publish({ ...event, at: new Date().toISOString() });
  } catch (err) {
    logger.warn('run event not published', {
      org_id: orgId,
      run_id: event.run_id,
      type: event.type,
      ...describeError(err),
    });
    return null;
  }
};
