import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { publishJobEvent } from '../../workers/lib/job-events';
import type { JobFeed } from '../../workers/objects/job-feed';
import {
  addMember,
  call,
  createTenant,
  env,
  expectOk,
  login,
  PASSWORD,
  register,
  type TestTenant,
  type TestUser,
} from '../helpers/harness';
import { newScriptJob, openFeed } from './helpers';

/** Sockets of credentials that ended: closed by the feed with these codes, never reopened by it. */
const REVOKED = { code: 4401, reason: 'credentials revoked' };
const MEMBERSHIP_ENDED = { code: 4403, reason: 'membership ended' };

const CLOSE_TIMEOUT_MS = 3000;

const publish = async (orgId: string) => {
  const job = await newScriptJob(orgId);
  const event = await publishJobEvent(env, orgId, job, 'job.status');
  if (!event) throw new Error('not published');
  return event;
};

const feedStub = (orgId: string) => env.JOB_FEED.get(env.JOB_FEED.idFromName(orgId));

type Closed = { code: number; reason: string };

/** An open feed socket that records how it was closed; `closed()` waits for that, within a bound. */
const connect = async (headers: Record<string, string>) => {
  const feed = await openFeed(headers);
  expect(feed.status, JSON.stringify(feed.body)).toBe(101);
  let closedWith: Closed | undefined;
  const closing = new Promise<Closed>((resolve) => {
    feed.ws.addEventListener('close', (event) => {
      closedWith = { code: event.code, reason: event.reason };
      resolve(closedWith);
    });
  });
  await feed.waitFor((m) => m.some((x) => x.type === 'ready'));
  return {
    ...feed,
    closedWith: () => closedWith,
    closed: () =>
      Promise.race([
        closing,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`socket not closed within ${CLOSE_TIMEOUT_MS} ms`)), CLOSE_TIMEOUT_MS),
        ),
      ]),
  };
};

type Feed = Awaited<ReturnType<typeof connect>>;

const bearer = (token: string) => connect({ authorization: `Bearer ${token}` });

const viaTicket = async (token: string) => {
  const ticket = expectOk(await call('POST', '/api/v1/jobs/feed/ticket', { token }), 201).body.data;
  return connect({ 'sec-websocket-protocol': ticket.protocol });
};

const newApiKey = async (token: string) =>
  expectOk(await call('POST', '/api/v1/api-keys', { token, body: { name: 'feed', scopes: ['jobs:read'] } }), 201).body
    .data as { id: string; key: string };

/** Every socket got the event, proving it was live before the revocation. */
const allReceive = async (orgId: string, feeds: Feed[]) => {
  const event = await publish(orgId);
  for (const feed of feeds) await feed.waitFor(() => feed.events().some((e) => e.id === event.id));
  return event;
};

/**
 * After the revocation: the closed sockets report `expected`, the survivors are still open and get
 * the next event, and no closed socket got it (a close frame is the last thing a socket receives).
 */
const expectClosedAndSurvivors = async (orgId: string, closed: Feed[], expected: Closed, survivors: Feed[]) => {
  for (const feed of closed) expect(await feed.closed()).toEqual(expected);
  const next = await allReceive(orgId, survivors);
  for (const feed of survivors) expect(feed.closedWith()).toBeUndefined();
  for (const feed of closed) expect(feed.events().map((e) => e.id)).not.toContain(next.id);
  for (const feed of survivors) feed.ws.close();
};

/** A second session of the same user in the same organization. */
const secondSession = async (user: Pick<TestUser, 'email' | 'password' | 'ip'>, orgId: string) =>
  expectOk(await login(user, orgId)).body.data.tokens as { access_token: string; session_id: string };

