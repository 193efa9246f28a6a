import { isAppError } from '@flowspark/core';

/**
 * An expected job failure. `code` becomes the job's `error_code` (UPPER_SNAKE, e.g. `RENDER_FAILED`),
 * `message` its `error_message` (shown to API clients: never internals). `retryable` asks the runner
 * to try again later with backoff (until the job's `max_attempts`); otherwise the job fails at once.
 */
export class JobError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly details?: Record<string, unknown>;

  constructor(
    code: string,
    message: string,
    options: { retryable?: boolean; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'JobError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }
}

export const isJobError = (err: unknown): err is JobError => err instanceof JobError;

/**
 * Duck-typed so this package does not depend on `@flowspark/ai`: an `AiProviderError` whose provider
 * failure is transient (429, 5xx, timeout, network).
 */
const isRetryableProviderError = (err: unknown): boolean => {
  const candidate = err as { name?: unknown; retryable?: unknown } | null;
  return candidate?.name === 'AiProviderError' && candidate.retryable === true;
};

/** Transient failures are retried with backoff; everything else fails the job at once (no retry storm). */
export const isRetryableJobFailure = (err: unknown): boolean =>
  isJobError(err) ? err.retryable : isRetryableProviderError(err);

const CODE_PATTERN = /^[A-Z][A-Z0-9_]{1,63}$/;

/**
 * The code and message stored on the job. Authored errors (JobError, AppError) keep theirs; an
 * AppError that names a more precise `details.reason` (e.g. `AI_INVALID_OUTPUT`) uses it as the code.
 * Anything else is `INTERNAL_ERROR` with a generic message: its text may hold internals.
 */
export const describeJobFailure = (err: unknown): { code: string; message: string } => {
  if (isJobError(err)) return { code: err.code, message: err.message };
  if (isAppError(err)) {
    const reason = err.details?.reason;
    return { code: typeof reason === 'string' && CODE_PATTERN.test(reason) ? reason : err.code, message: err.message };
  }
  return { code: 'INTERNAL_ERROR', message: 'The job failed because of an internal error' };
};
