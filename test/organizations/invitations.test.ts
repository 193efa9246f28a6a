import { describe, expect, it } from 'vitest';
import {
  addMember,
  call,
  createTenant,
  env,
  expectError,
  expectOk,
  lastMailTo,
  login,
  nextIp,
  PASSWORD,
  register,
  type TestTenant,
  uniqueEmail,
} from '../helpers/harness';

const TOKEN_IN_MAIL = /fsi_[A-Za-z0-9_-]{43}/;

/** Invites an address as the tenant's owner and returns the invitation and the token from the mail. */
const invite = async (tenant: TestTenant, email: string, role?: string) => {
  const res = expectOk(
    await tenant.as('POST', '/api/v1/invitations', { body: role ? { email, role } : { email } }),
    201,
  );
  const mail = await lastMailTo(email);
  const token = mail?.body.match(TOKEN_IN_MAIL)?.[0];
  if (!token) throw new Error(`no invitation token mailed to ${email}`);
  return { invitation: res.body.data, token, mail: mail! };
};

const accept = (token: string, options: { body?: unknown; token?: string } = {}) =>
  call('POST', `/api/v1/invitations/${token}/accept`, {
    ...options,
    headers: { 'cf-connecting-ip': nextIp() },
  });

const membership = (orgId: string, userId: string) =>
  env.DB.prepare('SELECT role FROM memberships WHERE org_id = ? AND user_id = ?')
    .bind(orgId, userId)
    .first<{ role: string }>();

