import { vi } from 'vitest';
import { API_KEY_CACHE_TTL_MS } from '../../workers/api/lib/api-key-cache';

/**
 * Runs `fn` with the clock moved just past the lifetime of an isolate's cached API keys: what the
 * next request sees once that bound has passed, without waiting for it.
 */
export const pastApiKeyCache = async <T>(fn: () => Promise<T>, extraMs = 0): Promise<T> => {
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + API_KEY_CACHE_TTL_MS + 1 + extraMs });
  try {
    return await fn();
  } finally {
    vi.useRealTimers();
  }
};
