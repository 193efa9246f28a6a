import type { ApiKeyPrincipal } from '@flowspark/db';

/**
 * Verified API keys, per isolate, by the SHA-256 of the key (never the key itself): a warm key is
 * checked without a D1 query. An entry lives at most `API_KEY_CACHE_TTL_MS`, which bounds how long a
 * change made elsewhere (the creator's role, their membership, a deactivated account, the plan) takes
 * to reach a key. Revoking a key is immediate everywhere: the tenant gate refuses revoked key ids on
 * the request's admission call, and the isolate that revoked it forgets it here too.
 */
export const API_KEY_CACHE_TTL_MS = 5_000;
/** Bounded memory: the oldest entry goes first once this many keys are cached. */
const MAX_CACHED_KEYS = 1_000;

interface Entry {
  principal: ApiKeyPrincipal;
  expiresAt: number;
}

const entries = new Map<string, Entry>();

export const cachedApiKey = (keyHash: string, now: number): ApiKeyPrincipal | null => {
  const entry = entries.get(keyHash);
  if (!entry) return null;
  if (entry.expiresAt <= now) {
    entries.delete(keyHash);
    return null;
  }
  return entry.principal;
};

export const rememberApiKey = (keyHash: string, principal: ApiKeyPrincipal, now: number): void => {
  entries.delete(keyHash);
  entries.set(keyHash, { principal, expiresAt: now + API_KEY_CACHE_TTL_MS });
  if (entries.size > MAX_CACHED_KEYS) entries.delete(entries.keys().next().value!);
};

/** Drops cached keys by id or by creator (revoked keys, a member removed or a user deactivated). */
export const forgetApiKeys = (who: { apiKeyIds?: readonly string[]; userIds?: readonly string[] }): void => {
  const ids = new Set(who.apiKeyIds ?? []);
  const userIds = new Set(who.userIds ?? []);
  if (ids.size === 0 && userIds.size === 0) return;
  for (const [hash, { principal }] of entries) {
    if (ids.has(principal.id) || userIds.has(principal.userId)) entries.delete(hash);
  }
};