describe('POST /api/v1/invitations', () => {
  it('stores a hashed token, mails the link and never returns the token', async () => {
    const tenant = await createTenant();
    const email = uniqueEmail('invitee');
    const res = expectOk(
      await tenant.as('POST', '/api/v1/invitations', { body: { email: email.toUpperCase(), role: 'admin' } }),
      201,
    );
    const data = res.body.data;
    expect(Object.keys(data).sort()).toEqual(['created_at', 'email', 'expires_at', 'id', 'invited_by', 'role']);
    expect(data).toMatchObject({ email, role: 'admin', invited_by: tenant.userId });
    expect(data.id).toMatch(/^inv_[0-9a-f]{32}$/);
    const ttl = Date.parse(data.expires_at) - Date.parse(data.created_at);
    expect(ttl).toBe(7 * 24 * 3600 * 1000);

    const mail = await lastMailTo(email);
    const token = mail?.body.match(TOKEN_IN_MAIL)?.[0];
    expect(token).toMatch(/^fsi_[A-Za-z0-9_-]{43}$/);
    expect(mail?.body).toContain(`/invitations/accept?token=${token}`);
    expect(mail?.subject).toContain('Acme Test');
    expect(JSON.stringify(res.body)).not.toContain(token!);
    const row = await env.DB.prepare('SELECT token_hash, org_id FROM invitations WHERE id = ?')
      .bind(data.id)
      .first<{ token_hash: string; org_id: string }>();
    expect(row?.org_id).toBe(tenant.orgId);
    expect(row?.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row?.token_hash).not.toContain(token!);
  });

  it('defaults the role to member and replaces a pending invitation for the same address', async () => {
    const tenant = await createTenant();
    const email = uniqueEmail('twice');
    const first = await invite(tenant, email);
    expect(first.invitation.role).toBe('member');
    const second = await invite(tenant, email, 'viewer');
    expect(second.token).not.toBe(first.token);
    const list = expectOk(await tenant.as('GET', '/api/v1/invitations'));
    expect(list.body.data.map((i: { id: string }) => i.id)).toEqual([second.invitation.id]);
    expectError(await accept(first.token, { body: { name: 'X', password: PASSWORD } }), 410, 'GONE');
  });

  it('validates the body', async () => {
    const tenant = await createTenant();
    const post = (body: unknown) => tenant.as('POST', '/api/v1/invitations', { body });
    const badEmail = await post({ email: 'not-an-email' });
    expectError(badEmail, 400, 'VALIDATION_ERROR');
    expect(Object.keys(badEmail.body.error.details.fields)).toContain('email');
    const badRole = await post({ email: uniqueEmail(), role: 'superuser' });
    expectError(badRole, 400, 'VALIDATION_ERROR');
    expect(Object.keys(badRole.body.error.details.fields)).toContain('role');
    const unknown = await post({ email: uniqueEmail(), org_id: tenant.orgId });
    expectError(unknown, 400, 'VALIDATION_ERROR');
    expect(JSON.stringify(unknown.body.error.details)).toContain('org_id');
    expectError(await post({}), 400, 'VALIDATION_ERROR');
    expectError(
      await tenant.as('POST', '/api/v1/invitations', {
        rawBody: '{"email":',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'MALFORMED_JSON',
    );
    const count = await env.DB.prepare('SELECT count(*) AS n FROM invitations WHERE org_id = ?')
      .bind(tenant.orgId)
      .first<{ n: number }>();
    expect(count?.n).toBe(0);
  });

  it('is refused to members, viewers and anonymous callers', async () => {
    const tenant = await createTenant();
    for (const role of ['member', 'viewer'] as const) {
      const user = await addMember(tenant, role);
      const res = await call('POST', '/api/v1/invitations', {
        token: user.accessToken,
        body: { email: uniqueEmail() },
      });
      expectError(res, 403, 'INSUFFICIENT_SCOPE');
    }
    expectError(await call('POST', '/api/v1/invitations', { body: { email: uniqueEmail() } }), 401, 'UNAUTHENTICATED');
  });

  it('only owners invite owners; admins invite admins, members and viewers', async () => {
    const tenant = await createTenant();
    const admin = await addMember(tenant, 'admin');
    const asAdmin = (body: unknown) => call('POST', '/api/v1/invitations', { token: admin.accessToken, body });
    const email = uniqueEmail();
    expectError(await asAdmin({ email, role: 'owner' }), 403, 'FORBIDDEN');
    expect(await lastMailTo(email)).toBeUndefined();
    expectOk(await asAdmin({ email: uniqueEmail(), role: 'admin' }), 201);
    expectOk(await asAdmin({ email: uniqueEmail(), role: 'viewer' }), 201);
    expect((await invite(tenant, uniqueEmail(), 'owner')).invitation.role).toBe('owner');
  });

  it('is 409 for an address that is already a member', async () => {
    const tenant = await createTenant();
    const member = await addMember(tenant, 'member');
    const res = await tenant.as('POST', '/api/v1/invitations', { body: { email: member.email } });
    expectError(res, 409, 'CONFLICT');
    expect(res.body.error.message).toMatch(/already a member/);
  });
});

describe('GET /api/v1/invitations', () => {
  it('lists only pending invitations of the tenant, newest first', async () => {
    const a = await createTenant();
    const b = await createTenant();
    const first = await invite(a, uniqueEmail());
    const second = await invite(a, uniqueEmail());
    const revoked = await invite(a, uniqueEmail());
    const accepted = await invite(a, uniqueEmail());
    const expired = await invite(a, uniqueEmail());
    const other = await invite(b, uniqueEmail());
    expect((await a.as('DELETE', `/api/v1/invitations/${revoked.invitation.id}`)).status).toBe(204);
    expectOk(await accept(accepted.token, { body: { name: 'New', password: PASSWORD } }), 201);
    await env.DB.prepare('UPDATE invitations SET expires_at = ? WHERE id = ?')
      .bind(new Date(Date.now() - 1000).toISOString(), expired.invitation.id)
      .run();

    const list = expectOk(await a.as('GET', '/api/v1/invitations'));
    const ids = list.body.data.map((i: { id: string }) => i.id);
    expect(new Set(ids)).toEqual(new Set([first.invitation.id, second.invitation.id]));
    expect(list.body.pagination.total).toBe(2);
    const times = list.body.data.map((i: { created_at: string }) => i.created_at);
    expect(times).toEqual([...times].sort().reverse());
    expect(list.body.data).toContainEqual(first.invitation);
    const bIds = expectOk(await b.as('GET', '/api/v1/invitations')).body.data.map((i: { id: string }) => i.id);
    expect(bIds).toEqual([other.invitation.id]);
    expect(expectOk(await a.as('GET', '/api/v1/invitations?page_size=1&page=2')).body.data).toHaveLength(1);
  });

  it('is readable by viewers but not anonymously; unknown query fields are refused', async () => {
    const tenant = await createTenant();
    await invite(tenant, uniqueEmail());
    const viewer = await addMember(tenant, 'viewer');
    expect(expectOk(await call('GET', '/api/v1/invitations', { token: viewer.accessToken })).body.data).toHaveLength(1);
    expectError(await call('GET', '/api/v1/invitations'), 401, 'UNAUTHENTICATED');
    expectError(await tenant.as('GET', '/api/v1/invitations?status=all'), 400, 'VALIDATION_ERROR');
  });
});

describe('DELETE /api/v1/invitations/{id}', () => {
  it('revokes a pending invitation; its link then answers 410', async () => {
    const tenant = await createTenant();
    const { invitation, token } = await invite(tenant, uniqueEmail());
    expect((await tenant.as('DELETE', `/api/v1/invitations/${invitation.id}`)).status).toBe(204);
    expect((await tenant.as('DELETE', `/api/v1/invitations/${invitation.id}`)).status).toBe(204);
    const res = await accept(token, { body: { name: 'Late', password: PASSWORD } });
    expectError(res, 410, 'GONE');
    expect(res.body.error.message).toMatch(/revoked/);
  });

  it("is 404 for another tenant's invitation, which stays usable", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const { invitation, token } = await invite(b, uniqueEmail());
    expectError(await a.as('DELETE', `/api/v1/invitations/${invitation.id}`), 404, 'NOT_FOUND');
    expectError(await a.as('DELETE', `/api/v1/invitations/inv_${'f'.repeat(32)}`), 404, 'NOT_FOUND');
    expectError(await a.as('DELETE', '/api/v1/invitations/garbage'), 400, 'VALIDATION_ERROR');
    expectOk(await accept(token, { body: { name: 'Still Fine', password: PASSWORD } }), 201);
  });

  it('is refused to members and anonymous callers; an accepted invitation cannot be revoked', async () => {
    const tenant = await createTenant();
    const { invitation, token } = await invite(tenant, uniqueEmail());
    const member = await addMember(tenant, 'member');
    const path = `/api/v1/invitations/${invitation.id}`;
    expectError(await call('DELETE', path, { token: member.accessToken }), 403, 'INSUFFICIENT_SCOPE');
    expectError(await call('DELETE', path), 401, 'UNAUTHENTICATED');
    expectOk(await accept(token, { body: { name: 'Joined', password: PASSWORD } }), 201);
    expectError(await tenant.as('DELETE', path), 409, 'CONFLICT');
  });
});

describe('POST /api/v1/invitations/{token}/accept', () => {
  it('creates the account of a new invitee, who lands in the organization with the invited role', async () => {
    const tenant = await createTenant();
    const email = uniqueEmail('newbie');
    const { token } = await invite(tenant, email, 'admin');
    const password = 'a brand new password';
    const res = expectOk(await accept(token, { body: { name: 'New Person', password } }), 201);
    const data = res.body.data;
    expect(data.user).toMatchObject({ email, name: 'New Person', mfa_enabled: false });
    expect(data.organization).toMatchObject({ id: tenant.orgId, slug: tenant.organization.slug });
    expect(data.role).toBe('admin');
    expect(data.tokens).toMatchObject({ token_type: 'Bearer' });
    expect(JSON.stringify(data)).not.toContain('password');
    expect((await membership(tenant.orgId, data.user.id))?.role).toBe('admin');

    const current = expectOk(await call('GET', '/api/v1/organizations/current', { token: data.tokens.access_token }));
    expect(current.body.data.id).toBe(tenant.orgId);
    const signedIn = expectOk(await login({ email, password, ip: nextIp() }));
    expect(signedIn.body.data).toMatchObject({ organization: { id: tenant.orgId }, role: 'admin' });
    expectError(await accept(token, { body: { name: 'Again', password } }), 410, 'GONE');
  });

  it('needs a name and password for a new account, and a failed attempt leaves the invitation usable', async () => {
    const tenant = await createTenant();
    const { token } = await invite(tenant, uniqueEmail());
    const missing = await accept(token);
    expectError(missing, 400, 'VALIDATION_ERROR');
    expect(Object.keys(missing.body.error.details.fields).sort()).toEqual(['name', 'password']);
    expectError(await accept(token, { body: { name: 'Short', password: 'short' } }), 400, 'VALIDATION_ERROR');
    const unknown = await accept(token, { body: { name: 'X', password: PASSWORD, role: 'owner' } });
    expectError(unknown, 400, 'VALIDATION_ERROR');
    expect(JSON.stringify(unknown.body.error.details)).toContain('role');
    const malformed = await call('POST', `/api/v1/invitations/${token}/accept`, {
      rawBody: '{"name":',
      headers: { 'content-type': 'application/json' },
    });
    expectError(malformed, 400, 'MALFORMED_JSON');
    expect(expectOk(await accept(token, { body: { name: 'Finally', password: PASSWORD } }), 201).body.data.role).toBe(
      'member',
    );
  });

  it('lets an existing user accept with their own access token only', async () => {
    const tenant = await createTenant();
    const existing = await register('existing');
    const stranger = await register('stranger');
    const { token } = await invite(tenant, existing.email, 'viewer');

    const anonymous = await accept(token);
    expectError(anonymous, 401, 'UNAUTHENTICATED');
    expect(anonymous.body.error.message).toMatch(/already exists/);
    const wrong = await accept(token, { token: stranger.accessToken });
    expectError(wrong, 403, 'FORBIDDEN');
    expect(wrong.body.error.message).toMatch(/another account/);
    expectError(await accept(token, { token: 'garbage.token.value' }), 401, 'INVALID_TOKEN');
    expect(await membership(tenant.orgId, stranger.userId)).toBeNull();

    const res = expectOk(await accept(token, { token: existing.accessToken }));
    expect(res.body.data).toMatchObject({
      user: { id: existing.userId, email: existing.email },
      organization: { id: tenant.orgId },
      role: 'viewer',
    });
    expect((await membership(tenant.orgId, existing.userId))?.role).toBe('viewer');
    const current = expectOk(
      await call('GET', '/api/v1/organizations/current', { token: res.body.data.tokens.access_token }),
    );
    expect(current.body.data.id).toBe(tenant.orgId);
    // Their own organization stays their default landing place.
    expect(expectOk(await login(existing)).body.data.organization.id).toBe(existing.orgId);
    expectError(await accept(token, { token: existing.accessToken }), 410, 'GONE');
  });

  it('refuses a logged-out access token of the invited user', async () => {
    const tenant = await createTenant();
    const existing = await register('loggedout');
    const { token } = await invite(tenant, existing.email);
    await env.DB.prepare('UPDATE sessions SET revoked_at = ? WHERE id = ?')
      .bind(new Date().toISOString(), existing.sessionId)
      .run();
    expectError(await accept(token, { token: existing.accessToken }), 401, 'INVALID_TOKEN');
    expect(await membership(tenant.orgId, existing.userId)).toBeNull();
  });

  it('is 410 for an expired invitation and 404 for an unknown token', async () => {
    const tenant = await createTenant();
    const { invitation, token } = await invite(tenant, uniqueEmail());
    await env.DB.prepare('UPDATE invitations SET expires_at = ? WHERE id = ?')
      .bind(new Date(Date.now() - 60_000).toISOString(), invitation.id)
      .run();
    const expired = await accept(token, { body: { name: 'Late', password: PASSWORD } });
    expectError(expired, 410, 'GONE');
    expect(expired.body.error.message).toMatch(/expired/);
    const exists = await env.DB.prepare('SELECT count(*) AS n FROM users WHERE email = ?')
      .bind(invitation.email)
      .first<{ n: number }>();
    expect(exists?.n).toBe(0);

    expectError(await accept(`fsi_${'A'.repeat(43)}`, { body: { name: 'X', password: PASSWORD } }), 404, 'NOT_FOUND');
    expectError(await accept('not-a-token', { body: { name: 'X', password: PASSWORD } }), 400, 'VALIDATION_ERROR');
  });

  it('a member who joined by invitation and is removed loses that default organization', async () => {
    const tenant = await createTenant();
    const email = uniqueEmail('joined');
    const { token } = await invite(tenant, email);
    const joined = expectOk(await accept(token, { body: { name: 'Joiner', password: PASSWORD } }), 201).body.data;
    const before = await env.DB.prepare('SELECT default_org_id FROM users WHERE id = ?')
      .bind(joined.user.id)
      .first<{ default_org_id: string | null }>();
    expect(before?.default_org_id).toBe(tenant.orgId);
    const res = await tenant.as('DELETE', `/api/v1/organizations/current/members/${joined.user.id}`);
    expect(res.status).toBe(204);
    const after = await env.DB.prepare('SELECT default_org_id FROM users WHERE id = ?')
      .bind(joined.user.id)
      .first<{ default_org_id: string | null }>();
    expect(after?.default_org_id).toBeNull();
  });
});
