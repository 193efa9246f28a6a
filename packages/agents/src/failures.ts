/**
 * How an agent run describes what went wrong: a code, a message fit for API clients, and whether a
 * second attempt (with the error added to the request) can help.
 */
import { truncateUtf16 } from '@flowspark/core';
import { describeJobFailure } from '@flowspark/jobs';

export interface Failure {
  code: string;
  message: string;
  retryable: boolean;
}

/**
 * Failures a second attempt cannot mend: the wallet or a quota is exhausted, the input is refused or
 * over a cap, the provider is not set up, the work was cancelled or deleted by someone, or it never
 * finished. They end the run at once.
 */
const FINAL_CODES = new Set([
  'INSUFFICIENT_TOKENS',
  'QUOTA_EXCEEDED',
  'PAYLOAD_TOO_LARGE',
  'VALIDATION_ERROR',
  'FORBIDDEN',
  'AI_NOT_CONFIGURED',
  'JOB_CANCELLED',
  'JOB_TIMEOUT',
  'DOCUMENT_UNAVAILABLE',
  'IMAGE_UNAVAILABLE',
  'RUN_UNAVAILABLE',
]);

export const isRetryable = (code: string): boolean => !FINAL_CODES.has(code);

export const failure = (code: string, message: string): Failure => ({ code, message, retryable: isRetryable(code) });

/**
 * A thrown error as a failure. AppErrors and job errors keep their code (a more precise
 * `details.reason` such as AI_INVALID_OUTPUT or AI_PROVIDER_ERROR wins); anything else is
 * INTERNAL_ERROR with a generic message, since its text may hold internals.
 */
export const failureOf = (err: unknown): Failure => {
  const { code, message } = describeJobFailure(err);
  return failure(code, message);
};

/** One entry of the run's `errors`: where it happened, its code and message. */
export const describeFailure = (step: string, f: Failure): string => `${step}: ${f.code}: ${f.message}`;

/**
 * The request of a second attempt: the first one's, with what went wrong, cut so the whole stays
 * within `max` characters (the request loses its end before the error note does).
 */
export const withPreviousError = (prompt: string, previous: Failure, max: number): string => {
  const note = `\n\nA previous attempt failed (${previous.code}: ${truncateUtf16(previous.message, 300)}). Avoid that problem this time.`;
  return `${truncateUtf16(prompt, Math.max(0, max - note.length)).trimEnd()}${note}`;
};

/**
 * The chat of a second attempt at an answer: the first attempt's error is added to the instructions,
 * while the question itself (and so the retrieval) stays as it was.
 */
export const withPreviousErrorNote = <M extends { role: string; content: string }>(
  messages: M[],
  previous: Failure,
): M[] => {
  const note = `\n\nA previous answer was rejected (${previous.code}: ${truncateUtf16(previous.message, 300)}). Answer from the sources and cite them.`;
  const at = messages.findIndex((m) => m.role === 'system');
  if (at === -1) return messages;
  return messages.map((m, i) => (i === at ? { ...m, content: `${m.content}${note}` } : m));
};
