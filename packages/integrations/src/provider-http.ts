/**
 * Requests to a provider's API (Notion, Confluence Cloud): JSON in and out, the provider's rate limit
 * respected (a 429 waits its Retry-After, then tries again), brief outages retried, and every other
 * failure turned into a ProviderError whose code says what the sync should do about it.
 */

export type ProviderErrorCode =
  /** The token was refused (401/403): nothing more can be read with it. */
  | 'PROVIDER_UNAUTHORIZED'
  /** The page, space or block is gone, or not shared with the token. */
  | 'PROVIDER_NOT_FOUND'
  /** Still limited after the waits allowed: the sync stops and the next one goes on. */
  | 'PROVIDER_RATE_LIMITED'
  /** 5xx, a timeout or a network failure that retries did not get past. */
  | 'PROVIDER_UNAVAILABLE'
  /** Any other refusal (400, 409, …), or an answer that is not what the API documents. */
  | 'PROVIDER_ERROR';

export class ProviderError extends Error {
  readonly code: ProviderErrorCode;
  readonly status: number | null;
  /** Seconds the provider asked to wait (a 429's Retry-After). */
  readonly retryAfter: number | null;

  constructor(
    code: ProviderErrorCode,
    message: string,
    status: number | null = null,
    retryAfter: number | null = null,
  ) {
    super(message);
    this.name = 'ProviderError';
    this.code = code;
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

export const isProviderError = (err: unknown): err is ProviderError => err instanceof ProviderError;

export interface ProviderHttpOptions {
  fetch: typeof fetch;
  /** Waits between attempts (tests pass a recorder; the default is a timer). */
  sleep?: (ms: number) => Promise<void>;
  /** The longest single Retry-After honoured, in seconds; a longer one ends the sync (default 60). */
  maxRetryAfterSeconds?: number;
  /** 429s waited out per request before giving up (default 5). */
  rateLimitRetries?: number;
  /** Attempts after a 5xx or a network error (default 2, backing off 500 ms then 1 s). */
  unavailableRetries?: number;
  /** Per-attempt timeout (default 30 s). */
  timeoutMs?: number;
  /** Called for each wait a 429 imposed (the sync log counts them). */
  onRateLimited?: (seconds: number) => void;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Retry-After as seconds: a number of seconds, or an HTTP date. Missing or unreadable: 1 s. */
export const retryAfterSeconds = (header: string | null, now = Date.now()): number => {
  if (header === null) return 1;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.max(0, Number(trimmed));
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? 1 : Math.max(0, (at - now) / 1000);
};

/** The provider's own message (Notion: `message`; Confluence v2: `errors[0].title/detail`), kept short. */
const providerMessage = async (res: Response): Promise<string> => {
  const text = await res.text().catch(() => '');
  let message = '';
  try {
    const body = JSON.parse(text) as { message?: unknown; errors?: { title?: unknown; detail?: unknown }[] };
    if (typeof body.message === 'string') message = body.message;
    else if (Array.isArray(body.errors) && body.errors[0]) {
      message = [body.errors[0].title, body.errors[0].detail].filter((v) => typeof v === 'string').join(': ');
    }
  } catch {
    // Not JSON: the status says enough.
  }
  return message.slice(0, 300);
};

const failure = async (res: Response): Promise<ProviderError> => {
  const said = await providerMessage(res);
  const suffix = said ? `: ${said}` : '';
  if (res.status === 401 || res.status === 403) {
    return new ProviderError(
      'PROVIDER_UNAUTHORIZED',
      `The provider refused the token (${res.status})${suffix}`,
      res.status,
    );
  }
  if (res.status === 404) return new ProviderError('PROVIDER_NOT_FOUND', `Not found${suffix}`, 404);
  if (res.status >= 500) {
    return new ProviderError(
      'PROVIDER_UNAVAILABLE',
      `The provider is unavailable (${res.status})${suffix}`,
      res.status,
    );
  }
  return new ProviderError('PROVIDER_ERROR', `The provider answered ${res.status}${suffix}`, res.status);
};

/**
 * One API call, answered as parsed JSON. A 429 waits what Retry-After asks (at most
 * `maxRetryAfterSeconds`, `rateLimitRetries` times); a 5xx or network error is tried again after a
 * short backoff. Redirects are not followed: an API answering with one is an error.
 */
export const providerJson = async <T>(options: ProviderHttpOptions, url: string, init: RequestInit): Promise<T> => {
  const sleep = options.sleep ?? defaultSleep;
  const maxWait = options.maxRetryAfterSeconds ?? 60;
  let limited = 0;
  let unavailable = 0;
  for (;;) {
    let res: Response;
    try {
      res = await options.fetch(url, {
        ...init,
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
    } catch (err) {
      if (unavailable < (options.unavailableRetries ?? 2)) {
        await sleep(500 * 2 ** unavailable);
        unavailable += 1;
        continue;
      }
      const reason = err instanceof Error && err.name === 'TimeoutError' ? 'timed out' : 'could not be reached';
      throw new ProviderError('PROVIDER_UNAVAILABLE', `The provider ${reason}`);
    }
    if (res.status === 429) {
      const wait = retryAfterSeconds(res.headers.get('retry-after'));
      await res.body?.cancel();
      if (limited >= (options.rateLimitRetries ?? 5) || wait > maxWait) {
        throw new ProviderError(
          'PROVIDER_RATE_LIMITED',
          `The provider's rate limit was reached; it asked to wait ${Math.ceil(wait)} s`,
          429,
          wait,
        );
      }
      options.onRateLimited?.(wait);
      await sleep(wait * 1000);
      limited += 1;
      continue;
    }
    if (res.status >= 500 && unavailable < (options.unavailableRetries ?? 2)) {
      await res.body?.cancel();
      await sleep(500 * 2 ** unavailable);
      unavailable += 1;
      continue;
    }
    if (!res.ok) throw await failure(res);
    try {
      return (await res.json()) as T;
    } catch {
      throw new ProviderError('PROVIDER_ERROR', 'The provider answered with something that is not JSON', res.status);
    }
  }
};
