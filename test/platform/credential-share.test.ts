import { loadConfig } from '@flowspark/core';
import { describe, expect, it } from 'vitest';
import { gateBuckets } from '../../workers/api/middleware/gate';
import type { Env } from '../../workers/env';
import {
  addMember,
  type CallOptions,
  createTenant,
  env,
  expectOk,
  fetchWith,
  readResponse,
  toRequest,
} from '../helpers/harness';

/**
 * A tenant limit small enough to exhaust in a test: 10 a minute for the free plan (one token back
 * every 6 s, far longer than a test takes), so a credential's default share is 5.
 */
const limited = (share?: string): Env => ({
  ...env,
  RATE_LIMITS: JSON.stringify({ free: { per_minute: 10 } }),
  ...(share === undefined ? {} : { RATE_LIMIT_CREDENTIAL_SHARE: share }),
});

const send = async (
  workerEnv: Env,
  token: string,
  method = 'GET',
  path = '/api/v1/auth/me',
  options: CallOptions = {},
) => readResponse(await fetchWith(toRequest(method, path, { ...options, token }), workerEnv));

/** Sequential requests (the order matters here), their statuses and the last response. */
const loop = async (workerEnv: Env, token: string, times: number) => {
  const responses = [];
  for (let i = 0; i < times; i += 1) responses.push(await send(workerEnv, token));
  return { statuses: responses.map((r) => r.status), responses };
};

/** Opens the job feed with a ticket's subprotocol, as a browser would. */
const openFeed = async (workerEnv: Env, protocol: string) =>
  readResponse(
    await fetchWith(
      new Request('http://localhost/api/v1/jobs/feed', {
        headers: { upgrade: 'websocket', 'sec-websocket-protocol': protocol },
      }),
      workerEnv,
    ),
  );

const ok = (n: number) => Array<number>(n).fill(200);
const refused = (n: number) => Array<number>(n).fill(429);

