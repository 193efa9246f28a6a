import { describe, expect, it } from 'vitest';
import { addMember, call, createTenant, env, expectError, expectOk, ISO_TIME, type TestUser } from '../helpers/harness';

const MEMBERS = '/api/v1/organizations/current/members';

const roleOf = async (orgId: string, userId: string) =>
  (
    await env.DB.prepare('SELECT role FROM memberships WHERE org_id = ? AND user_id = ?')
      .bind(orgId, userId)
      .first<{ role: string }>()
  )?.role ?? null;

/** The claims of an access token (tests only read them; the server verifies). */
const claimsOf = (token: string) => {
  const payload = token.split('.')[1]!.replaceAll('-', '+').replaceAll('_', '/');
  return JSON.parse(atob(payload)) as { role: string; tid: string; sub: string };
};

const refresh = (user: Pick<TestUser, 'refreshToken' | 'ip'>) =>
  call('POST', '/api/v1/auth/refresh', {
    body: { refresh_token: user.refreshToken },
    headers: { 'cf-connecting-ip': user.ip },
  });

const patchRole = (token: string, userId: string, role: string) =>
  call('PATCH', `${MEMBERS}/${userId}`, { token, body: { role } });

const removeMember = (token: string, userId: string) => call('DELETE', `${MEMBERS}/${userId}`, { token });

describe('GET /api/v1/organizations/current/members', () => {
  it('lists members oldest first with their roles, paginated', async () => {
    const tenant = await createTenant();
    const admin = await addMember(tenant, 'admin');
    const viewer = await addMember(tenant, 'viewer');
    const res = expectOk(await tenant.as('GET', MEMBERS));
    expect(res.body.data).toEqual([
      expect.objectContaining({ user_id: tenant.userId, email: tenant.email, role: 'owner', name: 'Test owner' }),
      expect.objectContaining({ user_id: admin.userId, email: admin.email, role: 'admin' }),
      expect.objectContaining({ user_id: viewer.userId, email: viewer.email, role: 'viewer' }),
    ]);
    expect(Object.keys(res.body.data[0]).sort()).toEqual(['email', 'joined_at', 'name', 'role', 'user_id']);
    expect(res.body.pagination).toMatchObject({ total: 3, page: 1, page_size: 20, total_pages: 1 });

    const page2 = expectOk(await tenant.as('GET', `${MEMBERS}?page=2&page_size=2`));
    expect(page2.body.data.map((m: { user_id: string }) => m.user_id)).toEqual([viewer.userId]);
    expect(page2.body.pagination).toMatchObject({ total: 3, page: 2, total_pages: 2, has_previous: true });
  });

  it('filters by role and refuses unknown roles or query parameters', async () => {
    const tenant = await createTenant();
    const viewer = await addMember(tenant, 'viewer');
    await addMember(tenant, 'member');
    const viewers = expectOk(await tenant.as('GET', `${MEMBERS}?role=viewer`));
    expect(viewers.body.data.map((m: { user_id: string }) => m.user_id)).toEqual([viewer.userId]);
    expect(viewers.body.pagination.total).toBe(1);
    expectError(await tenant.as('GET', `${MEMBERS}?role=superuser`), 400, 'VALIDATION_ERROR');
    expectError(await tenant.as('GET', `${MEMBERS}?sort=email`), 400, 'VALIDATION_ERROR');
    expectError(await tenant.as('GET', `${MEMBERS}?page_size=101`), 400, 'VALIDATION_ERROR');
  });

  it('is readable by viewers and API keys but not anonymously', async () => {
    const tenant = await createTenant();
    const viewer = await addMember(tenant, 'viewer');
    expect(expectOk(await call('GET', MEMBERS, { token: viewer.accessToken })).body.pagination.total).toBe(2);
    expect(expectOk(await call('GET', MEMBERS, { token: tenant.apiKey })).body.pagination.total).toBe(2);
    expectError(await call('GET', MEMBERS), 401, 'UNAUTHENTICATED');
  });

  it('two tenants never see each other’s members', async () => {
    const a = await createTenant();
    const b = await createTenant();
    const aMember = await addMember(a, 'member');
    const bIds = expectOk(await b.as('GET', MEMBERS)).body.data.map((m: { user_id: string }) => m.user_id);
    expect(bIds).toEqual([b.userId]);
    const aIds = expectOk(await a.as('GET', MEMBERS)).body.data.map((m: { user_id: string }) => m.user_id);
    expect(aIds).toEqual([a.userId, aMember.userId]);
  });
});

