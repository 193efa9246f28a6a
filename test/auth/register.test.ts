import { describe, expect, it } from 'vitest';
import { call, env, expectOk, login, nextIp, PASSWORD, uniqueEmail } from '../helpers/harness';

const registerBody = (overrides: Record<string, unknown> = {}) => ({
  email: uniqueEmail('reg'),
  password: PASSWORD,
  name: 'Ada Lovelace',
  organization_name: 'Analytical Engines',
  ...overrides,
});

const post = (body: unknown) =>
  call('POST', '/api/v1/auth/register', { body, headers: { 'cf-connecting-ip': nextIp() } });

const expectValidationError = (res: { status: number; body: any }, field: string) => {
  expect(res.status).toBe(400);
  expect(res.body.success).toBe(false);
  expect(res.body.error.code).toBe('VALIDATION_ERROR');
  expect(Object.keys(res.body.error.details.fields)).toContain(field);
};

describe('POST /auth/register', () => {
  it('creates the user, an organization with the user as owner, and a session', async () => {
    const email = uniqueEmail('Mixed.Case');
    const res = expectOk(await post(registerBody({ email: email.toUpperCase() })), 201);
    const { user, organization, role, tokens } = res.body.data;
    expect(user).toMatchObject({ email: email.toLowerCase(), name: 'Ada Lovelace', mfa_enabled: false });
    expect(user.id).toMatch(/^usr_[0-9a-f]{32}$/);
    expect(user).not.toHaveProperty('password_hash');
    expect(JSON.stringify(res.body)).not.toContain('pbkdf2');
    expect(organization).toMatchObject({ name: 'Analytical Engines', plan: 'free' });
    expect(organization.slug).toMatch(/^analytical-engines-[a-z0-9]{6}$/);
    expect(role).toBe('owner');
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    expect(tokens.refresh_token).toMatch(/^fsr_/);

    const stored = await env.DB.prepare('SELECT email, default_org_id, password_hash FROM users WHERE id = ?')
      .bind(user.id)
      .first<{ email: string; default_org_id: string; password_hash: string }>();
    expect(stored).toMatchObject({ email: email.toLowerCase(), default_org_id: organization.id });
    expect(stored!.password_hash).toMatch(/^pbkdf2-sha256\$100000\$/);
    const membership = await env.DB.prepare('SELECT role FROM memberships WHERE user_id = ? AND org_id = ?')
      .bind(user.id, organization.id)
      .first<{ role: string }>();
    expect(membership?.role).toBe('owner');

    const me = expectOk(await call('GET', '/api/v1/auth/me', { token: tokens.access_token }));
    expect(me.body.data.user.id).toBe(user.id);
    expect(me.body.data.organization.id).toBe(organization.id);
  });

  it('gives every organization its own slug, even with the same name', async () => {
    const a = expectOk(await post(registerBody({ organization_name: 'Same Name' })), 201);
    const b = expectOk(await post(registerBody({ organization_name: 'Same Name' })), 201);
    expect(a.body.data.organization.slug).not.toBe(b.body.data.organization.slug);
    const odd = expectOk(await post(registerBody({ organization_name: '  Café Ünïcode ☕ ' })), 201);
    expect(odd.body.data.organization.slug).toMatch(/^cafe-unicode-[a-z0-9]{6}$/);
    expect(odd.body.data.organization.name).toBe('Café Ünïcode ☕');
  });

  it('refuses an email that already has an account, whatever its case', async () => {
    const body = registerBody();
    expectOk(await post(body), 201);
    const again = await post({ ...registerBody(), email: body.email.toUpperCase() });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('CONFLICT');
    expect(again.body.error.message).toBe('An account with this email already exists');
    const count = await env.DB.prepare('SELECT count(*) AS n FROM users WHERE email = ?')
      .bind(body.email)
      .first<{ n: number }>();
    expect(count?.n).toBe(1);
    // The original password still works: the duplicate did not overwrite anything.
    expectOk(await login({ email: body.email, password: PASSWORD, ip: nextIp() }));
  });

  it('validates every field', async () => {
    expectValidationError(await post(registerBody({ email: 'not-an-email' })), 'email');
    expectValidationError(await post(registerBody({ password: 'short' })), 'password');
    expectValidationError(await post(registerBody({ name: '   ' })), 'name');
    expectValidationError(await post(registerBody({ name: 42 })), 'name');
    expectValidationError(await post(registerBody({ organization_name: 'x'.repeat(101) })), 'organization_name');
    expectValidationError(await post(registerBody({ organization_name: undefined })), 'organization_name');
  });

  it('rejects unknown fields (no mass assignment)', async () => {
    const res = await post(registerBody({ role: 'admin' }));
    expectValidationError(res, '(body)');
    expect(res.body.error.details.fields['(body)'][0]).toContain('role');
  });

  it('answers MALFORMED_JSON for a broken body and VALIDATION_ERROR for a missing one', async () => {
    const broken = await call('POST', '/api/v1/auth/register', {
      rawBody: '{"email": "a@b.co",',
      headers: { 'content-type': 'application/json' },
    });
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe('MALFORMED_JSON');
    const missing = await call('POST', '/api/v1/auth/register');
    expectValidationError(missing, 'email');
    const array = await post([registerBody()]);
    expect(array.status).toBe(400);
    expect(array.body.error.code).toBe('VALIDATION_ERROR');
  });
});
