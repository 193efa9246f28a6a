// First, before any package builds a zod schema: route contracts call `.openapi()` on package
// schemas, which only works for schemas created after @hono/zod-openapi extended zod. An isolate's
// first event may be a queue message or the cron, so their entry points load it too.
import '@hono/zod-openapi';
import { describeError, logger, newId } from '@flowspark/core';
import { createDb } from '@flowspark/db';
import {
  enqueueJob,
  failJob,
  findStuckJobs,
  isPastQueuedDeadline,
  type JobMessage,
  markJobCancelled,
  requeueJob,
  touchQueuedJob,
} from '@flowspark/jobs';
import type { Env } from '../env';
import { announceJobEnd } from '../lib/job-end';
import { publishJobEvent } from '../lib/job-events';

export interface RecoverySummary {
  requeued: number;
  failed: number;
  cancelled: number;
  reenqueued: number;
}

/**
 * Jobs nothing will finish (see findStuckJobs), a bounded batch per run. A `running` job past its
 * lease is retried if it has attempts left (requeued and sent again), else it ends DEADLINE_EXCEEDED.
 * A `queued` job whose message was lost is sent again; one queued for a day is given up. Every write
 * is conditional on the state that was read, so a delivery that claims the job meanwhile wins.
 */
export const recoverStuckJobs = async (env: Env, now = new Date()): Promise<RecoverySummary> => {
  const db = createDb(env.DB);
  const requestId = newId('req');
  const summary: RecoverySummary = { requeued: 0, failed: 0, cancelled: 0, reenqueued: 0 };
  const messages: JobMessage[] = [];
  const { expired, lost } = await findStuckJobs(db, now);

  for (const job of expired) {
    const fence = { attempt: job.attempts };
    if (job.cancelRequested) {
      const row = await markJobCancelled(db, job.id, fence);
      if (row) {
        summary.cancelled += 1;
        await announceJobEnd(env, row, requestId);
      }
    } else if (job.attempts < job.maxAttempts) {
      const message = 'The worker running this job stopped responding; it will be retried';
      const row = await requeueJob(db, job.id, 'LEASE_EXPIRED', message, fence);
      if (row) {
        summary.requeued += 1;
        messages.push({ job_id: row.id, org_id: row.orgId });
        await publishJobEvent(env, row.orgId, row, 'job.status', message);
      }
    } else {
      const row = await failJob(db, job.id, 'DEADLINE_EXCEEDED', 'The job did not finish in time', fence);
      if (row) {
        summary.failed += 1;
        await announceJobEnd(env, row, requestId);
      }
    }
  }

  for (const job of lost) {
    if (isPastQueuedDeadline(job, now)) {
      const row = await failJob(db, job.id, 'DEADLINE_EXCEEDED', 'The job waited too long to start', {
        attempt: job.attempts,
      });
      if (row) {
        summary.failed += 1;
        await announceJobEnd(env, row, requestId);
      }
    } else if (await touchQueuedJob(db, job, now)) {
      summary.reenqueued += 1;
      messages.push({ job_id: job.id, org_id: job.orgId });
    }
  }

  if (messages.length > 0) await env.JOBS.sendBatch(messages.map((body) => ({ body })));
  if (expired.length + lost.length > 0) logger.info('stuck jobs recovered', { request_id: requestId, ...summary });
  return summary;
};

/** After a key rotation (ENCRYPTION_KEY_PREVIOUS set): integration tokens re-encrypted under the new key. */
export const rotateSecrets = async (env: Env) => {
  if (!env.ENCRYPTION_KEY_PREVIOUS) return;
  const { rotateIntegrationTokens } = await import('@flowspark/integrations');
  const outcome = await rotateIntegrationTokens(createDb(env.DB), {
    current: env.ENCRYPTION_KEY,
    previous: env.ENCRYPTION_KEY_PREVIOUS,
  });
  if (outcome.reencrypted + outcome.unreadable > 0) logger.info('integration tokens rotated', { ...outcome });
};

/**
 * Integrations whose last sync ended INTEGRATION_SYNC_MINUTES ago (default 60; 0 turns this off) get a
 * sync of their own, a bounded batch per run. One that has a live sync (or got one meanwhile) is left.
 */
export const syncIntegrations = async (env: Env, now = new Date()): Promise<number> => {
  const minutes = env.INTEGRATION_SYNC_MINUTES === undefined ? 60 : Number(env.INTEGRATION_SYNC_MINUTES);
  if (!Number.isFinite(minutes) || minutes <= 0) return 0;
  const { dueIntegrations, startSync } = await import('@flowspark/integrations');
  const db = createDb(env.DB);
  let started = 0;
  for (const due of await dueIntegrations(db, now, minutes)) {
    try {
      const { job } = await startSync(db, { orgId: due.orgId, userId: due.createdBy as string }, due.id, 'cron');
      // A message that is not sent is sent again by stuck-job recovery: the job row is what counts.
      await enqueueJob(env.JOBS, job).catch(() => undefined);
      started += 1;
    } catch (err) {
      logger.warn('integration sync not started', { integration_id: due.id, ...describeError(err) });
    }
  }
  return started;
};

/** The cron trigger (wrangler.toml `[triggers]`): every run recovers stuck jobs and runs due workflows. */
export const handleScheduled = async (_controller: ScheduledController, env: Env): Promise<void> => {
  const now = new Date();
  const { runScheduledWorkflows } = await import('./workflow-schedules');
  await Promise.all([
    recoverStuckJobs(env, now),
    runScheduledWorkflows(env, now),
    rotateSecrets(env),
    syncIntegrations(env, now),
  ]);
};
