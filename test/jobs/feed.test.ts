import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { publishJobEvent } from '../../workers/lib/job-events';
import type { JobFeed } from '../../workers/objects/job-feed';
import { call, createTenant, env, expectOk, type TestTenant } from '../helpers/harness';
import { newScriptJob, openFeed, sleep } from './helpers';

const TICKETS = '/api/v1/jobs/feed/ticket';

const publish = async (tenant: TestTenant, message?: string) => {
  const job = await newScriptJob(tenant.orgId);
  const event = await publishJobEvent(env, tenant.orgId, job, 'job.status', message);
  if (!event) throw new Error('not published');
  return event;
};

const newTicket = async (tenant: TestTenant) => expectOk(await tenant.as('POST', TICKETS), 201).body.data;

const feedStub = (orgId: string) => env.JOB_FEED.get(env.JOB_FEED.idFromName(orgId));

describe('GET /jobs/feed (WebSocket)', () => {
  it("every event of a tenant reaches all of that tenant's sockets and none of another's", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const a1 = await openFeed({ authorization: `Bearer ${a.accessToken}` });
    const a2 = await openFeed({ authorization: `Bearer ${a.apiKey}` });
    const b1 = await openFeed({ authorization: `Bearer ${b.accessToken}` });
    for (const feed of [a1, a2, b1]) {
      expect(feed.status).toBe(101);
      await feed.waitFor((m) => m.some((x) => x.type === 'ready'));
    }
    expect(a1.messages[0]).toEqual({ type: 'ready', last_event_id: 0, replayed: 0, truncated: false });

    const e1 = await publish(a, 'first');
    const e2 = await publish(a);
    const eb = await publish(b);
    expect([e1.id, e2.id, eb.id]).toEqual([1, 2, 1]);
    await a1.waitFor(() => a1.events().length === 2);
    await a2.waitFor(() => a2.events().length === 2);
    await b1.waitFor(() => b1.events().length === 1);
    await sleep(100);
    expect(a1.events()).toEqual([e1, e2]);
    expect(a2.events()).toEqual([e1, e2]);
    expect(b1.events()).toEqual([eb]);
    expect(e1).toMatchObject({ type: 'job.status', status: 'queued', progress: 0, message: 'first' });
    for (const feed of [a1, a2, b1]) feed.ws.close();
  });

  it('answers pings and refuses unknown messages', async () => {
    const tenant = await createTenant();
    const feed = await openFeed({ authorization: `Bearer ${tenant.accessToken}` });
    feed.ws.send('{"type":"ping"}');
    feed.ws.send('{ "type": "ping" }');
    feed.ws.send('{"type":"subscribe"}');
    feed.ws.send('not json');
    await feed.waitFor((m) => m.length >= 5);
    expect(feed.messages.slice(1, 3)).toEqual([{ type: 'pong' }, { type: 'pong' }]);
    expect(feed.messages.slice(3).map((m) => m.type)).toEqual(['error', 'error']);
    feed.ws.close();
  });

  it('a client that reconnects with ?since gets the events it missed, in order, before live ones', async () => {
    const tenant = await createTenant();
    const first = await openFeed({ authorization: `Bearer ${tenant.accessToken}` });
    const e1 = await publish(tenant);
    await first.waitFor(() => first.events().length === 1);
    first.ws.close();
    const e2 = await publish(tenant);
    const e3 = await publish(tenant);

    const again = await openFeed({ authorization: `Bearer ${tenant.accessToken}` }, `?since=${e1.id}`);
    expect(again.status).toBe(101);
    await again.waitFor((m) => m.some((x) => x.type === 'ready'));
    const e4 = await publish(tenant);
    await again.waitFor(() => again.events().length === 3);
    expect(again.messages).toEqual([
      e2,
      e3,
      { type: 'ready', last_event_id: e3.id, replayed: 2, truncated: false },
      e4,
    ]);
    again.ws.close();
  });

  it('a resume message replays what happened before the connection, without repeating live events', async () => {
    const tenant = await createTenant();
    const e1 = await publish(tenant);
    const e2 = await publish(tenant);
    const feed = await openFeed({ authorization: `Bearer ${tenant.accessToken}` });
    await feed.waitFor((m) => m.some((x) => x.type === 'ready'));
    const e3 = await publish(tenant);
    await feed.waitFor(() => feed.events().length === 1);
    feed.ws.send(JSON.stringify({ type: 'resume', since: 0 }));
    await feed.waitFor((m) => m.some((x) => x.type === 'resumed'));
    expect(feed.messages.slice(1)).toEqual([
      e3,
      e1,
      e2,
      { type: 'resumed', last_event_id: e2.id, replayed: 2, truncated: false },
    ]);
    feed.ws.send(JSON.stringify({ type: 'resume', since: -1 }));
    await feed.waitFor((m) => m.at(-1)?.type === 'error');
    feed.ws.close();
  });

  it('reports truncated when the asked-for events were pruned', async () => {
    const tenant = await createTenant();
    await publish(tenant);
    const e2 = await publish(tenant);
    await runInDurableObject(feedStub(tenant.orgId), (_instance: JobFeed, state) => {
      state.storage.sql.exec('DELETE FROM events WHERE id = 1');
    });
    const feed = await openFeed({ authorization: `Bearer ${tenant.accessToken}` }, '?since=0');
    await feed.waitFor((m) => m.some((x) => x.type === 'ready'));
    expect(feed.messages).toEqual([e2, { type: 'ready', last_event_id: 2, replayed: 1, truncated: true }]);
    feed.ws.close();
  });

  it('keeps the last 1,000 events', async () => {
    const tenant = await createTenant();
    const stub = feedStub(tenant.orgId);
    const job = await newScriptJob(tenant.orgId);
    const { jobEvent } = await import('@flowspark/jobs');
    for (let i = 0; i < 1005; i++) await stub.publish(jobEvent(job, 'job.progress'));
    const kept = await runInDurableObject(stub, (_instance: JobFeed, state) =>
      state.storage.sql.exec<{ n: number; low: number }>('SELECT count(*) AS n, min(id) AS low FROM events').one(),
    );
    expect(kept).toEqual({ n: 1000, low: 6 });
  });

  it('sockets survive hibernation: after eviction they still receive events', async () => {
    const tenant = await createTenant();
    const one = await openFeed({ authorization: `Bearer ${tenant.accessToken}` });
    const two = await openFeed({ authorization: `Bearer ${tenant.apiKey}` });
    await one.waitFor((m) => m.length === 1);
    await two.waitFor((m) => m.length === 1);
    const stub = feedStub(tenant.orgId);
    const before = await publish(tenant);
    await evictDurableObject(stub);
    const sockets = await runInDurableObject(stub, (_instance: JobFeed, state) =>
      state.getWebSockets().map((ws) => ws.deserializeAttachment()),
    );
    expect(sockets).toHaveLength(2);
    expect(sockets[0]).toMatchObject({ org_id: tenant.orgId, user_id: tenant.userId, hwm: 0 });
    const after = await publish(tenant);
    expect(after.id).toBe(before.id + 1);
    await one.waitFor(() => one.events().length === 2);
    await two.waitFor(() => two.events().length === 2);
    expect(one.events()).toEqual([before, after]);
    // A resume after eviction still knows where the socket started.
    one.ws.send(JSON.stringify({ type: 'resume', since: 0 }));
    await one.waitFor((m) => m.some((x) => x.type === 'resumed'));
    expect(one.messages.at(-1)).toEqual({ type: 'resumed', last_event_id: 0, replayed: 0, truncated: false });
    one.ws.close();
    two.ws.close();
  });

  it('refuses a request that is not a WebSocket upgrade (426) and bad parameters (400)', async () => {
    const tenant = await createTenant();
    const res = await call('GET', '/api/v1/jobs/feed', { token: tenant.accessToken });
    expect(res.status).toBe(426);
    expect(res.headers.get('upgrade')).toBe('websocket');
    expect(res.body).toMatchObject({
      success: false,
      error: { code: 'UPGRADE_REQUIRED' },
    });
    for (const query of ['?since=-1', '?since=x', '?token=abc']) {
      const bad = await openFeed({ authorization: `Bearer ${tenant.accessToken}` }, query);
      expect(bad.status, query).toBe(400);
      expect(bad.body.error.code).toBe('VALIDATION_ERROR');
    }
  });

  it('needs a bearer token with jobs:read or a ticket', async () => {
    const tenant = await createTenant();
    const none = await openFeed({});
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('UNAUTHENTICATED');
    expect((await openFeed({ authorization: 'Bearer nope' })).status).toBe(401);
    const key = expectOk(
      await tenant.as('POST', '/api/v1/api-keys', { body: { name: 'narrow', scopes: ['profile:read'] } }),
      201,
    ).body.data.key;
    const narrow = await openFeed({ authorization: `Bearer ${key}` });
    expect(narrow.status).toBe(403);
    expect(narrow.body.error.code).toBe('INSUFFICIENT_SCOPE');
    const ok = await openFeed({ authorization: `Bearer ${tenant.accessToken}` });
    expect(ok.status).toBe(101);
    // A free tenant's user may spend half of the tenant's 120 per minute.
    expect(ok.response.headers.get('ratelimit-limit')).toBe('60');
    ok.ws.close();
  });
});

