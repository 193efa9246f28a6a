import { totpAt, totpStep } from '@flowspark/auth';
import { describe, expect, it } from 'vitest';
import { call, createTenant, env, expectOk, ISO_TIME, login, register, type TestUser } from '../helpers/harness';

/**
 * TOTP codes: a test computes the step once and uses that step and the next one. The server accepts
 * a window of ±1 step, so both stay valid for at least 30 s whenever the test starts.
 */
const SETUP = '/api/v1/auth/mfa/totp/setup';
const VERIFY = '/api/v1/auth/mfa/totp/verify';
const DISABLE = '/api/v1/auth/mfa/totp/disable';

const setup = async (user: TestUser) =>
  expectOk(await call('POST', SETUP, { token: user.accessToken, body: { password: user.password } })).body.data;

const enable = async (user: TestUser) => {
  const { secret } = await setup(user);
  const step = totpStep();
  const res = expectOk(
    await call('POST', VERIFY, { token: user.accessToken, body: { code: await totpAt(secret, step) } }),
  );
  return { secret, step, recoveryCodes: res.body.data.recovery_codes as string[] };
};

/** A 6-digit code that is certainly wrong for every step the server could accept during the test. */
const wrongCode = async (secret: string, step: number) => {
  const valid = new Set(await Promise.all([-2, -1, 0, 1, 2, 3].map((d) => totpAt(secret, step + d))));
  for (let n = 0; ; n += 1) {
    const candidate = String(n).padStart(6, '0');
    if (!valid.has(candidate)) return candidate;
  }
};

const device = (userId: string) =>
  env.DB.prepare('SELECT secret_encrypted, confirmed_at, last_used_step FROM mfa_devices WHERE user_id = ?')
    .bind(userId)
    .first<{ secret_encrypted: string; confirmed_at: string | null; last_used_step: number | null }>();

const mfaEnabled = async (userId: string) =>
  (await env.DB.prepare('SELECT mfa_enabled FROM users WHERE id = ?').bind(userId).first<{ mfa_enabled: number }>())!
    .mfa_enabled;

const recoveryRows = async (userId: string) =>
  (await env.DB.prepare('SELECT code_hash, used_at FROM recovery_codes WHERE user_id = ?').bind(userId).all()).results;

