import { loadSigningKeys, signMfaToken, totpAt } from '@flowspark/auth';
import { loadConfig } from '@flowspark/core';
import { describe, expect, it } from 'vitest';
import {
  addMember,
  call,
  createTenant,
  enableMfa,
  env,
  expectOk,
  login,
  register,
  type TestUser,
} from '../helpers/harness';

/**
 * TOTP codes: a test computes the step once and uses that step and the next one. The server accepts
 * a window of ±1 step, so both stay valid for at least 30 s whenever the test starts.
 */
const CHALLENGE = '/api/v1/auth/mfa/challenge';

const enable = enableMfa;

/** Password step of a login for an account with MFA: returns the mfa_token. */
const mfaToken = async (user: Pick<TestUser, 'email' | 'password' | 'ip'>, orgId?: string): Promise<string> => {
  const res = expectOk(await login(user, orgId));
  expect(res.body.data).toMatchObject({ mfa_required: true, mfa_token: expect.any(String) });
  expect(res.body.data.tokens).toBeUndefined();
  return res.body.data.mfa_token;
};

const challenge = (user: Pick<TestUser, 'ip'>, body: unknown) =>
  call('POST', CHALLENGE, { body, headers: { 'cf-connecting-ip': user.ip } });

const wrongCode = async (secret: string, step: number) => {
  const valid = new Set(await Promise.all([-2, -1, 0, 1, 2, 3].map((d) => totpAt(secret, step + d))));
  for (let n = 0; ; n += 1) {
    const candidate = String(n).padStart(6, '0');
    if (!valid.has(candidate)) return candidate;
  }
};

