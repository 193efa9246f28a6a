import { describeError, logger } from '@flowspark/core';
import type { JobRow } from '@flowspark/jobs';
import type { Env } from '../env';
import { publishJobEvent } from '../lib/job-events';
import { loadJobHandler } from './registry';

/**
 * After a job reached its final status: the `job.status` event, and for a job that did not succeed,
 * its handler's `onFailed` hook so the resource it was producing is marked too.
 */
export const announceJobEnd = async (env: Env, job: JobRow, requestId: string): Promise<void> => {
  await publishJobEvent(env, job.orgId, job, 'job.status');
  if (job.status !== 'error' && job.status !== 'cancelled') return;
  try {
    const handler = await loadJobHandler(job.type);
    await handler?.onFailed?.({ env, job, orgId: job.orgId, requestId });
  } catch (err) {
    logger.error('job failure hook failed', { request_id: requestId, job_id: job.id, ...describeError(err) });
  }
};
