import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { RateLimiter } from '../../workers/objects/rate-limiter';
import { call, createTenant, expectOk } from '../helpers/harness';

const gate = (name: string) => env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(name));

describe('tenant gate Durable Object', () => {
  it('admits exactly the bucket size when many requests arrive at once', async () => {
    const stub = gate(`exact-${crypto.randomUUID()}`);
    const verdicts = await Promise.all(
      Array.from({ length: 60 }, () => stub.admit({ buckets: [{ key: 'tenant', per_minute: 20 }] })),
    );
    const allowed = verdicts.filter((v) => v.allowed);
    expect(allowed).toHaveLength(20);
    // Each admitted request saw a different remaining count: no two were counted as one.
    expect(new Set(allowed.map((v) => v.remaining)).size).toBe(20);
    const refused = verdicts.filter((v) => !v.allowed);
    expect(refused.every((v) => v.retryAfterSeconds >= 1 && v.remaining === 0)).toBe(true);
  });

  it('a refused request does not drain another bucket', async () => {
    const stub = gate(`two-${crypto.randomUUID()}`);
    const buckets = [
      { key: 'tenant', per_minute: 100 },
      { key: 'key:k1', per_minute: 2 },
    ];
    const verdicts = [];
    for (let i = 0; i < 5; i += 1) verdicts.push(await stub.admit({ buckets }));
    expect(verdicts.map((v) => v.allowed)).toEqual([true, true, false, false, false]);
    // The key's limit is the tighter one, so the headers report it.
    expect(verdicts[0]!.limit).toBe(2);
    const tenantOnly = await stub.admit({ buckets: [{ key: 'tenant', per_minute: 100 }] });
    expect(tenantOnly.remaining).toBe(97);
  });

  it('forgets idle buckets once there are many, and never a busy one', async () => {
    const stub = gate(`prune-${crypto.randomUUID()}`);
    const busy = [{ key: 'usr:busy', per_minute: 1 }];
    expect((await stub.admit({ buckets: busy })).allowed).toBe(true);
    await runInDurableObject(stub, async (instance: RateLimiter) => {
      const buckets = (instance as unknown as { buckets: Map<string, { tokens: number; updatedAt: number }> }).buckets;
      const longAgo = Date.now() - 61_000;
      for (let i = 0; i < 1_200; i += 1) buckets.set(`usr:idle-${i}`, { tokens: 0, updatedAt: longAgo });
      expect(buckets.size).toBe(1_201);
      expect(instance.admit({ buckets: [{ key: 'usr:new', per_minute: 10 }] }).allowed).toBe(true);
      expect([...buckets.keys()].sort()).toEqual(['usr:busy', 'usr:new']);
    });
    // The busy bucket kept its state: still empty, still refused.
    expect((await stub.admit({ buckets: busy })).allowed).toBe(false);
  });

  it('revoked sessions survive eviction of the object', async () => {
    const stub = gate(`revoke-${crypto.randomUUID()}`);
    await stub.revokeSessions(['ses_a']);
    await runInDurableObject(stub, async (_instance: RateLimiter, state) => {
      const rows = state.storage.sql.exec('SELECT id FROM revocations').toArray();
      expect(rows).toEqual([{ id: 'ses_a' }]);
    });
    const verdict = await stub.admit({ buckets: [{ key: 'tenant', per_minute: 10 }], sessionId: 'ses_a' });
    expect(verdict.revoked).toBe(true);
    expect((await stub.admit({ buckets: [], sessionId: 'ses_b' })).revoked).toBe(false);
  });
});

describe('rate limiting over HTTP', () => {
  it('counts concurrent requests of one API key exactly and answers 429 with Retry-After', async () => {
    const tenant = await createTenant();
    const created = expectOk(
      await tenant.as('POST', '/api/v1/api-keys', {
        body: { name: 'limited', scopes: ['profile:read'], rate_limit_per_minute: 10 },
      }),
      201,
    );
    const key = created.body.data.key as string;
    const responses = await Promise.all(
      Array.from({ length: 30 }, () => call('GET', '/api/v1/auth/me', { token: key })),
    );
    const ok = responses.filter((r) => r.status === 200);
    const limited = responses.filter((r) => r.status === 429);
    expect(ok).toHaveLength(10);
    expect(limited).toHaveLength(20);
    expect(new Set(ok.map((r) => r.headers.get('ratelimit-remaining'))).size).toBe(10);
    for (const res of limited) {
      expect(res.body).toMatchObject({ success: false, error: { code: 'RATE_LIMITED' } });
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(res.headers.get('ratelimit-limit')).toBe('10');
      expect(res.headers.get('ratelimit-remaining')).toBe('0');
    }
  });

  it('every authenticated response carries the RateLimit headers, errors included', async () => {
    const tenant = await createTenant();
    const okRes = await tenant.as('GET', '/api/v1/auth/me');
    const invalid = await tenant.as('GET', '/api/v1/api-keys?page=0');
    const missing = await tenant.as('DELETE', `/api/v1/api-keys/key_${'0'.repeat(32)}`);
    for (const res of [okRes, invalid, missing]) {
      // The most restrictive bucket: the user's share (half by default) of the free plan's 120.
      expect(res.headers.get('ratelimit-limit')).toBe('60');
      expect(Number(res.headers.get('ratelimit-remaining'))).toBeGreaterThanOrEqual(0);
      expect(Number(res.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(0);
    }
    expect(invalid.status).toBe(400);
    expect(missing.status).toBe(404);
    // Public routes are not rate limited per tenant and carry no such headers.
    const health = await call('GET', '/health');
    expect(health.headers.get('ratelimit-limit')).toBeNull();
  });

  it('tenants do not share a bucket', async () => {
    const [a, b] = await Promise.all([createTenant(), createTenant()]);
    const aRemaining = Number((await a.as('GET', '/api/v1/auth/me')).headers.get('ratelimit-remaining'));
    const bRemaining = Number((await b.as('GET', '/api/v1/auth/me')).headers.get('ratelimit-remaining'));
    expect(Math.abs(aRemaining - bRemaining)).toBeLessThanOrEqual(1);
  });
});

describe('per-IP limit on public POSTs', () => {
  it('limits register/login/reset per client IP and answers 429 in the envelope', async () => {
    const { handleFetch } = await import('../../workers/api/app');
    const { createExecutionContext, waitOnExecutionContext } = await import('cloudflare:test');
    const strict = { ...env, PUBLIC_RATE_LIMIT_PER_MINUTE: '3' };
    const ip = `203.0.113.${Math.floor(Math.random() * 250)}`;
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 5; i += 1) {
      const ctx = createExecutionContext();
      last = await handleFetch(
        new Request('http://localhost/api/v1/auth/password/reset', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip },
          body: JSON.stringify({ email: `nobody-${i}@example.test` }),
        }),
        strict,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      statuses.push(last.status);
    }
    expect(statuses).toEqual([202, 202, 202, 429, 429]);
    // One request comes back every 20 s at 3 per minute (19 once a second has passed).
    expect(['19', '20']).toContain(last!.headers.get('retry-after'));
    expect(last!.headers.get('ratelimit-limit')).toBe('3');
    expect(await last!.json()).toMatchObject({ success: false, error: { code: 'RATE_LIMITED' } });
    // Another address is not affected.
    const ctx = createExecutionContext();
    const other = await handleFetch(
      new Request('http://localhost/api/v1/auth/password/reset', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'cf-connecting-ip': `${ip}1` },
        body: JSON.stringify({ email: 'nobody@example.test' }),
      }),
      strict,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(other.status).toBe(202);
  });
});
