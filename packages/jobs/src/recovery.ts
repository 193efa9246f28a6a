/**
 * Finding jobs that nothing will finish: `running` past their lease (the delivery died: isolate
 * evicted, deploy, crash) and `queued` for a long time without a change (the message was lost, or
 * never sent because enqueueing failed after the row was written).
 */
import { type Database, schema } from '@flowspark/db';
import { and, asc, eq, isNull, lt, or } from 'drizzle-orm';
import type { JobRow } from './present';

const { jobs } = schema;

/** A queued job untouched for this long has lost its message (retries wait at most 5 minutes). */
export const LOST_QUEUED_AFTER_SECONDS = 15 * 60;
/** A queued job older than this is given up rather than re-enqueued forever. */
export const QUEUED_DEADLINE_SECONDS = 24 * 3600;
export const RECOVERY_BATCH = 50;

const ago = (now: Date, seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();

export interface StuckJobs {
  /** `running` with an expired lease. */
  expired: JobRow[];
  /** `queued` and unchanged for LOST_QUEUED_AFTER_SECONDS. */
  lost: JobRow[];
}

/** At most `limit` of each kind, oldest first (bounded work per scheduled run). */
export const findStuckJobs = async (db: Database, now = new Date(), limit = RECOVERY_BATCH): Promise<StuckJobs> => {
  const at = now.toISOString();
  const [expired, lost] = await db.batch([
    db
      .select()
      .from(jobs)
      .where(and(eq(jobs.status, 'running'), or(isNull(jobs.leaseUntil), lt(jobs.leaseUntil, at))))
      .orderBy(asc(jobs.leaseUntil))
      .limit(limit),
    db
      .select()
      .from(jobs)
      .where(and(eq(jobs.status, 'queued'), lt(jobs.updatedAt, ago(now, LOST_QUEUED_AFTER_SECONDS))))
      .orderBy(asc(jobs.updatedAt))
      .limit(limit),
  ]);
  return { expired, lost };
};

/**
 * Marks a lost queued job as seen before it is re-enqueued, so the next run does not send it again;
 * conditional on the row being unchanged, so a job a delivery just claimed is left alone.
 */
export const touchQueuedJob = async (db: Database, job: Pick<JobRow, 'id' | 'updatedAt'>, now = new Date()) => {
  const result = await db
    .update(jobs)
    .set({ updatedAt: now.toISOString() })
    .where(and(eq(jobs.id, job.id), eq(jobs.status, 'queued'), eq(jobs.updatedAt, job.updatedAt)));
  return result.meta.changes === 1;
};

export const isPastQueuedDeadline = (job: Pick<JobRow, 'createdAt'>, now = new Date()) =>
  job.createdAt < ago(now, QUEUED_DEADLINE_SECONDS);
