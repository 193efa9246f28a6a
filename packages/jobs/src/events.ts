import type { JobRow, JobStatus } from './present';

/**
 * What the tenant's job feed carries. `job.status` on every status change (queued → running → done |
 * error | cancelled, and back to queued on a retry), `job.progress` on progress updates while running.
 */
export type JobEventType = 'job.status' | 'job.progress';

export interface JobEventInput {
  job_id: string;
  type: JobEventType;
  status: JobStatus;
  progress: number;
  message?: string;
  resource_type: string | null;
  resource_id: string | null;
  error_code?: string;
  /** ISO-8601 UTC time of the change. */
  at: string;
}

/**
 * Durable runs on the same feed: `execution.status` when a workflow execution's status changes,
 * `execution.step` when one of its steps starts, retries, ends or is skipped, `agent.status` when an
 * agent run moves to its next step or ends.
 */
export type RunEventType = 'execution.status' | 'execution.step' | 'agent.status';

export interface RunEventInput {
  type: RunEventType;
  /** The execution (`exe_…`) or the agent run (`agr_…`). */
  run_id: string;
  /** An execution's workflow. */
  workflow_id?: string;
  /** The run's status. */
  status: string;
  /** `execution.step`: the step, its status and attempts so far; `agent.status`: the current step. */
  step_id?: string;
  step_status?: string;
  attempts?: number;
  /** Share of the run's steps that ended (0–100). */
  progress: number;
  message?: string;
  error_code?: string;
  at: string;
}

export type FeedEventInput = JobEventInput | RunEventInput;

/** A published event: `id` increases by one per event within a tenant's feed (resume with `since`). */
export type JobEvent = FeedEventInput & { id: number };

const MAX_MESSAGE = 500;

export const jobEvent = (job: JobRow, type: JobEventType, message?: string): JobEventInput => {
  const event: JobEventInput = {
    job_id: job.id,
    type,
    status: job.status,
    progress: job.progress,
    resource_type: job.resourceType,
    resource_id: job.resourceId,
    at: new Date().toISOString(),
  };
  // An error event explains itself even when the publisher adds no message.
  const text = message ?? (job.status === 'error' ? job.errorMessage : null);
  if (text) event.message = text.slice(0, MAX_MESSAGE);
  if (job.errorCode && (job.status === 'error' || job.status === 'queued')) event.error_code = job.errorCode;
  return event;
};
