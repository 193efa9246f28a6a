import { describe, expect, it } from 'vitest';
import {
  addMember,
  call,
  createTenant,
  env,
  expectOk,
  ISO_TIME,
  lastMailTo,
  login,
  me,
  NEW_PASSWORD,
  nextIp,
  PASSWORD,
  refresh,
  register,
  uniqueEmail,
} from '../helpers/harness';

const change = (token: string, body: unknown) => call('POST', '/api/v1/auth/password/change', { token, body });
const requestReset = (email: string) => call('POST', '/api/v1/auth/password/reset', { body: { email } });
const confirmReset = (body: unknown) => call('POST', '/api/v1/auth/password/reset/confirm', { body });

/** The reset mail is written after the response (same timing for unknown emails), so wait for it. */
const waitForMail = async (email: string, notId?: string) => {
  for (let i = 0; i < 50; i++) {
    const mail = (await lastMailTo(email)) as { id: string; subject: string; body: string } | undefined;
    if (mail && mail.id !== notId) return mail;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no mail arrived for ${email}`);
};

const tokenFrom = (mailBody: string) => {
  const match = /reset-password\?token=([A-Za-z0-9_-]+)/.exec(mailBody);
  if (!match) throw new Error('no reset link in the mail');
  return decodeURIComponent(match[1]!);
};

describe('POST /auth/password/change', () => {
  it('changes the password and signs out every other session, keeping the current one', async () => {
    const user = await register();
    const second = expectOk(await login(user)).body.data.tokens;
    // A session of the same user in another organization is signed out too.
    const tenant = await register('tenant');
    await env.DB.prepare(
      "INSERT INTO memberships (id, org_id, user_id, role, created_at, updated_at) VALUES (?, ?, ?, 'member', '2026-01-01', '2026-01-01')",
    )
      .bind(`mem_${crypto.randomUUID().replaceAll('-', '')}`, tenant.orgId, user.userId)
      .run();
    const elsewhere = expectOk(await login(user, tenant.orgId)).body.data.tokens;

    const res = expectOk(await change(user.accessToken, { current_password: PASSWORD, new_password: NEW_PASSWORD }));
    expect(res.body.data).toEqual({ revoked_sessions: 2, revoked_api_keys: 0 });

    expectOk(await me(user.accessToken));
    expectOk(await refresh(user.refreshToken));
    for (const tokens of [second, elsewhere]) {
      expect((await me(tokens.access_token)).status).toBe(401);
      expect((await refresh(tokens.refresh_token)).status).toBe(401);
    }
    expect((await login(user)).status).toBe(401);
    expectOk(await login({ ...user, password: NEW_PASSWORD }));
    const stored = await env.DB.prepare('SELECT password_changed_at FROM users WHERE id = ?')
      .bind(user.userId)
      .first<{ password_changed_at: string | null }>();
    expect(stored?.password_changed_at).toMatch(ISO_TIME);
  });

  it('refuses a wrong current password and counts it as a failed login', async () => {
    const user = await register();
    const res = await change(user.accessToken, { current_password: 'not my password', new_password: NEW_PASSWORD });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('INVALID_CREDENTIALS');
    const failures = await env.DB.prepare('SELECT count(*) AS n FROM login_attempts WHERE email = ? AND success = 0')
      .bind(user.email)
      .first<{ n: number }>();
    expect(failures?.n).toBe(1);
    expectOk(await login(user)); // unchanged
  });

  it('refuses a new password equal to the current one, or too short, or unknown fields', async () => {
    const user = await register();
    const same = await change(user.accessToken, { current_password: PASSWORD, new_password: PASSWORD });
    expect(same.status).toBe(400);
    expect(same.body.error.details.fields).toHaveProperty('new_password');
    const short = await change(user.accessToken, { current_password: PASSWORD, new_password: 'short' });
    expect(short.status).toBe(400);
    expect(short.body.error.details.fields).toHaveProperty('new_password');
    const extra = await change(user.accessToken, { current_password: PASSWORD, new_password: NEW_PASSWORD, x: 1 });
    expect(extra.status).toBe(400);
    expect(extra.body.error.details.fields).toHaveProperty('(body)');
    const wrongType = await change(user.accessToken, { current_password: 1, new_password: NEW_PASSWORD });
    expect(wrongType.status).toBe(400);
    const broken = await call('POST', '/api/v1/auth/password/change', {
      token: user.accessToken,
      rawBody: '{"current_password"',
      headers: { 'content-type': 'application/json' },
    });
    expect(broken.body.error.code).toBe('MALFORMED_JSON');
    expectOk(await login(user)); // nothing changed
  });

  it('needs a signed-in user: no token is 401, an API key is 403', async () => {
    const body = { current_password: PASSWORD, new_password: NEW_PASSWORD };
    const none = await call('POST', '/api/v1/auth/password/change', { body });
    expect(none.status).toBe(401);
    const tenant = await createTenant({ via: 'api' });
    const key = await change(tenant.apiKey, body);
    expect(key.status).toBe(403);
    expect(key.body.error.code).toBe('FORBIDDEN');
    expectOk(await login(tenant)); // unchanged
  });

  it('is open to every role (viewers change their own password)', async () => {
    const tenant = await register('tenant');
    const viewer = await addMember(tenant, 'viewer', { via: 'api' });
    expectOk(await change(viewer.accessToken, { current_password: PASSWORD, new_password: NEW_PASSWORD }));
  });
});

describe('password reset', () => {
  it('mails a single-use link that sets a new password and signs out everywhere', async () => {
    const user = await register();
    const second = expectOk(await login(user)).body.data.tokens;
    const res = await requestReset(user.email.toUpperCase());
    expect(res.status).toBe(202);
    expect(res.body.data.message).toMatch(/If an account exists/);

    const mail = await waitForMail(user.email);
    expect(mail.subject).toBe('Reset your FlowSpark password');
    expect(mail.body).toContain('http://localhost:8787/reset-password?token=');
    const token = tokenFrom(mail.body);
    expect(mail.body).toContain(`reset token: ${token}`);
    // Only a hash is stored.
    const row = await env.DB.prepare('SELECT token_hash, expires_at FROM password_reset_tokens WHERE user_id = ?')
      .bind(user.userId)
      .first<{ token_hash: string; expires_at: string }>();
    expect(row?.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row?.token_hash).not.toContain(token);
    const ttl = Date.parse(row!.expires_at) - Date.now();
    expect(ttl).toBeGreaterThan(3500 * 1000);
    expect(ttl).toBeLessThanOrEqual(3600 * 1000);

    const tooShort = await confirmReset({ token, new_password: 'short' });
    expect(tooShort.status).toBe(400);
    expect(tooShort.body.error.details.fields).toHaveProperty('new_password');

    const ok = expectOk(await confirmReset({ token, new_password: NEW_PASSWORD }));
    expect(ok.body.data.message).toMatch(/password has been changed/);

    const again = await confirmReset({ token, new_password: 'yet another passphrase' });
    expect(again.status).toBe(400);
    expect(again.body.error.code).toBe('VALIDATION_ERROR');
    expect(again.body.error.details.fields).toHaveProperty('token');

    expect((await login(user)).status).toBe(401);
    expectOk(await login({ ...user, ip: nextIp(), password: NEW_PASSWORD }));
    for (const [access, refreshToken] of [
      [user.accessToken, user.refreshToken],
      [second.access_token, second.refresh_token],
    ] as const) {
      expect((await me(access)).status).toBe(401);
      expect((await refresh(refreshToken)).status).toBe(401);
    }
  });

  it('answers the same for an unknown email and sends nothing', async () => {
    const known = await register();
    const unknownEmail = uniqueEmail('nobody');
    const [unknown, real] = await Promise.all([requestReset(unknownEmail), requestReset(known.email)]);
    expect(unknown.status).toBe(202);
    expect(unknown.body.data).toEqual(real.body.data);
    // Both requests' deferred work ran side by side: once the real mail is there, the other had its chance.
    await waitForMail(known.email);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await lastMailTo(unknownEmail)).toBeUndefined();
  });

  it('sends nothing to a disabled account', async () => {
    const user = await register();
    await env.DB.prepare('UPDATE users SET is_active = 0 WHERE id = ?').bind(user.userId).run();
    const probe = await register('probe');
    await Promise.all([requestReset(user.email), requestReset(probe.email)]);
    await waitForMail(probe.email);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await lastMailTo(user.email)).toBeUndefined();
  });

  it('refuses expired, unknown and superseded tokens alike', async () => {
    const user = await register();
    await requestReset(user.email);
    const first = await waitForMail(user.email);
    await requestReset(user.email);
    const second = await waitForMail(user.email, first.id);

    await env.DB.prepare('UPDATE password_reset_tokens SET expires_at = ? WHERE user_id = ? AND token_hash = ?')
      .bind(new Date(Date.now() - 1000).toISOString(), user.userId, await sha256(tokenFrom(first.body)))
      .run();
    const expired = await confirmReset({ token: tokenFrom(first.body), new_password: NEW_PASSWORD });
    expect(expired.status).toBe(400);
    expect(expired.body.error.details.fields).toHaveProperty('token');

    const unknown = await confirmReset({ token: 'made-up-token', new_password: NEW_PASSWORD });
    expect(unknown.body.error).toEqual(expired.body.error);

    // Using one token spends every other outstanding token of the user.
    await requestReset(user.email);
    const third = await waitForMail(user.email, second.id);
    expectOk(await confirmReset({ token: tokenFrom(third.body), new_password: NEW_PASSWORD }));
    const superseded = await confirmReset({ token: tokenFrom(second.body), new_password: 'another passphrase!' });
    expect(superseded.status).toBe(400);
    expectOk(await login({ ...user, password: NEW_PASSWORD }));
  });

  it('validates both bodies', async () => {
    expect((await requestReset('not-an-email')).status).toBe(400);
    const extra = await call('POST', '/api/v1/auth/password/reset', { body: { email: uniqueEmail(), x: 1 } });
    expect(extra.status).toBe(400);
    expect(extra.body.error.details.fields).toHaveProperty('(body)');
    const broken = await call('POST', '/api/v1/auth/password/reset', {
      rawBody: 'nope',
      headers: { 'content-type': 'application/json' },
    });
    expect(broken.body.error.code).toBe('MALFORMED_JSON');
    expect((await confirmReset({ token: '', new_password: NEW_PASSWORD })).status).toBe(400);
    expect((await confirmReset({ token: 'x', new_password: NEW_PASSWORD, email: 'a@b.co' })).status).toBe(400);
    expect((await confirmReset({ new_password: NEW_PASSWORD })).body.error.details.fields).toHaveProperty('token');
  });
});

async function sha256(text: string) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