describe('PATCH /api/v1/organizations/current/members/{user_id}', () => {
  it('changes a role; the old access token stops working and a refreshed one carries the new role', async () => {
    const tenant = await createTenant();
    const member = await addMember(tenant, 'member');
    const res = expectOk(await patchRole(tenant.accessToken, member.userId, 'admin'));
    expect(res.body.data).toMatchObject({ user_id: member.userId, email: member.email, role: 'admin' });
    expect(await roleOf(tenant.orgId, member.userId)).toBe('admin');

    expectError(await call('GET', MEMBERS, { token: member.accessToken }), 401, 'INVALID_TOKEN');
    // The tenant gate treats every token issued in the second of the change as stale (iat has
    // one-second resolution), so a refresh in that same second would yield a token it also rejects.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const refreshed = expectOk(await refresh(member));
    const access = refreshed.body.data.access_token;
    expect(claimsOf(access).role).toBe('admin');
    // The new role's powers apply: admins may rename the organization, members may not.
    expectOk(await call('PUT', '/api/v1/organizations/current', { token: access, body: { name: 'Promoted' } }));
  });

  it('refuses members and viewers (INSUFFICIENT_SCOPE) and anonymous callers', async () => {
    const tenant = await createTenant();
    const target = await addMember(tenant, 'viewer');
    for (const role of ['member', 'viewer'] as const) {
      const user = await addMember(tenant, role);
      expectError(await patchRole(user.accessToken, target.userId, 'admin'), 403, 'INSUFFICIENT_SCOPE');
    }
    expectError(
      await call('PATCH', `${MEMBERS}/${target.userId}`, { body: { role: 'admin' } }),
      401,
      'UNAUTHENTICATED',
    );
    expect(await roleOf(tenant.orgId, target.userId)).toBe('viewer');
  });

  it('validates the body and the id', async () => {
    const tenant = await createTenant();
    const member = await addMember(tenant, 'member');
    const path = `${MEMBERS}/${member.userId}`;
    const badRole = await tenant.as('PATCH', path, { body: { role: 'superuser' } });
    expectError(badRole, 400, 'VALIDATION_ERROR');
    expect(Object.keys(badRole.body.error.details.fields)).toContain('role');
    const unknown = await tenant.as('PATCH', path, { body: { role: 'admin', email: 'x@example.test' } });
    expectError(unknown, 400, 'VALIDATION_ERROR');
    expect(JSON.stringify(unknown.body.error.details)).toContain('email');
    expectError(await tenant.as('PATCH', path, { body: {} }), 400, 'VALIDATION_ERROR');
    expectError(await tenant.as('PATCH', path, { body: { role: 3 } }), 400, 'VALIDATION_ERROR');
    expectError(
      await tenant.as('PATCH', path, { rawBody: '{"role":', headers: { 'content-type': 'application/json' } }),
      400,
      'MALFORMED_JSON',
    );
    expectError(await tenant.as('PATCH', `${MEMBERS}/not-an-id`, { body: { role: 'admin' } }), 400, 'VALIDATION_ERROR');
    expect(await roleOf(tenant.orgId, member.userId)).toBe('member');
  });

  it("is 404 for unknown users and for another tenant's member, which stays unchanged", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const bMember = await addMember(b, 'member');
    expectError(await patchRole(a.accessToken, bMember.userId, 'admin'), 404, 'NOT_FOUND');
    expectError(await patchRole(a.accessToken, b.userId, 'viewer'), 404, 'NOT_FOUND');
    expectError(await patchRole(a.accessToken, `usr_${'0'.repeat(32)}`, 'admin'), 404, 'NOT_FOUND');
    expect(await roleOf(b.orgId, bMember.userId)).toBe('member');
    expect(await roleOf(b.orgId, b.userId)).toBe('owner');
  });

  it('admins manage non-owners but can neither demote an owner nor grant owner', async () => {
    const tenant = await createTenant();
    const admin = await addMember(tenant, 'admin');
    const member = await addMember(tenant, 'member');
    expect(expectOk(await patchRole(admin.accessToken, member.userId, 'viewer')).body.data.role).toBe('viewer');

    const demote = await patchRole(admin.accessToken, tenant.userId, 'member');
    expectError(demote, 403, 'FORBIDDEN');
    expect(demote.body.error.message).toMatch(/owner/);
    expectError(await patchRole(admin.accessToken, member.userId, 'owner'), 403, 'FORBIDDEN');
    expect(await roleOf(tenant.orgId, tenant.userId)).toBe('owner');
    expect(await roleOf(tenant.orgId, member.userId)).toBe('viewer');
  });

  it('nobody changes their own role, except an owner stepping down while another owner remains', async () => {
    const tenant = await createTenant();
    const admin = await addMember(tenant, 'admin');
    expectError(await patchRole(admin.accessToken, admin.userId, 'member'), 403, 'FORBIDDEN');

    const last = await patchRole(tenant.accessToken, tenant.userId, 'admin');
    expectError(last, 409, 'CONFLICT');
    expect(last.body.error.message).toMatch(/last owner/);
    expect(await roleOf(tenant.orgId, tenant.userId)).toBe('owner');

    expect(expectOk(await patchRole(tenant.accessToken, admin.userId, 'owner')).body.data.role).toBe('owner');
    expect(expectOk(await patchRole(tenant.accessToken, tenant.userId, 'admin')).body.data.role).toBe('admin');
    expect(await roleOf(tenant.orgId, tenant.userId)).toBe('admin');
    expect(await roleOf(tenant.orgId, admin.userId)).toBe('owner');
  });
});

