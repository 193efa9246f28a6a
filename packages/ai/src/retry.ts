import { AiProviderError } from './errors';

export interface RetryOptions {
  /** Retries after the first attempt (AI_MAX_RETRIES). */
  maxRetries: number;
  /** Budget of one attempt (AI_TIMEOUT_MS); the attempt's signal aborts when it runs out. */
  timeoutMs: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A provider's Retry-After is honoured up to this cap, so one answer cannot park a job for long. */
  retryAfterCapMs?: number;
  /** Injectable for tests (no real sleeping). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

export const RETRY_DEFAULTS = { baseDelayMs: 500, maxDelayMs: 8_000, retryAfterCapMs: 10_000 } as const;

export interface Attempt {
  signal: AbortSignal;
  attempt: number;
}

export const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Exponential backoff with "equal jitter": half the step is fixed, half random, capped. */
export const backoffDelay = (attempt: number, options: RetryOptions): number => {
  const base = options.baseDelayMs ?? RETRY_DEFAULTS.baseDelayMs;
  const max = options.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs;
  const step = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  const random = options.random ?? Math.random;
  return Math.round(step / 2 + random() * (step / 2));
};

/** Retry-After as delta-seconds or an HTTP date (plus OpenAI's retry-after-ms), in milliseconds. */
export const parseRetryAfter = (headers: Headers, now = Date.now()): number | undefined => {
  const ms = headers.get('retry-after-ms');
  if (ms && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.round(Number(ms));
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
};

/**
 * Runs `run` with a bounded per-attempt timeout and retries transient failures (`retryable`
 * AiProviderErrors) with backoff. `normalize` turns anything else thrown into an AiProviderError.
 * The attempt is raced against its own timeout, so even an operation that ignores its signal cannot
 * hang the caller. The caller's `outer` signal cancels everything (not retryable).
 */
export const withRetry = async <T>(
  label: { provider: string; operation: string },
  options: RetryOptions,
  run: (attempt: Attempt) => Promise<T>,
  normalize: (err: unknown) => AiProviderError,
  outer?: AbortSignal,
): Promise<T> => {
  const sleep = options.sleep ?? defaultSleep;
  const name = `${label.provider} ${label.operation}`;
  const cancelled = () =>
    new AiProviderError(`${name} was cancelled`, { provider: label.provider, retryable: false, cause: outer?.reason });

  for (let attempt = 1; ; attempt++) {
    if (outer?.aborted) throw cancelled();
    const controller = new AbortController();
    const timeoutError = new AiProviderError(`${name} timed out after ${options.timeoutMs} ms`, {
      provider: label.provider,
      retryable: true,
      reason: 'AI_PROVIDER_TIMEOUT',
    });
    const timer = setTimeout(() => controller.abort(timeoutError), options.timeoutMs);
    const onOuterAbort = () => controller.abort(cancelled());
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    const aborted = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
    });
    aborted.catch(() => {});
    try {
      const pending = run({ signal: controller.signal, attempt });
      // When the timeout wins, the operation's own late rejection must not go unhandled.
      pending.catch(() => {});
      // On success the outer listener stays: cancelling later still aborts a stream being read.
      return await Promise.race([pending, aborted]);
    } catch (raw) {
      outer?.removeEventListener('abort', onOuterAbort);
      const err = raw instanceof AiProviderError ? raw : normalize(raw);
      if (outer?.aborted) throw cancelled();
      if (!err.retryable || attempt > options.maxRetries) throw err;
      const cap = options.retryAfterCapMs ?? RETRY_DEFAULTS.retryAfterCapMs;
      const delay = err.retryAfterMs !== undefined ? Math.min(err.retryAfterMs, cap) : backoffDelay(attempt, options);
      try {
        await sleep(delay, outer);
      } catch {
        throw cancelled();
      }
    } finally {
      clearTimeout(timer);
    }
  }
};
