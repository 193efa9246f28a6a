/**
 * State transitions of a running job, used by the queue consumer and the scheduled recovery. Every
 * transition is one conditional UPDATE (`WHERE status = …`), so concurrent deliveries of the same
 * message cannot both run or both finish a job. A delivery that claimed the job passes its attempt
 * number (`attempt`) as a fencing token: once the lease expired and another delivery took over, the
 * old delivery's writes match no row.
 */
import { type Database, schema } from '@flowspark/db';
import { and, eq, inArray, isNull, lt, or, type SQL, sql } from 'drizzle-orm';
import type { JobRow } from './present';

const { jobs } = schema;

/** How long a claimed job may go without a progress update before it is considered stuck. */
export const DEFAULT_LEASE_SECONDS = 300;

export interface Fence {
  /** The `attempts` value the caller's claim returned; omitted means any attempt. */
  attempt?: number;
}

const fenced = (id: string, fence: Fence, ...conditions: SQL[]): SQL =>
  and(eq(jobs.id, id), ...(fence.attempt === undefined ? [] : [eq(jobs.attempts, fence.attempt)]), ...conditions)!;

const later = (now: Date, seconds: number) => new Date(now.getTime() + seconds * 1000).toISOString();

/**
 * Takes the job for one delivery: `queued` → `running`, or `running` whose lease expired (the previous
 * delivery died) → `running` again. Counts the attempt and sets the lease. Null when the job is
 * terminal or another delivery holds a live lease.
 */
export const claimJob = async (
  db: Database,
  id: string,
  options: { leaseSeconds?: number; now?: Date } = {},
): Promise<JobRow | null> => {
  const now = options.now ?? new Date();
  const at = now.toISOString();
  const [row] = await db
    .update(jobs)
    .set({
      status: 'running',
      attempts: sql`${jobs.attempts} + 1`,
      leaseUntil: later(now, options.leaseSeconds ?? DEFAULT_LEASE_SECONDS),
      startedAt: sql`coalesce(${jobs.startedAt}, ${at})`,
      updatedAt: at,
    })
    .where(
      and(
        eq(jobs.id, id),
        or(
          eq(jobs.status, 'queued'),
          and(eq(jobs.status, 'running'), or(isNull(jobs.leaseUntil), lt(jobs.leaseUntil, at))),
        ),
      ),
    )
    .returning();
  return row ?? null;
};

/**
 * Records progress while the job runs (never backwards: progress is the maximum reported) and
 * extends the lease, so a job that keeps reporting is never taken for stuck. Null when the job is no
 * longer running for this delivery.
 */
export const setProgress = async (
  db: Database,
  id: string,
  percent: number,
  options: Fence & { leaseSeconds?: number } = {},
): Promise<JobRow | null> => {
  const value = Math.min(100, Math.max(0, Math.round(Number.isFinite(percent) ? percent : 0)));
  const now = new Date();
  const [row] = await db
    .update(jobs)
    .set({
      progress: sql`max(${jobs.progress}, ${value})`,
      leaseUntil: later(now, options.leaseSeconds ?? DEFAULT_LEASE_SECONDS),
      updatedAt: now.toISOString(),
    })
    .where(fenced(id, options, eq(jobs.status, 'running')))
    .returning();
  return row ?? null;
};

/** Whether someone asked to cancel the job (read fresh: another request sets it). */
export const isCancelRequested = async (db: Database, id: string): Promise<boolean> => {
  const rows = await db.select({ cancelRequested: jobs.cancelRequested }).from(jobs).where(eq(jobs.id, id)).limit(1);
  return rows[0]?.cancelRequested ?? false;
};

/** `running` → `done` with its result, unless a cancellation was asked for first. */
export const completeJob = async (
  db: Database,
  id: string,
  result: Record<string, unknown>,
  fence: Fence = {},
): Promise<JobRow | null> => {
  const at = new Date().toISOString();
  const [row] = await db
    .update(jobs)
    .set({
      status: 'done',
      progress: 100,
      result,
      errorCode: null,
      errorMessage: null,
      leaseUntil: null,
      finishedAt: at,
      updatedAt: at,
    })
    .where(fenced(id, fence, eq(jobs.status, 'running'), eq(jobs.cancelRequested, false)))
    .returning();
  return row ?? null;
};

/** `queued` or `running` → `error`. Null when the job already ended (or, fenced, was taken over). */
export const failJob = async (
  db: Database,
  id: string,
  code: string,
  message: string,
  fence: Fence = {},
): Promise<JobRow | null> => {
  const at = new Date().toISOString();
  const [row] = await db
    .update(jobs)
    .set({ status: 'error', errorCode: code, errorMessage: message, leaseUntil: null, finishedAt: at, updatedAt: at })
    .where(fenced(id, fence, inArray(jobs.status, ['queued', 'running'])))
    .returning();
  return row ?? null;
};

/**
 * `running` → `queued` after a transient failure, waiting for its next delivery. The error stays on
 * the row so clients can see why the job is retrying; success clears it.
 */
export const requeueJob = async (
  db: Database,
  id: string,
  code: string,
  message: string,
  fence: Fence = {},
): Promise<JobRow | null> => {
  const at = new Date().toISOString();
  const [row] = await db
    .update(jobs)
    .set({ status: 'queued', errorCode: code, errorMessage: message, leaseUntil: null, updatedAt: at })
    .where(fenced(id, fence, eq(jobs.status, 'running')))
    .returning();
  return row ?? null;
};

/** A job whose cancellation was requested ends `cancelled` (the runner calls this when it stops). */
export const markJobCancelled = async (db: Database, id: string, fence: Fence = {}): Promise<JobRow | null> => {
  const at = new Date().toISOString();
  const [row] = await db
    .update(jobs)
    .set({ status: 'cancelled', leaseUntil: null, finishedAt: at, updatedAt: at })
    .where(fenced(id, fence, inArray(jobs.status, ['queued', 'running']), eq(jobs.cancelRequested, true)))
    .returning();
  return row ?? null;
};