describe('DELETE /api/v1/organizations/current/members/{user_id}', () => {
  it('removes a member: their access token, refresh token and API key stop working at once', async () => {
    const tenant = await createTenant();
    const member = await addMember(tenant, 'member');
    const key = expectOk(
      await call('POST', '/api/v1/api-keys', { token: member.accessToken, body: { name: 'mine', scopes: ['*'] } }),
      201,
    );
    expectOk(await call('GET', '/api/v1/organizations/current', { token: key.body.data.key }));

    const res = await removeMember(tenant.accessToken, member.userId);
    expect(res.status).toBe(204);
    expect(await roleOf(tenant.orgId, member.userId)).toBeNull();
    const ids = expectOk(await tenant.as('GET', MEMBERS)).body.data.map((m: { user_id: string }) => m.user_id);
    expect(ids).toEqual([tenant.userId]);

    expectError(
      await call('GET', '/api/v1/organizations/current', { token: member.accessToken }),
      401,
      'INVALID_TOKEN',
    );
    expect((await refresh(member)).status).toBe(401);
    expect((await call('GET', '/api/v1/organizations/current', { token: key.body.data.key })).status).toBe(401);
    const keyRow = await env.DB.prepare('SELECT revoked_at FROM api_keys WHERE id = ?')
      .bind(key.body.data.id)
      .first<{ revoked_at: string | null }>();
    expect(keyRow?.revoked_at).toMatch(ISO_TIME);
    const sessions = await env.DB.prepare(
      'SELECT count(*) AS n FROM sessions WHERE user_id = ? AND org_id = ? AND revoked_at IS NULL',
    )
      .bind(member.userId, tenant.orgId)
      .first<{ n: number }>();
    expect(sessions?.n).toBe(0);
  });

  it('the removed user can still sign in to their own organization', async () => {
    const tenant = await createTenant();
    const member = await addMember(tenant, 'member');
    // addMember registered the user with an organization of their own.
    const own = await env.DB.prepare('SELECT default_org_id FROM users WHERE id = ?')
      .bind(member.userId)
      .first<{ default_org_id: string }>();
    expect((await removeMember(tenant.accessToken, member.userId)).status).toBe(204);
    const login = expectOk(
      await call('POST', '/api/v1/auth/login', {
        body: { email: member.email, password: member.password },
        headers: { 'cf-connecting-ip': member.ip },
      }),
    );
    expect(login.body.data.organization.id).toBe(own?.default_org_id);
  });

  it('any member may leave; members and viewers cannot remove others', async () => {
    const tenant = await createTenant();
    const viewer = await addMember(tenant, 'viewer');
    const member = await addMember(tenant, 'member');
    expectError(await removeMember(viewer.accessToken, member.userId), 403, 'INSUFFICIENT_SCOPE');
    expectError(await removeMember(member.accessToken, viewer.userId), 403, 'INSUFFICIENT_SCOPE');
    expect(await roleOf(tenant.orgId, member.userId)).toBe('member');

    expect((await removeMember(viewer.accessToken, viewer.userId)).status).toBe(204);
    expect(await roleOf(tenant.orgId, viewer.userId)).toBeNull();
    expect((await call('GET', MEMBERS, { token: viewer.accessToken })).status).toBe(401);
  });

  it('an API key cannot make its creator leave without members:write', async () => {
    const tenant = await createTenant();
    const member = await addMember(tenant, 'member');
    const key = expectOk(
      await call('POST', '/api/v1/api-keys', { token: member.accessToken, body: { name: 'k', scopes: ['*'] } }),
      201,
    );
    expectError(await removeMember(key.body.data.key, member.userId), 403, 'INSUFFICIENT_SCOPE');
    expect(await roleOf(tenant.orgId, member.userId)).toBe('member');
  });

  it('admins remove non-owners but not owners; the last owner can neither leave nor be removed', async () => {
    const tenant = await createTenant();
    const admin = await addMember(tenant, 'admin');
    const other = await addMember(tenant, 'admin');
    expect((await removeMember(admin.accessToken, other.userId)).status).toBe(204);

    expectError(await removeMember(admin.accessToken, tenant.userId), 403, 'FORBIDDEN');
    const leave = await removeMember(tenant.accessToken, tenant.userId);
    expectError(leave, 409, 'CONFLICT');
    expect(leave.body.error.message).toMatch(/last owner/);
    expect(await roleOf(tenant.orgId, tenant.userId)).toBe('owner');
  });

  it('an owner can promote another member to owner and then leave', async () => {
    const tenant = await createTenant();
    const admin = await addMember(tenant, 'admin');
    expectOk(await patchRole(tenant.accessToken, admin.userId, 'owner'));
    expect((await removeMember(tenant.accessToken, tenant.userId)).status).toBe(204);
    expect(await roleOf(tenant.orgId, tenant.userId)).toBeNull();
    expect(await roleOf(tenant.orgId, admin.userId)).toBe('owner');
    expect((await call('GET', MEMBERS, { token: tenant.accessToken })).status).toBe(401);
    // The new owner is now the last one and cannot leave.
    await new Promise((resolve) => setTimeout(resolve, 1100)); // their old token went stale with the promotion
    const owner = expectOk(await refresh(admin)).body.data;
    const ownerToken = owner.access_token;
    expectError(await removeMember(ownerToken, admin.userId), 409, 'CONFLICT');
  });

  it("is 404 for another tenant's member and for unknown users, and 401 without auth", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const bMember = await addMember(b, 'member');
    expectError(await removeMember(a.accessToken, bMember.userId), 404, 'NOT_FOUND');
    expectError(await removeMember(a.accessToken, `usr_${'a'.repeat(32)}`), 404, 'NOT_FOUND');
    expectError(await removeMember(a.accessToken, 'usr_bad'), 400, 'VALIDATION_ERROR');
    expect(await roleOf(b.orgId, bMember.userId)).toBe('member');
    expectError(await call('DELETE', `${MEMBERS}/${bMember.userId}`), 401, 'UNAUTHENTICATED');
  });
});