describe('JobFeed object', () => {
  it("refuses a connection for a tenant that is not the object's own", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const headers = { Upgrade: 'websocket', 'x-flowspark-feed-user': b.userId };
    const wrong = await feedStub(a.orgId).fetch(
      new Request('https://job-feed/connect', { headers: { ...headers, 'x-flowspark-feed-org': b.orgId } }),
    );
    expect(wrong.status).toBe(403);
    const missing = await feedStub(a.orgId).fetch(new Request('https://job-feed/connect', { headers }));
    expect(missing.status).toBe(400);
    const plain = await feedStub(a.orgId).fetch(new Request('https://job-feed/connect'));
    expect(plain.status).toBe(426);
  });
});

describe('job feed tickets', () => {
  it('a ticket opens the feed once, as a subprotocol echoed in the 101', async () => {
    const tenant = await createTenant();
    const started = Date.now();
    const data = await newTicket(tenant);
    expect(data).toEqual({
      ticket: expect.stringMatching(new RegExp(`^${tenant.orgId}\\.[A-Za-z0-9_-]{43}$`)),
      expires_in: 60,
      url: 'ws://localhost/api/v1/jobs/feed',
      protocol: `flowspark.ticket.${data.ticket}`,
    });
    const feed = await openFeed({ 'sec-websocket-protocol': `flowspark.v1, ${data.protocol}` });
    expect(feed.status).toBe(101);
    expect(feed.response.headers.get('sec-websocket-protocol')).toBe(data.protocol);
    // The ticket and this connection are the credential's first two requests (of 60 a minute: one
    // token back per second, so a slow run may see a refill in between).
    const remaining = Number(feed.response.headers.get('ratelimit-remaining'));
    expect(remaining).toBeGreaterThanOrEqual(58);
    expect(remaining).toBeLessThanOrEqual(Math.min(59, 58 + Math.floor((Date.now() - started) / 1000)));
    const event = await publish(tenant);
    await feed.waitFor(() => feed.events().length === 1);
    expect(feed.events()).toEqual([event]);

    const reused = await openFeed({ 'sec-websocket-protocol': data.protocol });
    expect(reused.status).toBe(401);
    expect(reused.body.error.code).toBe('INVALID_TOKEN');
    feed.ws.close();
  });

  it('an expired ticket is refused', async () => {
    const tenant = await createTenant();
    const data = await newTicket(tenant);
    await runInDurableObject(feedStub(tenant.orgId), (_instance: JobFeed, state) => {
      state.storage.sql.exec('UPDATE tickets SET expires = ?', Date.now() - 1);
    });
    const feed = await openFeed({ 'sec-websocket-protocol': data.protocol });
    expect(feed.status).toBe(401);
  });

  it("a ticket cannot open another tenant's feed, nor be forged", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const data = await newTicket(a);
    const random = data.ticket.split('.')[1];
    const moved = await openFeed({ 'sec-websocket-protocol': `flowspark.ticket.${b.orgId}.${random}` });
    expect(moved.status).toBe(401);
    for (const forged of [
      'flowspark.ticket.',
      'flowspark.ticket.abc',
      `flowspark.ticket.${a.orgId}.${'A'.repeat(43)}`,
    ]) {
      expect((await openFeed({ 'sec-websocket-protocol': forged })).status, forged).toBe(401);
    }
    // Still unused: it opens A's feed, which never carries B's events.
    const feed = await openFeed({ 'sec-websocket-protocol': data.protocol });
    expect(feed.status).toBe(101);
    await publish(b);
    const own = await publish(a);
    await feed.waitFor(() => feed.events().length >= 1);
    await sleep(100);
    expect(feed.events()).toEqual([own]);
    feed.ws.close();
  });

  it('a ticket of a revoked session is refused', async () => {
    const tenant = await createTenant();
    const data = await newTicket(tenant);
    expectOk(await tenant.as('POST', '/api/v1/auth/logout', { body: {} }), 204);
    const feed = await openFeed({ 'sec-websocket-protocol': data.protocol });
    expect(feed.status).toBe(401);
    expect(feed.body.error.message).toContain('revoked');
  });

  it('POST /jobs/feed/ticket needs authentication and jobs:read', async () => {
    const tenant = await createTenant();
    expect((await call('POST', TICKETS)).status).toBe(401);
    const key = expectOk(
      await tenant.as('POST', '/api/v1/api-keys', { body: { name: 'narrow', scopes: ['profile:read'] } }),
      201,
    ).body.data.key;
    const res = await call('POST', TICKETS, { token: key });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('INSUFFICIENT_SCOPE');
    const viaKey = expectOk(await call('POST', TICKETS, { token: tenant.apiKey }), 201).body.data;
    expect((await openFeed({ 'sec-websocket-protocol': viaKey.protocol })).status).toBe(101);
  });
});