describe('POST /auth/mfa/challenge', () => {
  it('full flow: login asks for MFA, a fresh code signs in, the tokens work, codes cannot be replayed', async () => {
    const user = await register('mfa');
    const { secret, step } = await enable(user);

    const token = await mfaToken(user);
    // The code that enabled MFA was spent at verification.
    const replayed = await challenge(user, { mfa_token: token, code: await totpAt(secret, step) });
    expect(replayed.status).toBe(401);
    expect(replayed.body.error.code).toBe('INVALID_MFA_CODE');

    const fresh = await totpAt(secret, step + 1);
    const res = expectOk(await challenge(user, { mfa_token: token, code: fresh }));
    expect(res.headers.get('cache-control')).toBe('no-store');
    const data = res.body.data;
    expect(data.user).toMatchObject({ id: user.userId, email: user.email, mfa_enabled: true });
    expect(data.organization.id).toBe(user.orgId);
    expect(data.role).toBe('owner');
    expect(data.tokens).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String) });
    expect(data.tokens.refresh_token).toMatch(/^fsr_/);

    const me = expectOk(await call('GET', '/api/v1/auth/me', { token: data.tokens.access_token }));
    expect(me.body.data.user.id).toBe(user.userId);
    expect(me.body.data.auth).toMatchObject({ kind: 'user', session_id: data.tokens.session_id });

    // The same token and code again: the step is spent.
    const again = await challenge(user, { mfa_token: token, code: fresh });
    expect(again.status).toBe(401);
    expect(again.body.error.code).toBe('INVALID_MFA_CODE');
    const session = await env.DB.prepare('SELECT count(*) AS n FROM sessions WHERE user_id = ?')
      .bind(user.userId)
      .first<{ n: number }>();
    // The registration session plus exactly one from the challenge.
    expect(session!.n).toBe(2);
  });

  it('a recovery code signs in once and never again', async () => {
    const user = await register('mfa');
    const { recoveryCodes } = await enable(user);
    const code = recoveryCodes[0]!;

    expectOk(await challenge(user, { mfa_token: await mfaToken(user), code }));
    const used = await env.DB.prepare(
      'SELECT count(*) AS n FROM recovery_codes WHERE user_id = ? AND used_at IS NOT NULL',
    )
      .bind(user.userId)
      .first<{ n: number }>();
    expect(used!.n).toBe(1);

    const reuse = await challenge(user, { mfa_token: await mfaToken(user), code });
    expect(reuse.status).toBe(401);
    expect(reuse.body.error.code).toBe('INVALID_MFA_CODE');

    // Typed by hand: upper case, no dash.
    const typed = recoveryCodes[1]!.replace('-', '').toUpperCase();
    expectOk(await challenge(user, { mfa_token: await mfaToken(user), code: typed }));
  });

  it('signs a member in to the organization chosen at login, with their role', async () => {
    const tenant = await createTenant({ via: 'api' });
    const member = await addMember(tenant, 'member', { via: 'api' });
    const { secret, step } = await enable(member);
    const res = expectOk(
      await challenge(member, {
        mfa_token: await mfaToken(member, tenant.orgId),
        code: await totpAt(secret, step + 1),
      }),
    );
    expect(res.body.data.organization.id).toBe(tenant.orgId);
    expect(res.body.data.role).toBe('member');
  });

  it('throttles wrong codes like wrong passwords: 429 with Retry-After, even for the right code', async () => {
    const { freeFailures } = loadConfig(env).login;
    const user = await register('mfa');
    const { secret, step } = await enable(user);
    const token = await mfaToken(user);
    const wrong = await wrongCode(secret, step);
    for (let i = 0; i < freeFailures; i += 1) {
      const res = await challenge(user, { mfa_token: token, code: wrong });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('INVALID_MFA_CODE');
    }
    const failures = await env.DB.prepare('SELECT count(*) AS n FROM login_attempts WHERE email = ? AND success = 0')
      .bind(user.email)
      .first<{ n: number }>();
    expect(failures!.n).toBe(freeFailures);

    const blocked = await challenge(user, { mfa_token: token, code: await totpAt(secret, step + 1) });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('TOO_MANY_ATTEMPTS');
    expect(blocked.headers.get('retry-after')).toBe('1');
    // The right code was not spent while blocked.
    const stored = await env.DB.prepare('SELECT last_used_step FROM mfa_devices WHERE user_id = ?')
      .bind(user.userId)
      .first<{ last_used_step: number }>();
    expect(stored!.last_used_step).toBe(step);

    // Logging in again with the password does not reset the count.
    const relogin = await login(user);
    expect(relogin.status).toBe(429);
  });

  it('never refuses the right password and a valid code from a known device, whatever others tried', async () => {
    const user = await register('mfa');
    const { secret, step, recoveryCodes } = await enable(user);
    // The owner's first complete sign-in on this device hands it a device token (a recovery code
    // here, so the next TOTP step stays unspent for the sign-in under attack).
    const first = expectOk(await login(user));
    const done = expectOk(await challenge(user, { mfa_token: first.body.data.mfa_token, code: recoveryCodes[0] }));
    const deviceToken = done.body.data.device_token as string;
    expect(deviceToken).toMatch(/^fsd_/);
    // Then a distributed attack fills the account's ceiling (and this very IP's budget).
    await env.DB.prepare("UPDATE users SET last_login_at = '2000-01-01T00:00:00.000Z' WHERE id = ?")
      .bind(user.userId)
      .run();
    const now = Date.now();
    await env.DB.batch(
      Array.from({ length: 120 }, (_, i) =>
        env.DB.prepare('INSERT INTO login_attempts (id, email, ip, success, created_at) VALUES (?, ?, ?, 0, ?)').bind(
          `lat_${crypto.randomUUID().replaceAll('-', '')}`,
          user.email,
          i < 20 ? user.ip : `198.18.7.${i}`,
          new Date(now - 1000 - i).toISOString(),
        ),
      ),
    );
    expect((await login(user)).status).toBe(429);
    // With its device token the owner gets through both steps.
    const password = expectOk(
      await call('POST', '/api/v1/auth/login', {
        body: { email: user.email, password: user.password, device_token: deviceToken },
        headers: { 'cf-connecting-ip': user.ip },
      }),
    );
    const signedIn = expectOk(
      await challenge(user, { mfa_token: password.body.data.mfa_token, code: await totpAt(secret, step + 1) }),
    );
    expect(signedIn.body.data.tokens.access_token).toEqual(expect.any(String));
    expect(signedIn.body.data).not.toHaveProperty('device_token');
  });

  it('refuses an access token as mfa_token and an mfa_token as access token', async () => {
    const user = await register('mfa');
    const { secret, step } = await enable(user);
    const token = await mfaToken(user);

    const asAccess = await call('GET', '/api/v1/auth/me', { token });
    expect(asAccess.status).toBe(401);
    expect(asAccess.body.error.code).toBe('INVALID_TOKEN');

    const code = await totpAt(secret, step + 1);
    const withAccess = await challenge(user, { mfa_token: user.accessToken, code });
    expect(withAccess.status).toBe(401);
    expect(withAccess.body.error.code).toBe('INVALID_TOKEN');
    const garbage = await challenge(user, { mfa_token: 'not-a-jwt', code });
    expect(garbage.status).toBe(401);
    expect(garbage.body.error.code).toBe('INVALID_TOKEN');
    // Neither spent the code.
    expectOk(await challenge(user, { mfa_token: token, code }));
  });

  it('an expired mfa_token is refused with TOKEN_EXPIRED', async () => {
    const user = await register('mfa');
    const { secret, step } = await enable(user);
    const config = loadConfig(env);
    const expired = await signMfaToken(
      await loadSigningKeys(env),
      { sub: user.userId, tid: user.orgId },
      { issuer: config.issuer, audience: config.audience, now: Math.floor(Date.now() / 1000) - 301 },
    );
    const res = await challenge(user, { mfa_token: expired, code: await totpAt(secret, step + 1) });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('TOKEN_EXPIRED');
  });

  it('a token issued before MFA was disabled no longer signs in', async () => {
    const user = await register('mfa');
    const { recoveryCodes } = await enable(user);
    const token = await mfaToken(user);
    expectOk(
      await call('POST', '/api/v1/auth/mfa/totp/disable', {
        token: user.accessToken,
        body: { password: user.password, code: recoveryCodes[0] },
      }),
    );
    const res = await challenge(user, { mfa_token: token, code: recoveryCodes[1] });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('INVALID_TOKEN');
  });

  it('validates the body', async () => {
    const user = await register('mfa');
    for (const body of [
      {},
      { mfa_token: 'x' },
      { code: '123456' },
      { mfa_token: 'x', code: 123456 },
      { mfa_token: 'x', code: '12' },
      { mfa_token: 'x', code: '123456', remember: true },
    ]) {
      const res = await challenge(user, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
    }
    const malformed = await call('POST', CHALLENGE, { rawBody: '{', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('MALFORMED_JSON');
  });
});
