import { describe, expect, it } from 'vitest';
import { addMember, call, createTenant, env, expectOk, login, me, pagination, register } from '../helpers/harness';

const list = (token: string, query = '') => call('GET', `/api/v1/auth/sessions${query}`, { token });
const revoke = (token: string | undefined, id: string) => call('DELETE', `/api/v1/auth/sessions/${id}`, { token });

describe('GET /auth/sessions', () => {
  it('lists the caller’s live sessions in this organization, newest first, marking the current one', async () => {
    const user = await register();
    const second = expectOk(await login(user)).body.data.tokens;
    const third = expectOk(await login(user)).body.data.tokens;
    const res = expectOk(await list(second.access_token));
    const ids = res.body.data.map((s: { id: string }) => s.id);
    expect(ids).toEqual([third.session_id, second.session_id, user.sessionId]);
    expect(res.body.data.map((s: { current: boolean }) => s.current)).toEqual([false, true, false]);
    expect(res.body.data[0]).toEqual({
      id: third.session_id,
      created_at: expect.any(String),
      last_used_at: expect.any(String),
      expires_at: expect.any(String),
      ip: user.ip,
      user_agent: null,
      current: false,
    });
    expect(res.body.pagination).toMatchObject({ total: 3, page: 1, page_size: 20, has_next: false });
  });

  it('paginates', async () => {
    const user = await register();
    expectOk(await login(user));
    const last = expectOk(await login(user)).body.data.tokens;
    const page1 = expectOk(await list(last.access_token, '?page=1&page_size=2'));
    expect(page1.body.data).toHaveLength(2);
    expect(page1.body.pagination).toEqual(pagination(3, 1, 2));
    const page2 = expectOk(await list(last.access_token, '?page=2&page_size=2'));
    expect(page2.body.data.map((s: { id: string }) => s.id)).toEqual([user.sessionId]);
    expect(page2.body.pagination.has_previous).toBe(true);
  });

  it('leaves out revoked and expired sessions, and sessions in other organizations', async () => {
    const tenant = await register('tenant');
    const member = await addMember(tenant, 'member', { via: 'api' });
    // addMember registered the member in an organization of their own first: that session is elsewhere.
    const extra = expectOk(await login(member, tenant.orgId)).body.data.tokens;
    const expired = expectOk(await login(member, tenant.orgId)).body.data.tokens;
    await env.DB.prepare('UPDATE sessions SET expires_at = ? WHERE id = ?')
      .bind(new Date(Date.now() - 1000).toISOString(), expired.session_id)
      .run();
    expect((await revoke(member.accessToken, extra.session_id)).status).toBe(204);
    const res = expectOk(await list(member.accessToken));
    expect(res.body.data.map((s: { id: string }) => s.id)).toEqual([member.sessionId]);
    expect(res.body.pagination.total).toBe(1);
    // The tenant owner sees only their own session, never the member's.
    const owner = expectOk(await list(tenant.accessToken));
    expect(owner.body.data.map((s: { id: string }) => s.id)).toEqual([tenant.sessionId]);
  });

  it('validates the query and needs a signed-in user', async () => {
    const user = await register();
    for (const query of ['?page=0', '?page_size=101', '?page=abc', '?sort=created_at']) {
      const res = await list(user.accessToken, query);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
    }
    const none = await call('GET', '/api/v1/auth/sessions');
    expect(none.status).toBe(401);
    const tenant = await createTenant({ via: 'api' });
    const key = await list(tenant.apiKey);
    expect(key.status).toBe(403);
    expect(key.body.error.code).toBe('FORBIDDEN');
  });
});

describe('DELETE /auth/sessions/{id}', () => {
  it('signs out another of the caller’s sessions at once', async () => {
    const user = await register();
    const other = expectOk(await login(user)).body.data.tokens;
    const res = await revoke(user.accessToken, other.session_id);
    expect(res.status).toBe(204);
    expect((await me(other.access_token)).status).toBe(401);
    const refreshed = await call('POST', '/api/v1/auth/refresh', { body: { refresh_token: other.refresh_token } });
    expect(refreshed.status).toBe(401);
    expectOk(await me(user.accessToken));
    const row = await env.DB.prepare('SELECT revoke_reason FROM sessions WHERE id = ?')
      .bind(other.session_id)
      .first<{ revoke_reason: string }>();
    expect(row?.revoke_reason).toBe('revoked_by_user');
    // Already revoked: nothing left to revoke.
    expect((await revoke(user.accessToken, other.session_id)).status).toBe(404);
  });

  it('may end the current session, like logout', async () => {
    const user = await register();
    expect((await revoke(user.accessToken, user.sessionId)).status).toBe(204);
    expect((await me(user.accessToken)).status).toBe(401);
  });

  it('answers 404 for someone else’s session, in this tenant or another, and for unknown ids', async () => {
    const tenant = await register('tenant');
    const colleague = await addMember(tenant, 'admin', { via: 'api' });
    const stranger = await register('stranger');
    for (const id of [colleague.sessionId, stranger.sessionId, `ses_${'0'.repeat(32)}`]) {
      const res = await revoke(tenant.accessToken, id);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    }
    // Even the owner cannot end an admin's session through this route, and the stranger is untouched.
    expectOk(await me(colleague.accessToken));
    expectOk(await me(stranger.accessToken));
  });

  it('answers 404 for the caller’s own session in another organization', async () => {
    const tenant = await register('tenant');
    const member = await addMember(tenant, 'member', { via: 'api' });
    // `member` is signed in to the tenant; their registration session lives in their own organization.
    const ownOrgSession = await env.DB.prepare('SELECT id FROM sessions WHERE user_id = ? AND org_id != ?')
      .bind(member.userId, tenant.orgId)
      .first<{ id: string }>();
    expect((await revoke(member.accessToken, ownOrgSession!.id)).status).toBe(404);
  });

  it('validates the id and needs a signed-in user', async () => {
    const user = await register();
    const bad = await revoke(user.accessToken, 'not-an-id');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_ERROR');
    expect((await revoke(undefined, user.sessionId)).status).toBe(401);
    const tenant = await createTenant({ via: 'api' });
    const key = await revoke(tenant.apiKey, tenant.sessionId);
    expect(key.status).toBe(403);
    expectOk(await me(tenant.accessToken));
  });
});
