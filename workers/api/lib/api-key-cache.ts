import type { ApiKeyPrincipal } from '@flowspark/db';

/**
 * Verified API keys by the SHA-256 of the key (never the key itself), in two tiers: a per-isolate
 * map, and the data centre's Cache API shared by every isolate there, so a warm key is checked
 * without a D1 query even by an isolate that has not seen it. Every copy, in either tier, dates
 * from the one D1 read that verified it, and no copy is used more than `API_KEY_CACHE_TTL_MS`
 * after that read: this bounds how long a change made elsewhere (the creator's role, their
 * membership, a deactivated account, the plan) takes to reach a key. Revoking a key is immediate
 * everywhere: the tenant gate refuses revoked key ids on admission, and the isolate that revoked it
 * drops it from both tiers.
 *
 * The Cache API is a no-op on `*.workers.dev` hostnames; there only the per-isolate tier works.
 */
export const API_KEY_CACHE_TTL_MS = 5_000;
/** Bounded memory: the oldest entry goes first once this many keys are cached. */
const MAX_CACHED_KEYS = 1_000;
/** Not a routable host: entries are only ever put and matched by this Worker. */
const SHARED_ORIGIN = 'https://api-key-cache.internal/v1/';

interface Entry {
  principal: ApiKeyPrincipal;
  expiresAt: number;
}

/** The shared tier's body: the principal and when D1 verified it. */
interface SharedEntry {
  principal: ApiKeyPrincipal;
  verifiedAt: number;
}

const entries = new Map<string, Entry>();

const sharedCache = (): Cache | null => (typeof caches === 'undefined' ? null : caches.default);
const sharedUrl = (keyHash: string) => `${SHARED_ORIGIN}${keyHash}`;

export const cachedApiKey = (keyHash: string, now: number): ApiKeyPrincipal | null => {
  const entry = entries.get(keyHash);
  if (!entry) return null;
  if (entry.expiresAt <= now) {
    entries.delete(keyHash);
    return null;
  }
  return entry.principal;
};

/** Keeps a key in this isolate until `verifiedAt` (its D1 read) plus the bound. */
export const rememberApiKey = (keyHash: string, principal: ApiKeyPrincipal, verifiedAt: number): void => {
  entries.delete(keyHash);
  entries.set(keyHash, { principal, expiresAt: verifiedAt + API_KEY_CACHE_TTL_MS });
  if (entries.size > MAX_CACHED_KEYS) entries.delete(entries.keys().next().value!);
};

/** Empties this isolate's tier: what a fresh isolate starts with. */
export const clearIsolateApiKeys = (): void => entries.clear();

/**
 * The shared tier's copy, if one is younger than the bound; it is then kept in this isolate too,
 * until the same deadline. Any failure of the Cache API reads as a miss (D1 answers instead).
 */
export const sharedApiKey = async (keyHash: string, now: number): Promise<ApiKeyPrincipal | null> => {
  const cache = sharedCache();
  if (!cache) return null;
  try {
    const res = await cache.match(sharedUrl(keyHash));
    if (!res) return null;
    const entry = (await res.json()) as SharedEntry;
    if (typeof entry?.verifiedAt !== 'number' || !entry.principal) return null;
    if (entry.verifiedAt + API_KEY_CACHE_TTL_MS <= now || entry.verifiedAt > now) return null;
    rememberApiKey(keyHash, entry.principal, entry.verifiedAt);
    return entry.principal;
  } catch {
    return null;
  }
};

/** Offers a key D1 has just verified to the other isolates of this data centre. */
export const shareApiKey = async (keyHash: string, principal: ApiKeyPrincipal, verifiedAt: number): Promise<void> => {
  const cache = sharedCache();
  if (!cache) return;
  const body: SharedEntry = { principal, verifiedAt };
  await cache.put(
    sharedUrl(keyHash),
    new Response(JSON.stringify(body), {
      headers: {
        'content-type': 'application/json',
        'cache-control': `max-age=${Math.ceil(API_KEY_CACHE_TTL_MS / 1000)}`,
      },
    }),
  );
};

/**
 * Drops cached keys by id or by creator (revoked keys, a member removed or a user deactivated) from
 * this isolate, and from the shared tier for the keys this isolate held. Copies other isolates
 * hold are refused by the gate (revoked keys, removed members) or age out within the bound.
 */
export const forgetApiKeys = async (who: {
  apiKeyIds?: readonly string[];
  userIds?: readonly string[];
}): Promise<void> => {
  const ids = new Set(who.apiKeyIds ?? []);
  const userIds = new Set(who.userIds ?? []);
  if (ids.size === 0 && userIds.size === 0) return;
  const dropped: string[] = [];
  for (const [hash, { principal }] of entries) {
    if (ids.has(principal.id) || userIds.has(principal.userId)) {
      entries.delete(hash);
      dropped.push(hash);
    }
  }
  const cache = sharedCache();
  if (!cache || dropped.length === 0) return;
  await Promise.all(dropped.map((hash) => cache.delete(sharedUrl(hash)).catch(() => false)));
};
