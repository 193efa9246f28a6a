/**
 * Jobs: one row per long task. Route handlers create the row and enqueue a message that carries ids
 * only; the queue consumer runs it (see lifecycle.ts). Every query here is scoped to the tenant.
 */
import { AppError, newId, notFound, type PageRequest } from '@flowspark/core';
import { type Database, paginate, schema } from '@flowspark/db';
import { and, desc, eq, type SQL } from 'drizzle-orm';
import type { JobRow, JobStatus } from './present';

const { jobs } = schema;

/** What the queue carries: ids only (messages are at most 128 KB; payloads stay in D1 or R2). */
export interface JobMessage {
  job_id: string;
  org_id: string;
}

/**
 * The queue retries a message at most 5 times (wrangler.toml `max_retries`), so a job cannot make
 * more than 6 deliveries: more attempts than that would never run.
 */
export const MAX_JOB_ATTEMPTS = 6;
export const DEFAULT_JOB_ATTEMPTS = 5;

export interface NewJob {
  orgId: string;
  type: string;
  resourceType?: string | null;
  resourceId?: string | null;
  /** Small parameters only; the resource's own row or R2 object holds the payload. */
  input?: Record<string, unknown> | null;
  createdBy?: string | null;
  maxAttempts?: number;
}

/** The row of a new queued job, for callers that insert it in a batch with their own resource. */
export const buildJob = (params: NewJob, now = new Date()): JobRow => {
  const at = now.toISOString();
  const maxAttempts = Math.min(MAX_JOB_ATTEMPTS, Math.max(1, Math.trunc(params.maxAttempts ?? DEFAULT_JOB_ATTEMPTS)));
  return {
    id: newId('job'),
    orgId: params.orgId,
    type: params.type,
    status: 'queued',
    progress: 0,
    attempts: 0,
    maxAttempts,
    resourceType: params.resourceType ?? null,
    resourceId: params.resourceId ?? null,
    input: params.input ?? null,
    result: null,
    errorCode: null,
    errorMessage: null,
    cancelRequested: false,
    createdBy: params.createdBy ?? null,
    leaseUntil: null,
    createdAt: at,
    updatedAt: at,
    startedAt: null,
    finishedAt: null,
  };
};

export const createJob = async (db: Database, params: NewJob): Promise<JobRow> => {
  const row = buildJob(params);
  await db.insert(jobs).values(row);
  return row;
};

export type JobQueue = { send(body: JobMessage, options?: QueueSendOptions): Promise<unknown> };

/**
 * Sends the job's message. If this fails after the row was written, the job stays `queued` and the
 * scheduled recovery re-enqueues it (see findStuckJobs), so callers may answer 202 either way.
 */
export const enqueueJob = async (queue: JobQueue, job: Pick<JobRow, 'id' | 'orgId'>, delaySeconds?: number) => {
  const message: JobMessage = { job_id: job.id, org_id: job.orgId };
  await queue.send(message, delaySeconds ? { delaySeconds } : undefined);
};

export const getJob = async (db: Database, orgId: string, id: string): Promise<JobRow | null> => {
  const rows = await db
    .select()
    .from(jobs)
    .where(and(eq(jobs.id, id), eq(jobs.orgId, orgId)))
    .limit(1);
  return rows[0] ?? null;
};

export interface JobFilters {
  status?: JobStatus;
  type?: string;
  resource_id?: string;
}

/** The tenant's jobs, newest first: one page query and one count, in one batch. */
export const listJobs = async (
  db: Database,
  orgId: string,
  query: PageRequest & JobFilters,
): Promise<{ items: JobRow[]; total: number }> => {
  const conditions: SQL[] = [eq(jobs.orgId, orgId)];
  if (query.status) conditions.push(eq(jobs.status, query.status));
  if (query.type) conditions.push(eq(jobs.type, query.type));
  if (query.resource_id) conditions.push(eq(jobs.resourceId, query.resource_id));
  const where = and(...conditions);
  return paginate(
    db,
    db.select().from(jobs).where(where).orderBy(desc(jobs.createdAt), desc(jobs.id)),
    { table: jobs, where },
    query,
  );
};

export type CancelOutcome = 'cancelled' | 'cancel_requested';

/**
 * A queued job is cancelled at once (its message, when delivered, finds it terminal and is dropped).
 * A running job gets `cancel_requested`: its handler stops at its next progress or isCancelled check
 * and the runner marks it cancelled. A finished job cannot be cancelled (409).
 */
export const cancelJob = async (
  db: Database,
  orgId: string,
  id: string,
): Promise<{ job: JobRow; outcome: CancelOutcome }> => {
  // The status can change between the read and the conditional write; a few rounds settle it.
  for (let round = 0; round < 3; round += 1) {
    const job = await getJob(db, orgId, id);
    if (!job) throw notFound('Job');
    const now = new Date().toISOString();
    if (job.status === 'queued') {
      const [row] = await db
        .update(jobs)
        .set({ status: 'cancelled', cancelRequested: true, leaseUntil: null, finishedAt: now, updatedAt: now })
        .where(and(eq(jobs.id, id), eq(jobs.orgId, orgId), eq(jobs.status, 'queued')))
        .returning();
      if (row) return { job: row, outcome: 'cancelled' };
    } else if (job.status === 'running') {
      const [row] = await db
        .update(jobs)
        .set({ cancelRequested: true, updatedAt: now })
        .where(and(eq(jobs.id, id), eq(jobs.orgId, orgId), eq(jobs.status, 'running')))
        .returning();
      if (row) return { job: row, outcome: 'cancel_requested' };
    } else {
      throw new AppError('CONFLICT', `The job is already ${job.status} and cannot be cancelled`, {
        details: { status: job.status },
      });
    }
  }
  throw new AppError('CONFLICT', 'The job changed while it was being cancelled; try again');
};