describe('per-credential share of the tenant rate limit', () => {
  it('one user looping hits 429 at its share while another user of the tenant still gets in', async () => {
    const tenant = await createTenant();
    const member = await addMember(tenant, 'member');
    const workerEnv = limited();

    const owner = await loop(workerEnv, tenant.accessToken, 8);
    expect(owner.statuses).toEqual([...ok(5), ...refused(3)]);
    expect(owner.responses[0]!.headers.get('ratelimit-limit')).toBe('5');
    expect(owner.responses[0]!.headers.get('ratelimit-remaining')).toBe('4');
    const last = owner.responses[7]!;
    expect(last.body).toMatchObject({ success: false, error: { code: 'RATE_LIMITED' } });
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(last.headers.get('ratelimit-limit')).toBe('5');
    expect(last.headers.get('ratelimit-remaining')).toBe('0');

    // The refused requests cost the tenant nothing: the member has a full share left.
    const other = await send(workerEnv, member.accessToken);
    expect(other.status).toBe(200);
    expect(other.headers.get('ratelimit-limit')).toBe('5');
    expect(other.headers.get('ratelimit-remaining')).toBe('4');
  });

  it('the tenant bucket still caps what all credentials spend together', async () => {
    const tenant = await createTenant();
    const member = await addMember(tenant, 'member');
    const workerEnv = limited();
    expect((await loop(workerEnv, tenant.accessToken, 5)).statuses).toEqual(ok(5));
    expect((await loop(workerEnv, member.accessToken, 6)).statuses).toEqual([...ok(5), 429]);
    // The key has its whole share, but the tenant has nothing left: its bucket is the one reported.
    const key = await send(workerEnv, tenant.apiKey);
    expect(key.status).toBe(429);
    expect(key.headers.get('ratelimit-limit')).toBe('10');
    expect(key.headers.get('ratelimit-remaining')).toBe('0');
  });

  it('an API key gets its own share, apart from its creator’s sessions', async () => {
    const tenant = await createTenant();
    const workerEnv = limited();
    const key = await loop(workerEnv, tenant.apiKey, 7);
    expect(key.statuses).toEqual([...ok(5), ...refused(2)]);
    expect(key.responses[6]!.body.error.code).toBe('RATE_LIMITED');
    expect((await send(workerEnv, tenant.accessToken)).status).toBe(200);
  });

  it('a key’s own lower limit wins over the share, and the share caps a higher one', async () => {
    const tenant = await createTenant();
    const keyWith = async (perMinute: number) =>
      expectOk(
        await tenant.as('POST', '/api/v1/api-keys', {
          body: { name: `limit ${perMinute}`, scopes: ['profile:read'], rate_limit_per_minute: perMinute },
        }),
        201,
      ).body.data.key as string;
    const [low, high] = [await keyWith(2), await keyWith(8)];
    const workerEnv = limited();

    const lowLoop = await loop(workerEnv, low, 4);
    expect(lowLoop.statuses).toEqual([...ok(2), ...refused(2)]);
    expect(lowLoop.responses[0]!.headers.get('ratelimit-limit')).toBe('2');
    expect(lowLoop.responses[3]!.headers.get('ratelimit-limit')).toBe('2');

    const highLoop = await loop(workerEnv, high, 7);
    expect(highLoop.statuses).toEqual([...ok(5), ...refused(2)]);
    expect(highLoop.responses[0]!.headers.get('ratelimit-limit')).toBe('5');
  });

  it('the share is configurable', async () => {
    const [whole, fifth] = await Promise.all([createTenant(), createTenant()]);
    // A share of 1 turns the per-credential cap off: one user may spend the whole tenant limit.
    expect((await loop(limited('1'), whole.accessToken, 11)).statuses).toEqual([...ok(10), 429]);
    expect((await loop(limited('0.2'), fifth.accessToken, 4)).statuses).toEqual([...ok(2), ...refused(2)]);
  });

  it('a feed socket opened with a ticket counts against the same user share', async () => {
    const tenant = await createTenant();
    const member = await addMember(tenant, 'member');
    const workerEnv = limited();
    const ticket = expectOk(await send(workerEnv, tenant.accessToken, 'POST', '/api/v1/jobs/feed/ticket'), 201).body
      .data;
    expect((await loop(workerEnv, tenant.accessToken, 5)).statuses).toEqual([...ok(4), 429]);
    const socket = await openFeed(workerEnv, ticket.protocol);
    expect(socket.status).toBe(429);
    expect(socket.body.error.code).toBe('RATE_LIMITED');
    expect(socket.headers.get('ratelimit-limit')).toBe('5');
    expect((await send(workerEnv, member.accessToken)).status).toBe(200);
  });

  it('a ticket issued by a key with its own lower limit carries that limit to the socket', async () => {
    const tenant = await createTenant();
    const key = expectOk(
      await tenant.as('POST', '/api/v1/api-keys', {
        body: { name: 'feed', scopes: ['jobs:read'], rate_limit_per_minute: 2 },
      }),
      201,
    ).body.data.key as string;
    const workerEnv = limited();
    // The ticket spends one of the key's two requests, the other is spent here; the socket must be refused.
    const ticket = expectOk(await send(workerEnv, key, 'POST', '/api/v1/jobs/feed/ticket'), 201).body.data;
    expect((await send(workerEnv, key, 'GET', '/api/v1/jobs')).status).toBe(200);
    const socket = await openFeed(workerEnv, ticket.protocol);
    expect(socket.status).toBe(429);
    expect(socket.headers.get('ratelimit-limit')).toBe('2');
  });
});

describe('gate buckets', () => {
  const principal = { orgId: 'org_x', plan: 'free' as const, userId: 'usr_a', sessionId: 'ses_a', issuedAt: 1 };
  const config = (vars: Record<string, string>) => loadConfig({ RATE_LIMITS: '{"free":{"per_minute":9}}', ...vars });

  it('one tenant bucket and one credential bucket, rounded down but never below one request', () => {
    expect(gateBuckets(config({}), { ...principal, apiKeyId: null })).toEqual([
      { key: 'tenant', per_minute: 9 },
      { key: 'usr:usr_a', per_minute: 4 },
    ]);
    expect(gateBuckets(config({ RATE_LIMIT_CREDENTIAL_SHARE: '0.01' }), { ...principal, apiKeyId: null })).toEqual([
      { key: 'tenant', per_minute: 9 },
      { key: 'usr:usr_a', per_minute: 1 },
    ]);
  });

  it('an API key is its own credential, with the lower of its limit and the share', () => {
    const key = { ...principal, sessionId: null, apiKeyId: 'key_1' };
    expect(gateBuckets(config({}), key)[1]).toEqual({ key: 'key:key_1', per_minute: 4 });
    expect(gateBuckets(config({}), { ...key, apiKeyRateLimitPerMinute: 3 })[1]).toEqual({
      key: 'key:key_1',
      per_minute: 3,
    });
    expect(gateBuckets(config({}), { ...key, apiKeyRateLimitPerMinute: 7 })[1]).toEqual({
      key: 'key:key_1',
      per_minute: 4,
    });
  });
});