describe('POST /auth/mfa/totp/setup', () => {
  it('returns a secret and otpauth URI and stores the secret encrypted on an unconfirmed device', async () => {
    const user = await register('mfa');
    const res = expectOk(await call('POST', SETUP, { token: user.accessToken, body: { password: user.password } }));
    const data = res.body.data;
    expect(data.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(data.issuer).toBe('FlowSpark');
    expect(data.account).toBe(user.email);
    expect(data.otpauth_uri).toBe(
      `otpauth://totp/FlowSpark:${encodeURIComponent(user.email)}?secret=${data.secret}&issuer=FlowSpark&algorithm=SHA1&digits=6&period=30`,
    );
    expect(res.headers.get('cache-control')).toBe('no-store');
    const stored = await device(user.userId);
    expect(stored?.confirmed_at).toBeNull();
    expect(stored?.secret_encrypted).toMatch(/^v1\./);
    expect(stored?.secret_encrypted).not.toContain(data.secret);
    expect(await mfaEnabled(user.userId)).toBe(0);
  });

  it('a second setup replaces the pending secret: codes of the first no longer verify', async () => {
    const user = await register('mfa');
    const first = await setup(user);
    const second = await setup(user);
    expect(second.secret).not.toBe(first.secret);
    const step = totpStep();
    const stale = await call('POST', VERIFY, {
      token: user.accessToken,
      body: { code: await totpAt(first.secret, step) },
    });
    // Codes of two random secrets collide with probability 1e-6; the check below would then be moot, not wrong.
    if ((await totpAt(first.secret, step)) !== (await totpAt(second.secret, step))) {
      expect(stale.status).toBe(401);
      expect(stale.body.error.code).toBe('INVALID_MFA_CODE');
    }
    expectOk(
      await call('POST', VERIFY, { token: user.accessToken, body: { code: await totpAt(second.secret, step) } }),
    );
  });

  it('is refused with 409 while MFA is enabled, leaving the device alone', async () => {
    const user = await register('mfa');
    await enable(user);
    const before = await device(user.userId);
    const res = await call('POST', SETUP, { token: user.accessToken, body: { password: user.password } });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('CONFLICT');
    expect(await device(user.userId)).toEqual(before);
  });

  it('needs a signed-in user: no token is 401, an API key is 403', async () => {
    const tenant = await createTenant({ via: 'api' });
    const anonymous = await call('POST', SETUP);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('UNAUTHENTICATED');
    const withKey = await call('POST', SETUP, { token: tenant.apiKey, body: { password: tenant.password } });
    expect(withKey.status).toBe(403);
    expect(withKey.body.error.code).toBe('FORBIDDEN');
    expect(await device(tenant.userId)).toBeNull();
  });
});

describe('POST /auth/mfa/totp/verify', () => {
  it('confirms the device, turns MFA on and returns 10 recovery codes stored only as hashes', async () => {
    const user = await register('mfa');
    const { secret } = await setup(user);
    const step = totpStep();
    const res = expectOk(
      await call('POST', VERIFY, { token: user.accessToken, body: { code: await totpAt(secret, step) } }),
    );
    expect(res.body.data.enabled).toBe(true);
    const codes = res.body.data.recovery_codes as string[];
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
    expect(await mfaEnabled(user.userId)).toBe(1);
    const stored = await device(user.userId);
    expect(stored?.confirmed_at).toMatch(ISO_TIME);
    expect(stored?.last_used_step).toBe(step);
    const rows = await recoveryRows(user.userId);
    expect(rows).toHaveLength(10);
    const hashes = rows.map((r) => r.code_hash as string);
    for (const code of codes) expect(hashes).not.toContain(code);
    expect(rows.every((r) => r.used_at === null)).toBe(true);
    const me = expectOk(await call('GET', '/api/v1/auth/me', { token: user.accessToken }));
    expect(me.body.data.user.mfa_enabled).toBe(true);
  });

  it('rejects a wrong code with 401 INVALID_MFA_CODE and keeps MFA off', async () => {
    const user = await register('mfa');
    const { secret } = await setup(user);
    const res = await call('POST', VERIFY, {
      token: user.accessToken,
      body: { code: await wrongCode(secret, totpStep()) },
    });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('INVALID_MFA_CODE');
    expect(await mfaEnabled(user.userId)).toBe(0);
    expect((await device(user.userId))?.confirmed_at).toBeNull();
  });

  it('without a pending setup is 409, and once enabled verifying again is 409', async () => {
    const user = await register('mfa');
    const none = await call('POST', VERIFY, { token: user.accessToken, body: { code: '123456' } });
    expect(none.status).toBe(409);
    expect(none.body.error).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('setup') });
    const { secret, step } = await enable(user);
    const again = await call('POST', VERIFY, {
      token: user.accessToken,
      body: { code: await totpAt(secret, step + 1) },
    });
    expect(again.status).toBe(409);
    expect(await recoveryRows(user.userId)).toHaveLength(10);
  });

  it('validates the body', async () => {
    const user = await register('mfa');
    await setup(user);
    for (const body of [{ code: '12345' }, { code: 123456 }, { code: '12345a' }, {}, { code: '123456', extra: 1 }]) {
      const res = await call('POST', VERIFY, { token: user.accessToken, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
    }
    const malformed = await call('POST', VERIFY, {
      token: user.accessToken,
      rawBody: '{"code":',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('MALFORMED_JSON');
  });

  it('needs a signed-in user', async () => {
    const tenant = await createTenant({ via: 'api' });
    expect((await call('POST', VERIFY, { body: { code: '123456' } })).status).toBe(401);
    const withKey = await call('POST', VERIFY, { token: tenant.apiKey, body: { code: '123456' } });
    expect(withKey.status).toBe(403);
    expect(withKey.body.error.code).toBe('FORBIDDEN');
  });
});

describe('POST /auth/mfa/totp/disable', () => {
  it('refuses a wrong password or a wrong code, then turns MFA off with the right ones', async () => {
    const user = await register('mfa');
    const { secret, step } = await enable(user);
    const code = await totpAt(secret, step + 1);

    const badPassword = await call('POST', DISABLE, {
      token: user.accessToken,
      body: { password: 'not the password at all', code },
    });
    expect(badPassword.status).toBe(401);
    expect(badPassword.body.error.code).toBe('INVALID_CREDENTIALS');

    const badCode = await call('POST', DISABLE, {
      token: user.accessToken,
      body: { password: user.password, code: await wrongCode(secret, step) },
    });
    expect(badCode.status).toBe(401);
    expect(badCode.body.error.code).toBe('INVALID_MFA_CODE');
    expect(await mfaEnabled(user.userId)).toBe(1);

    const res = expectOk(
      await call('POST', DISABLE, { token: user.accessToken, body: { password: user.password, code } }),
    );
    expect(res.body.data).toEqual({ enabled: false });
    expect(await mfaEnabled(user.userId)).toBe(0);
    expect(await device(user.userId)).toBeNull();
    expect(await recoveryRows(user.userId)).toHaveLength(0);

    const signedIn = expectOk(await login(user));
    expect(signedIn.body.data.mfa_required).toBeUndefined();
    expect(signedIn.body.data.tokens.access_token).toEqual(expect.any(String));
  });

  it('accepts an unused recovery code instead of a TOTP code', async () => {
    const user = await register('mfa');
    const { recoveryCodes } = await enable(user);
    expectOk(
      await call('POST', DISABLE, {
        token: user.accessToken,
        body: { password: user.password, code: recoveryCodes[3]!.toUpperCase() },
      }),
    );
    expect(await mfaEnabled(user.userId)).toBe(0);
  });

  it('a TOTP code already spent (the one that enabled MFA) does not disable it', async () => {
    const user = await register('mfa');
    const { secret, step } = await enable(user);
    const res = await call('POST', DISABLE, {
      token: user.accessToken,
      body: { password: user.password, code: await totpAt(secret, step) },
    });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('INVALID_MFA_CODE');
    expect(await mfaEnabled(user.userId)).toBe(1);
  });

  it('is 409 when MFA is not enabled', async () => {
    const user = await register('mfa');
    const res = await call('POST', DISABLE, {
      token: user.accessToken,
      body: { password: user.password, code: '123456' },
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('CONFLICT');
  });

  it('validates the body and needs a signed-in user', async () => {
    const tenant = await createTenant({ via: 'api' });
    for (const body of [
      { password: tenant.password },
      { code: '123456' },
      { password: 1, code: '123456' },
      { password: 'x', code: '123456', y: 1 },
    ]) {
      const res = await tenant.as('POST', DISABLE, { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
    }
    const malformed = await tenant.as('POST', DISABLE, {
      rawBody: 'nope',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.body.error.code).toBe('MALFORMED_JSON');
    expect((await call('POST', DISABLE, { body: { password: 'x', code: '123456' } })).status).toBe(401);
    const withKey = await call('POST', DISABLE, {
      token: tenant.apiKey,
      body: { password: tenant.password, code: '123456' },
    });
    expect(withKey.status).toBe(403);
    expect(withKey.body.error.code).toBe('FORBIDDEN');
  });
});
