import { hashApiKey } from '@flowspark/auth';
import type { ApiKeyPrincipal } from '@flowspark/db';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  API_KEY_CACHE_TTL_MS,
  cachedApiKey,
  clearIsolateApiKeys,
  rememberApiKey,
  shareApiKey,
  sharedApiKey,
} from '../../workers/api/lib/api-key-cache';
import { pastApiKeyCache } from '../helpers/clock';
import { addMember, call, createTenant, env, expectOk, type TestUser } from '../helpers/harness';

const KEYS = '/api/v1/api-keys';
const REFUSED = { code: 'INVALID_TOKEN', message: 'API key is invalid, revoked or expired' };

const createKey = async (user: Pick<TestUser, 'accessToken'>) =>
  expectOk(
    await call('POST', KEYS, { token: user.accessToken, body: { name: 'cached', scopes: ['api_keys:read'] } }),
    201,
  ).body.data as { id: string; key: string };

const useKey = (key: string) => call('GET', KEYS, { token: key });

afterEach(() => {
  vi.useRealTimers();
});

describe('verified API keys cached per isolate', () => {
  it('serves a warm key without reading D1, for at most the cache bound', async () => {
    const tenant = await createTenant();
    const { key } = await createKey(tenant);
    expectOk(await useKey(key));
    expect(cachedApiKey(await hashApiKey(key), Date.now())).toMatchObject({
      orgId: tenant.orgId,
      userId: tenant.userId,
    });
    // Revoked behind the API's back: D1 says so, but this isolate verified the key a moment ago.
    await env.DB.prepare('UPDATE api_keys SET revoked_at = ? WHERE key_hash = ?')
      .bind(new Date().toISOString(), await hashApiKey(key))
      .run();
    expectOk(await useKey(key));
    expect(API_KEY_CACHE_TTL_MS).toBe(5_000);
    const later = await pastApiKeyCache(() => useKey(key));
    expect(later.status).toBe(401);
    expect(later.body.error).toMatchObject(REFUSED);
  });

  it('revoking through the API refuses the key at once, also where another isolate still holds it', async () => {
    const tenant = await createTenant();
    const { id, key } = await createKey(tenant);
    expectOk(await useKey(key));
    const hash = await hashApiKey(key);
    const verified = cachedApiKey(hash, Date.now()) as ApiKeyPrincipal;
    expect(verified.id).toBe(id);

    expectOk(await tenant.as('DELETE', `${KEYS}/${id}`), 204);
    // The isolate that revoked it forgot it ...
    expect(cachedApiKey(hash, Date.now())).toBeNull();
    // ... and one that did not (put back as another isolate would still have it) is stopped by the gate.
    rememberApiKey(hash, verified, Date.now());
    const refused = await useKey(key);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toMatchObject(REFUSED);
  });

  it('checks expiry on the cached copy', async () => {
    const tenant = await createTenant();
    const { id, key } = await createKey(tenant);
    const expiresAt = Date.now() + 2_000;
    await env.DB.prepare('UPDATE api_keys SET expires_at = ? WHERE id = ?')
      .bind(new Date(expiresAt).toISOString(), id)
      .run();
    expectOk(await useKey(key));
    // Past the expiry, still well within the cache's lifetime.
    vi.useFakeTimers({ toFake: ['Date'], now: expiresAt + 1 });
    expect(cachedApiKey(await hashApiKey(key), Date.now())).toMatchObject({ id });
    const refused = await useKey(key);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toMatchObject(REFUSED);
  });

  it("removing a member through the API stops the member's keys at once", async () => {
    const tenant = await createTenant();
    const member = await addMember(tenant, 'member');
    const { key } = await createKey(member);
    expectOk(await useKey(key));
    expectOk(await tenant.as('DELETE', `/api/v1/organizations/current/members/${member.userId}`), 204);
    const refused = await useKey(key);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toMatchObject(REFUSED);
  });

  it('holds at most 1,000 keys, dropping the oldest first', () => {
    const now = Date.now();
    const principal = (i: number): ApiKeyPrincipal => ({
      id: `key_cap_${i}`,
      orgId: 'org_cap',
      userId: 'usr_cap',
      scopes: [],
      rateLimitPerMinute: null,
      expiresAt: null,
      lastUsedAt: null,
      role: 'member',
      plan: 'free',
    });
    for (let i = 0; i <= 1_000; i++) rememberApiKey(`cap-${i}`, principal(i), now);
    expect(cachedApiKey('cap-0', now)).toBeNull();
    expect(cachedApiKey('cap-1', now)?.id).toBe('key_cap_1');
    expect(cachedApiKey('cap-1000', now)?.id).toBe('key_cap_1000');
    expect(cachedApiKey('cap-1000', now + API_KEY_CACHE_TTL_MS)).toBeNull();
  });
});

/** The shared tier is written after the response (waitUntil): wait until it holds the key. */
const sharedCopy = async (hash: string) => {
  for (let i = 0; i < 50; i++) {
    const principal = await sharedApiKey(hash, Date.now());
    if (principal) return principal;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return null;
};

describe('verified API keys shared across isolates (Cache API)', () => {
  it("serves a key another isolate verified, until the bound counted from that isolate's D1 read", async () => {
    const tenant = await createTenant();
    const { id, key } = await createKey(tenant);
    const hash = await hashApiKey(key);
    const before = Date.now();
    expectOk(await useKey(key));
    expect((await sharedCopy(hash))?.id).toBe(id);

    // A fresh isolate, and the key revoked behind the API's back: only the shared copy can admit it.
    clearIsolateApiKeys();
    await env.DB.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ?').bind(new Date().toISOString(), id).run();
    expectOk(await useKey(key));
    expect(cachedApiKey(hash, Date.now())?.id).toBe(id);
    // The copy it took keeps the first read's deadline, so the bound is not extended by sharing.
    expect(cachedApiKey(hash, before + API_KEY_CACHE_TTL_MS + 1_000)).toBeNull();

    const later = await pastApiKeyCache(() => useKey(key), 1_000);
    expect(later.status).toBe(401);
    expect(later.body.error).toMatchObject(REFUSED);
  });

  it('ignores a shared copy older than the bound', async () => {
    const tenant = await createTenant();
    const { id, key } = await createKey(tenant);
    const hash = await hashApiKey(key);
    expectOk(await useKey(key));
    const verified = (await sharedCopy(hash)) as ApiKeyPrincipal;
    await shareApiKey(hash, verified, Date.now() - API_KEY_CACHE_TTL_MS - 1);
    expect(await sharedApiKey(hash, Date.now())).toBeNull();

    clearIsolateApiKeys();
    await env.DB.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ?').bind(new Date().toISOString(), id).run();
    const refused = await useKey(key);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toMatchObject(REFUSED);
  });

  it('revoking through the API drops the shared copy, and the gate refuses copies elsewhere', async () => {
    const tenant = await createTenant();
    const { id, key } = await createKey(tenant);
    const hash = await hashApiKey(key);
    expectOk(await useKey(key));
    const verified = (await sharedCopy(hash)) as ApiKeyPrincipal;

    expectOk(await tenant.as('DELETE', `${KEYS}/${id}`), 204);
    expect(await sharedApiKey(hash, Date.now())).toBeNull();
    // Put back, as an isolate that verified it just before the revocation might have done.
    clearIsolateApiKeys();
    await shareApiKey(hash, verified, Date.now());
    const refused = await useKey(key);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toMatchObject(REFUSED);
  });
});
