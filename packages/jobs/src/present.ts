import type { schema } from '@flowspark/db';

export type JobRow = typeof schema.jobs.$inferSelect;
export type JobStatus = JobRow['status'];

export const JOB_STATUSES = ['queued', 'running', 'done', 'error', 'cancelled'] as const satisfies readonly JobStatus[];
export const TERMINAL_STATUSES: readonly JobStatus[] = ['done', 'error', 'cancelled'];

export const isTerminal = (status: JobStatus): boolean => TERMINAL_STATUSES.includes(status);

/** A job as the API shows it: never its input (it may hold prompts or data the caller did not send). */
export interface JobView {
  id: string;
  type: string;
  status: JobStatus;
  progress: number;
  attempts: number;
  max_attempts: number;
  resource_type: string | null;
  resource_id: string | null;
  result: Record<string, unknown> | null;
  error_code: string | null;
  error_message: string | null;
  cancel_requested: boolean;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export const presentJob = (job: JobRow): JobView => ({
  id: job.id,
  type: job.type,
  status: job.status,
  progress: job.progress,
  attempts: job.attempts,
  max_attempts: job.maxAttempts,
  resource_type: job.resourceType,
  resource_id: job.resourceId,
  result: job.result ?? null,
  error_code: job.errorCode,
  error_message: job.errorMessage,
  cancel_requested: job.cancelRequested,
  created_at: job.createdAt,
  updated_at: job.updatedAt,
  started_at: job.startedAt,
  finished_at: job.finishedAt,
});
