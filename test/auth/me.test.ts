import { describe, expect, it } from 'vitest';
import {
  addMember,
  call,
  createTenant,
  env,
  expectOk,
  login,
  PASSWORD,
  register,
  uniqueEmail,
} from '../helpers/harness';

const keyWithScopes = async (accessToken: string, scopes: string[]) =>
  expectOk(await call('POST', '/api/v1/api-keys', { token: accessToken, body: { name: 'narrow', scopes } }), 201).body
    .data as { id: string; key: string };

const put = (token: string | undefined, body: unknown) => call('PUT', '/api/v1/auth/me', { token, body });

describe('GET /auth/me', () => {
  it('describes a signed-in user: user, organization, role and session', async () => {
    const user = await register('me');
    const res = expectOk(await call('GET', '/api/v1/auth/me', { token: user.accessToken }));
    const data = res.body.data;
    expect(data.user).toMatchObject({ id: user.userId, email: user.email, name: 'Test me', mfa_enabled: false });
    expect(data.user).not.toHaveProperty('password_hash');
    expect(data.organization).toMatchObject({ id: user.orgId, name: 'Acme Test', plan: 'free' });
    expect(data.role).toBe('owner');
    expect(data.auth).toEqual({
      kind: 'user',
      scopes: expect.arrayContaining(['profile:read', 'profile:write', 'org:write', 'members:write']),
      session_id: user.sessionId,
      api_key_id: null,
    });
    // The tightest bucket: this user's share (half) of the free plan's 120 a minute.
    expect(res.headers.get('ratelimit-limit')).toBe('60');
  });

  it('answers for the creator of an API key, with the key’s scopes', async () => {
    const tenant = await createTenant({ via: 'api' });
    const res = expectOk(await call('GET', '/api/v1/auth/me', { token: tenant.apiKey }));
    expect(res.body.data.user.id).toBe(tenant.userId);
    expect(res.body.data.organization.id).toBe(tenant.orgId);
    expect(res.body.data.auth).toMatchObject({ kind: 'api_key', session_id: null, api_key_id: tenant.apiKeyId });

    const narrow = await keyWithScopes(tenant.accessToken, ['profile:read']);
    const viaNarrow = expectOk(await call('GET', '/api/v1/auth/me', { token: narrow.key }));
    expect(viaNarrow.body.data.auth).toEqual({
      kind: 'api_key',
      scopes: ['profile:read'],
      session_id: null,
      api_key_id: narrow.id,
    });
  });

  it('shows the role in the organization the token belongs to', async () => {
    const tenant = await register('tenant');
    const viewer = await addMember(tenant, 'viewer', { via: 'api' });
    const res = expectOk(await call('GET', '/api/v1/auth/me', { token: viewer.accessToken }));
    expect(res.body.data.organization.id).toBe(tenant.orgId);
    expect(res.body.data.role).toBe('viewer');
    expect(res.body.data.auth.scopes).not.toContain('org:write');
  });

  it('needs credentials, and an API key needs profile:read', async () => {
    const none = await call('GET', '/api/v1/auth/me');
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('UNAUTHENTICATED');
    const garbage = await call('GET', '/api/v1/auth/me', { token: 'eyJhbGciOiJub25lIn0.e30.' });
    expect(garbage.status).toBe(401);
    expect(garbage.body.error.code).toBe('INVALID_TOKEN');
    const badScheme = await call('GET', '/api/v1/auth/me', { headers: { authorization: 'Basic abc' } });
    expect(badScheme.status).toBe(401);

    const tenant = await createTenant({ via: 'api' });
    const narrow = await keyWithScopes(tenant.accessToken, ['org:read']);
    const res = await call('GET', '/api/v1/auth/me', { token: narrow.key });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('INSUFFICIENT_SCOPE');
  });

  it('stops answering once the user is disabled', async () => {
    const user = await register();
    await env.DB.prepare('UPDATE users SET is_active = 0 WHERE id = ?').bind(user.userId).run();
    const res = await call('GET', '/api/v1/auth/me', { token: user.accessToken });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('INVALID_TOKEN');
  });
});

describe('PUT /auth/me', () => {
  it('changes the name and answers like GET /auth/me', async () => {
    const user = await register();
    const res = expectOk(await put(user.accessToken, { name: '  Grace Hopper ' }));
    expect(res.body.data.user).toMatchObject({ id: user.userId, name: 'Grace Hopper', email: user.email });
    expect(res.body.data.auth.kind).toBe('user');
    expect(res.body.data.role).toBe('owner');
    expect(Date.parse(res.body.data.user.updated_at)).toBeGreaterThanOrEqual(Date.parse(res.body.data.user.created_at));
    const got = expectOk(await call('GET', '/api/v1/auth/me', { token: user.accessToken }));
    expect(got.body.data.user.name).toBe('Grace Hopper');
  });

  it('no longer moves the email with an access token alone (account takeover)', async () => {
    const user = await register();
    const attacker = uniqueEmail('attacker');
    const res = await put(user.accessToken, { email: attacker, name: 'Changed' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(res.body.error.details.fields.email[0]).toContain('POST /api/v1/auth/email/change');
    // Nothing was written, not even the name; the owner still signs in, the attacker's address does not.
    const got = expectOk(await call('GET', '/api/v1/auth/me', { token: user.accessToken }));
    expect(got.body.data.user).toMatchObject({ email: user.email, name: 'Test owner' });
    expectOk(await login(user));
    expect((await login({ email: attacker, password: PASSWORD, ip: user.ip })).status).toBe(401);
  });

  it('validates the body', async () => {
    const user = await register();
    const empty = await put(user.accessToken, {});
    expect(empty.status).toBe(400);
    expect(empty.body.error.code).toBe('VALIDATION_ERROR');
    const extra = await put(user.accessToken, { name: 'X', mfa_enabled: false });
    expect(extra.status).toBe(400);
    expect(extra.body.error.details.fields['(body)'][0]).toContain('mfa_enabled');
    expect((await put(user.accessToken, { name: '' })).body.error.details.fields).toHaveProperty('name');
    expect((await put(user.accessToken, { name: 7 })).status).toBe(400);
    const broken = await call('PUT', '/api/v1/auth/me', {
      token: user.accessToken,
      rawBody: '{"name": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(broken.body.error.code).toBe('MALFORMED_JSON');
  });

  it('needs credentials and profile:write; API keys may rename', async () => {
    expect((await put(undefined, { name: 'X' })).status).toBe(401);
    const tenant = await createTenant({ via: 'api' });
    const readOnly = await keyWithScopes(tenant.accessToken, ['profile:read']);
    const denied = await put(readOnly.key, { name: 'X' });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('INSUFFICIENT_SCOPE');

    const renamed = expectOk(await put(tenant.apiKey, { name: 'Renamed by key' }));
    expect(renamed.body.data.user.name).toBe('Renamed by key');
    expect(renamed.body.data.auth.kind).toBe('api_key');
    const moved = await put(tenant.apiKey, { email: uniqueEmail('stolen') });
    expect(moved.status).toBe(400);
    expect(moved.body.error.details.fields).toHaveProperty('email');
    const got = expectOk(await call('GET', '/api/v1/auth/me', { token: tenant.accessToken }));
    expect(got.body.data.user.email).toBe(tenant.email);
  });
});