describe('job feed sockets end with the credential that opened them', () => {
  it("member removal closes the member's sockets (bearer, ticket, API key) while other members keep theirs", async () => {
    const tenant = await createTenant();
    const member = await addMember(tenant, 'member');
    const colleague = await addMember(tenant, 'member');
    const key = await newApiKey(member.accessToken);
    const gone = [await bearer(member.accessToken), await viaTicket(member.accessToken), await bearer(key.key)];
    const stays = [await bearer(tenant.accessToken), await bearer(colleague.accessToken)];
    await allReceive(tenant.orgId, [...gone, ...stays]);

    expectOk(await tenant.as('DELETE', `/api/v1/organizations/current/members/${member.userId}`), 204);
    await expectClosedAndSurvivors(tenant.orgId, gone, MEMBERSHIP_ENDED, stays);
    // And it cannot come back with what it had.
    expect((await openFeed({ authorization: `Bearer ${member.accessToken}` })).status).toBe(401);
    expect((await openFeed({ authorization: `Bearer ${key.key}` })).status).toBe(401);
  });

  it("removal from one organization leaves the user's sockets in another open", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const now = new Date().toISOString();
    await env.DB.prepare(
      "INSERT INTO memberships (id, org_id, user_id, role, created_at, updated_at) VALUES (?, ?, ?, 'member', ?, ?)",
    )
      .bind(`mem_${crypto.randomUUID().replaceAll('-', '')}`, a.orgId, b.userId, now, now)
      .run();
    const inA = await bearer((await secondSession(b, a.orgId)).access_token);
    const inB = await bearer(b.accessToken);
    await allReceive(a.orgId, [inA]);

    expectOk(await a.as('DELETE', `/api/v1/organizations/current/members/${b.userId}`), 204);
    expect(await inA.closed()).toEqual(MEMBERSHIP_ENDED);
    await allReceive(b.orgId, [inB]);
    expect(inB.closedWith()).toBeUndefined();
    inB.ws.close();
  });

  it("logout closes the session's sockets, bearer and ticket, and no other session's", async () => {
    const tenant = await createTenant();
    const other = await secondSession(tenant, tenant.orgId);
    const gone = [await bearer(tenant.accessToken), await viaTicket(tenant.accessToken)];
    const stays = [await bearer(other.access_token), await bearer(tenant.apiKey)];
    await allReceive(tenant.orgId, [...gone, ...stays]);

    expectOk(await tenant.as('POST', '/api/v1/auth/logout', { body: {} }), 204);
    await expectClosedAndSurvivors(tenant.orgId, gone, REVOKED, stays);
  });

  it('revoking a session with DELETE /auth/sessions/{id} closes its sockets', async () => {
    const tenant = await createTenant();
    const other = await secondSession(tenant, tenant.orgId);
    const gone = [await bearer(other.access_token), await viaTicket(other.access_token)];
    const stays = [await bearer(tenant.accessToken)];
    await allReceive(tenant.orgId, [...gone, ...stays]);

    expectOk(await tenant.as('DELETE', `/api/v1/auth/sessions/${other.session_id}`), 204);
    await expectClosedAndSurvivors(tenant.orgId, gone, REVOKED, stays);
  });

  it("a password change closes the other sessions' sockets and keeps the current one's", async () => {
    const tenant = await createTenant();
    const other = await secondSession(tenant, tenant.orgId);
    const gone = [await bearer(other.access_token)];
    const stays = [await bearer(tenant.accessToken)];
    await allReceive(tenant.orgId, [...gone, ...stays]);

    expectOk(
      await tenant.as('POST', '/api/v1/auth/password/change', {
        body: { current_password: PASSWORD, new_password: 'a different horse battery staple' },
      }),
    );
    await expectClosedAndSurvivors(tenant.orgId, gone, REVOKED, stays);
  });

  it("revoking an API key closes the sockets it opened (bearer and ticket), not its owner's others", async () => {
    const tenant = await createTenant();
    const key = await newApiKey(tenant.accessToken);
    const gone = [await bearer(key.key), await viaTicket(key.key)];
    const stays = [await bearer(tenant.accessToken), await bearer(tenant.apiKey)];
    await allReceive(tenant.orgId, [...gone, ...stays]);

    expectOk(await tenant.as('DELETE', `/api/v1/api-keys/${key.id}`), 204);
    await expectClosedAndSurvivors(tenant.orgId, gone, REVOKED, stays);
  });

  it('a ticket issued before its API key was revoked is refused at the handshake', async () => {
    const tenant = await createTenant();
    const key = await newApiKey(tenant.accessToken);
    const ticket = expectOk(await call('POST', '/api/v1/jobs/feed/ticket', { token: key.key }), 201).body.data;
    expectOk(await tenant.as('DELETE', `/api/v1/api-keys/${key.id}`), 204);
    const stays = await bearer(tenant.accessToken);

    // The tenant gate knows the key is revoked, so the ticket's admission fails before any socket.
    const late = await openFeed({ 'sec-websocket-protocol': ticket.protocol });
    expect(late.status).toBe(401);
    expect(late.ws).toBeNull();
    expect(late.body).toMatchObject({
      error: { code: 'INVALID_TOKEN', message: 'API key is invalid, revoked or expired' },
    });
    await allReceive(tenant.orgId, [stays]);
    stays.ws.close();
  });

  it('the RPC closes only the sockets that match, in its own tenant, and counts them', async () => {
    const tenant = await createTenant();
    const member = await addMember(tenant, 'viewer');
    const mine = [await bearer(tenant.accessToken), await bearer(tenant.apiKey)];
    const theirs = await bearer(member.accessToken);
    const stub = feedStub(tenant.orgId);
    expect(await stub.closeConnections({ userIds: ['usr_unknown'], sessionIds: [], apiKeyIds: ['key_unknown'] })).toBe(
      0,
    );
    // Another tenant's feed knows nothing of these sockets.
    expect(await feedStub((await createTenant()).orgId).closeConnections({ userIds: [tenant.userId] })).toBe(0);
    expect(await stub.closeConnections({ userIds: [tenant.userId], sessionIds: [tenant.sessionId] })).toBe(2);
    for (const feed of mine) expect(await feed.closed()).toEqual(MEMBERSHIP_ENDED);
    await allReceive(tenant.orgId, [theirs]);
    theirs.ws.close();
  });
});

