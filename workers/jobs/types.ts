import type { JobRow } from '@flowspark/jobs';
import type { ZodType } from 'zod';
import type { Env } from '../env';
import type { JobEndContext } from '../lib/job-end';

/** What a job handler gets for one attempt. */
export interface JobContext<I = Record<string, unknown> | null> {
  env: Env;
  /** The job row as this delivery claimed it (status `running`, `attempts` counting this one). */
  job: JobRow;
  orgId: string;
  /** Correlates this attempt's log lines. */
  requestId: string;
  /** `job.input`, parsed by the handler's `input` schema when it declares one. */
  input: I;
  /**
   * Records progress (0–100, never backwards) and publishes a `job.progress` event; also renews the
   * job's lease, so call it at least every few minutes. Throws (stopping the handler) when the job
   * was cancelled meanwhile or another delivery took it over: do not catch that.
   */
  progress(percent: number, message?: string): Promise<void>;
  /** Reads the job's cancellation flag. A handler that sees true should stop and return. */
  isCancelled(): Promise<boolean>;
  /** Throws the runner's cancellation signal when the job was cancelled (call before committing output). */
  throwIfCancelled(): Promise<void>;
}

/** What `onFailed` gets: the job as it ended (status `error` or `cancelled`). */
export type { JobEndContext };

/**
 * One job type. `run` returns the job's result (small JSON: ids, sizes, counts; payloads go to D1 or R2).
 * Throw `JobError(code, message, { retryable })` for expected failures; an AiProviderError with
 * `retryable: true` is retried too; anything else fails the job at once.
 */
export interface JobHandler<I = unknown> {
  type: string;
  /** Validates `job.input` before `run`; invalid input fails the job with INVALID_JOB_INPUT. */
  input?: ZodType<I>;
  run(ctx: JobContext<I>): Promise<Record<string, unknown>>;
  /**
   * What the job leaves on its resource once it ended without success (e.g. the document marked
   * failed): the same package function as the type's failure effect in workers/lib/job-end.ts, which
   * runs wherever the end was decided (the runner, the dead-letter consumer, stuck-job recovery, or
   * cancelling a queued job). Must be idempotent; errors are logged and ignored.
   */
  onFailed?(ctx: JobEndContext): Promise<void>;
}