describe('job feed sockets are checked again when the feed wakes', () => {
  /** Credentials ended in D1 alone, behind the feed's back: only the check on waking can notice. */
  const revokeBehindTheFeedsBack = async (tenant: TestTenant, sessionId: string, apiKeyId: string, member: string) => {
    const now = new Date().toISOString();
    await env.DB.batch([
      env.DB.prepare('UPDATE sessions SET revoked_at = ? WHERE id = ?').bind(now, sessionId),
      env.DB.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ?').bind(now, apiKeyId),
      env.DB.prepare('DELETE FROM memberships WHERE org_id = ? AND user_id = ?').bind(tenant.orgId, member),
    ]);
  };

  it('after an eviction, the first event closes the sockets of credentials revoked meanwhile and reaches the rest', async () => {
    const tenant = await createTenant();
    const other = await secondSession(tenant, tenant.orgId);
    const member = await addMember(tenant, 'member');
    const key = await newApiKey(tenant.accessToken);
    const revokedSession = await bearer(other.access_token);
    const revokedKey = await bearer(key.key);
    const removed = await bearer(member.accessToken);
    const stays = [await bearer(tenant.accessToken), await bearer(tenant.apiKey)];
    await allReceive(tenant.orgId, [revokedSession, revokedKey, removed, ...stays]);

    await revokeBehindTheFeedsBack(tenant, other.session_id, key.id, member.userId);
    const stub = feedStub(tenant.orgId);
    await evictDurableObject(stub);
    const next = publish(tenant.orgId);
    expect(await revokedSession.closed()).toEqual(REVOKED);
    expect(await revokedKey.closed()).toEqual(REVOKED);
    expect(await removed.closed()).toEqual(MEMBERSHIP_ENDED);
    const event = await next;
    for (const feed of stays) await feed.waitFor(() => feed.events().some((e) => e.id === event.id));
    for (const feed of [revokedSession, revokedKey, removed]) {
      expect(feed.events().map((e) => e.id)).not.toContain(event.id);
    }
    for (const feed of stays) expect(feed.closedWith()).toBeUndefined();
    const left = await runInDurableObject(
      stub,
      (_instance: JobFeed, state) => state.getWebSockets().filter((ws) => ws.readyState === WebSocket.OPEN).length,
    );
    expect(left).toBe(2);
    for (const feed of stays) feed.ws.close();
  });

  it('a woken feed checks before answering a message from a revoked socket', async () => {
    const tenant = await createTenant();
    const other = await secondSession(tenant, tenant.orgId);
    const revoked = await bearer(other.access_token);
    const stays = await bearer(tenant.accessToken);
    await env.DB.prepare('UPDATE sessions SET revoked_at = ? WHERE id = ?')
      .bind(new Date().toISOString(), other.session_id)
      .run();
    await evictDurableObject(feedStub(tenant.orgId));

    const before = revoked.messages.length;
    revoked.ws.send(JSON.stringify({ type: 'resume', since: 0 }));
    expect(await revoked.closed()).toEqual(REVOKED);
    expect(revoked.messages.length).toBe(before);
    stays.ws.send(JSON.stringify({ type: 'resume', since: 0 }));
    await stays.waitFor((m) => m.some((x) => x.type === 'resumed'));
    expect(stays.closedWith()).toBeUndefined();
    stays.ws.close();
  });

  it('a deactivated user and an expired API key fail the check too', async () => {
    const tenant = await createTenant();
    const user = await register('deactivated');
    const key = await newApiKey(tenant.accessToken);
    const deactivated = await bearer(user.accessToken);
    const expired = await bearer(key.key);
    const stays = await bearer(tenant.accessToken);
    await env.DB.batch([
      env.DB.prepare('UPDATE users SET is_active = 0 WHERE id = ?').bind(user.userId),
      env.DB.prepare('UPDATE api_keys SET expires_at = ? WHERE id = ?').bind('2000-01-01T00:00:00.000Z', key.id),
    ]);
    await evictDurableObject(feedStub(user.orgId));
    await evictDurableObject(feedStub(tenant.orgId));
    await publish(user.orgId);
    await publish(tenant.orgId);
    expect(await deactivated.closed()).toEqual(MEMBERSHIP_ENDED);
    expect(await expired.closed()).toEqual(REVOKED);
    await allReceive(tenant.orgId, [stays]);
    stays.ws.close();
  });
});
