import { hashPassword, loadSigningKeys, verifyMfaToken } from '@flowspark/auth';
import { describe, expect, it } from 'vitest';
import { addMember, call, env, expectOk, login, nextIp, PASSWORD, register, uniqueEmail } from '../helpers/harness';

/** An IP no other test file uses (the harness counter restarts in every file). */
const isolatedIp = () => {
  const hex = crypto.randomUUID().replaceAll('-', '');
  return `2001:db8:${hex.slice(0, 4)}:${hex.slice(4, 8)}:${hex.slice(8, 12)}::1`;
};

const attempt = (email: string, password: string, ip: string, extra: Record<string, unknown> = {}) =>
  call('POST', '/api/v1/auth/login', { body: { email, password, ...extra }, headers: { 'cf-connecting-ip': ip } });

const attemptsOf = async (email: string) =>
  (
    await env.DB.prepare('SELECT success, ip FROM login_attempts WHERE email = ? ORDER BY created_at')
      .bind(email)
      .all<{ success: number; ip: string }>()
  ).results;

describe('POST /auth/login', () => {
  it('signs in with the right password and records the login', async () => {
    const user = await register();
    const res = expectOk(await login({ ...user, email: user.email.toUpperCase() }));
    const { user: me, organization, role, tokens } = res.body.data;
    expect(me.id).toBe(user.userId);
    expect(organization.id).toBe(user.orgId);
    expect(role).toBe('owner');
    expect(tokens.session_id).not.toBe(user.sessionId);
    expect(Date.parse(me.last_login_at)).toBeGreaterThan(Date.now() - 60_000);

    const stored = await env.DB.prepare('SELECT last_login_at FROM users WHERE id = ?')
      .bind(user.userId)
      .first<{ last_login_at: string }>();
    expect(stored?.last_login_at).toBe(me.last_login_at);
    const session = await env.DB.prepare('SELECT user_id, org_id, ip FROM sessions WHERE id = ?')
      .bind(tokens.session_id)
      .first();
    expect(session).toEqual({ user_id: user.userId, org_id: user.orgId, ip: user.ip });
    expect(await attemptsOf(user.email)).toEqual([{ success: 1, ip: user.ip }]);
    expectOk(await call('GET', '/api/v1/auth/me', { token: tokens.access_token }));
  });

  it('answers a wrong password and an unknown email identically, and records both', async () => {
    const user = await register();
    const wrong = await attempt(user.email, 'not the password', user.ip);
    const unknownEmail = uniqueEmail('nobody');
    const unknown = await attempt(unknownEmail, 'not the password', user.ip);
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.error).toEqual({ code: 'INVALID_CREDENTIALS', message: 'Invalid email or password' });
    expect(unknown.body.error).toEqual(wrong.body.error);
    expect(await attemptsOf(user.email)).toEqual([{ success: 0, ip: user.ip }]);
    expect(await attemptsOf(unknownEmail)).toEqual([{ success: 0, ip: user.ip }]);
  });

  it('treats a disabled account like a wrong password', async () => {
    const user = await register();
    await env.DB.prepare('UPDATE users SET is_active = 0 WHERE id = ?').bind(user.userId).run();
    const res = await login(user);
    expect(res.status).toBe(401);
    expect(res.body.error).toEqual({ code: 'INVALID_CREDENTIALS', message: 'Invalid email or password' });
  });

  it('picks the requested organization, else the default one, else the oldest membership', async () => {
    const tenant = await register('tenant');
    const member = await addMember(tenant, 'viewer', { via: 'api' });
    // No organization asked: the member's own (default) organization.
    const own = expectOk(await login(member));
    expect(own.body.data.organization.id).not.toBe(tenant.orgId);
    expect(own.body.data.role).toBe('owner');
    const ownOrgId = own.body.data.organization.id;
    // Asked for the tenant: lands there with that role.
    const there = expectOk(await login(member, tenant.orgId));
    expect(there.body.data.organization.id).toBe(tenant.orgId);
    expect(there.body.data.role).toBe('viewer');
    // Default organization gone: the oldest remaining membership.
    await env.DB.prepare('DELETE FROM memberships WHERE org_id = ? AND user_id = ?')
      .bind(ownOrgId, member.userId)
      .run();
    const fallback = expectOk(await login(member));
    expect(fallback.body.data.organization.id).toBe(tenant.orgId);
  });

  it('refuses an organization the user does not belong to, and a user with none', async () => {
    const user = await register();
    const other = await register('other');
    const res = await login(user, other.orgId);
    expect(res.status).toBe(403);
    expect(res.body.error).toEqual({ code: 'FORBIDDEN', message: 'Not a member of that organization' });
    await env.DB.prepare('DELETE FROM memberships WHERE user_id = ?').bind(user.userId).run();
    const none = await login(user);
    expect(none.status).toBe(403);
    expect(none.body.error.code).toBe('FORBIDDEN');
  });

  it('validates the body', async () => {
    const ip = nextIp();
    const missing = await call('POST', '/api/v1/auth/login', {
      body: { email: uniqueEmail() },
      headers: { 'cf-connecting-ip': ip },
    });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details.fields).toHaveProperty('password');
    const extra = await attempt(uniqueEmail(), PASSWORD, ip, { remember_me: true });
    expect(extra.status).toBe(400);
    expect(extra.body.error.details.fields['(body)'][0]).toContain('remember_me');
    const badEmail = await attempt('nope', PASSWORD, ip);
    expect(badEmail.status).toBe(400);
    expect(badEmail.body.error.details.fields).toHaveProperty('email');
    const wrongType = await call('POST', '/api/v1/auth/login', { body: { email: uniqueEmail(), password: 123 } });
    expect(wrongType.status).toBe(400);
    const broken = await call('POST', '/api/v1/auth/login', {
      rawBody: 'email=a@b.co',
      headers: { 'content-type': 'application/json' },
    });
    expect(broken.body.error.code).toBe('MALFORMED_JSON');
  });

  it('replaces an outdated password hash after a successful login', async () => {
    const user = await register();
    const weak = await hashPassword(PASSWORD, 1000);
    await env.DB.prepare('UPDATE users SET password_hash = ? WHERE id = ?').bind(weak, user.userId).run();
    expectOk(await login(user));
    const stored = await env.DB.prepare('SELECT password_hash FROM users WHERE id = ?')
      .bind(user.userId)
      .first<{ password_hash: string }>();
    expect(stored?.password_hash).toMatch(/^pbkdf2-sha256\$100000\$/);
    expectOk(await login(user));
  });

  it('asks for the second factor instead of issuing tokens when MFA is on', async () => {
    const user = await register();
    await env.DB.prepare('UPDATE users SET mfa_enabled = 1 WHERE id = ?').bind(user.userId).run();
    const res = expectOk(await login(user));
    expect(res.body.data).toEqual({ mfa_required: true, mfa_token: expect.any(String), expires_in: 300 });
    expect(res.body.data).not.toHaveProperty('tokens');
    const claims = await verifyMfaToken(await loadSigningKeys(env), res.body.data.mfa_token, {
      issuer: env.JWT_ISSUER!,
      audience: env.JWT_AUDIENCE!,
    });
    expect(claims).toMatchObject({ sub: user.userId, tid: user.orgId, purpose: 'mfa' });
    // The MFA token is not an access token.
    const me = await call('GET', '/api/v1/auth/me', { token: res.body.data.mfa_token });
    expect(me.status).toBe(401);
    const sessions = await env.DB.prepare('SELECT count(*) AS n FROM sessions WHERE user_id = ?')
      .bind(user.userId)
      .first<{ n: number }>();
    expect(sessions?.n).toBe(1); // only the one from registration
  });
});

/** Writes failed attempts directly: the ceilings are counted in hundreds, far too slow to reach by PBKDF2. */
const seedFailures = async (email: string, count: number, ipOf: (i: number) => string) => {
  const now = Date.now();
  const statements = Array.from({ length: count }, (_, i) =>
    env.DB.prepare('INSERT INTO login_attempts (id, email, ip, success, created_at) VALUES (?, ?, ?, 0, ?)').bind(
      `lat_${crypto.randomUUID().replaceAll('-', '')}`,
      email,
      ipOf(i),
      new Date(now - 1000 - i).toISOString(),
    ),
  );
  await env.DB.batch(statements);
};

/** Ages this account's failures by `seconds` (growing delays are timed from the newest failure). */
const ageFailures = (email: string, seconds: number) =>
  env.DB.prepare(
    "UPDATE login_attempts SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', created_at, ?) WHERE email = ? AND success = 0",
  )
    .bind(`-${seconds} seconds`, email)
    .run();

describe('login throttling', () => {
  it('someone else guessing cannot lock the owner out (the lockout denial of service)', async () => {
    const user = await register();
    const attackerIp = isolatedIp();
    for (let i = 0; i < 8; i++) {
      const res = await attempt(user.email, 'wrong password', attackerIp);
      expect([401, 429]).toContain(res.status);
    }
    // The attacker's IP is held back for this account ...
    const attacker = await attempt(user.email, PASSWORD, attackerIp);
    expect(attacker.status).toBe(429);
    expect(attacker.body.error.code).toBe('TOO_MANY_ATTEMPTS');
    // ... the owner, from their own IP, is not.
    expectOk(await login(user));
  });

  it('per account and IP: 5 free failures, then a wait that doubles from 1 second', async () => {
    const user = await register();
    // The registration sign-in must not hide the failures below.
    await env.DB.prepare("UPDATE users SET last_login_at = '2000-01-01T00:00:00.000Z' WHERE id = ?")
      .bind(user.userId)
      .run();
    const ip = isolatedIp();
    for (let i = 0; i < 5; i++) expect((await attempt(user.email, 'wrong password', ip)).status).toBe(401);
    let blocked = await attempt(user.email, PASSWORD, ip);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBe(1);
    expect(blocked.body.error.details.retry_after_seconds).toBe(1);
    // Refused attempts are not recorded, so hammering does not extend the wait.
    expect((await attemptsOf(user.email)).length).toBe(5);

    const waits: number[] = [];
    for (let failures = 5; failures < 10; failures++) {
      // Let the current wait pass, fail once more, and read the next wait.
      await ageFailures(user.email, 2 ** (failures - 5) + 1);
      expect((await attempt(user.email, 'wrong password', ip)).status).toBe(401);
      blocked = await attempt(user.email, PASSWORD, ip);
      expect(blocked.status).toBe(429);
      waits.push(Number(blocked.headers.get('retry-after')));
    }
    expect(waits).toEqual([2, 4, 8, 16, 32]);
    // Another IP is unaffected, and the wait passing lets the right password in.
    expectOk(await attempt(user.email, PASSWORD, isolatedIp()));
    await ageFailures(user.email, 33);
    expectOk(await attempt(user.email, PASSWORD, ip));
  });

  it('caps the wait at 15 minutes', async () => {
    const email = uniqueEmail('ghost');
    const ip = isolatedIp();
    await seedFailures(email, 30, () => ip);
    const blocked = await attempt(email, 'guess', ip);
    expect(blocked.status).toBe(429);
    const retryAfter = Number(blocked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(890);
    expect(retryAfter).toBeLessThanOrEqual(900);
  });

  it('throttles unknown emails the same way as real ones', async () => {
    const email = uniqueEmail('ghost');
    const ip = isolatedIp();
    for (let i = 0; i < 5; i++) expect((await attempt(email, 'guess', ip)).status).toBe(401);
    const blocked = await attempt(email, 'guess', ip);
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('TOO_MANY_ATTEMPTS');
  });

  it('a generous per-account ceiling stops distributed guessing, but never a known device', async () => {
    const user = await register();
    // A first complete sign-in from the owner's device hands it a device token.
    const first = expectOk(await login(user));
    const deviceToken = first.body.data.device_token as string;
    expect(deviceToken).toMatch(/^fsd_/);
    // Only the failures after the owner's last sign-in count; make the seeded ones fall after it.
    await env.DB.prepare("UPDATE users SET last_login_at = '2000-01-01T00:00:00.000Z' WHERE id = ?")
      .bind(user.userId)
      .run();
    // A botnet: 100 failures from 100 IPs (each IP under its own limit).
    await seedFailures(user.email, 100, (i) => `198.18.${Math.floor(i / 250)}.${i % 250}`);
    const stranger = await attempt(user.email, PASSWORD, isolatedIp());
    expect(stranger.status).toBe(429);
    expect(Number(stranger.headers.get('retry-after'))).toBeGreaterThan(800);
    // Another user's device token does not help ...
    const other = await register('other');
    const otherDevice = expectOk(await login(other)).body.data.device_token as string;
    const borrowed = await attempt(user.email, PASSWORD, isolatedIp(), { device_token: otherDevice });
    expect(borrowed.status).toBe(429);
    // ... but the owner's device is let through with the right password, even from a new IP,
    // and keeps its token (no new one is issued).
    const owner = expectOk(await attempt(user.email, PASSWORD, isolatedIp(), { device_token: deviceToken }));
    expect(owner.body.data).not.toHaveProperty('device_token');
  });

  it('a known device has its own budget: 10 wrong passwords in a row and it is forgotten', async () => {
    const user = await register();
    const deviceToken = expectOk(await login(user)).body.data.device_token as string;
    const ip = isolatedIp();
    for (let i = 0; i < 9; i++) {
      expect((await attempt(user.email, 'wrong password', ip, { device_token: deviceToken })).status).toBe(401);
    }
    // Nine in a row: still known, so the per account-and-IP wait does not apply to it.
    expectOk(await attempt(user.email, PASSWORD, ip, { device_token: deviceToken }));
    // The success restored the budget; ten more in a row and the device is forgotten.
    for (let i = 0; i < 10; i++) await attempt(user.email, 'wrong password', ip, { device_token: deviceToken });
    const known = await env.DB.prepare('SELECT count(*) AS n FROM known_devices WHERE user_id = ?')
      .bind(user.userId)
      .first<{ n: number }>();
    expect(known!.n).toBe(0);
    expect((await attempt(user.email, PASSWORD, ip, { device_token: deviceToken })).status).toBe(429);
  });

  it('starts the account count over after a complete sign-in', async () => {
    const user = await register();
    // Registration counts as a sign-in, so age it out of the way first.
    await env.DB.prepare("UPDATE users SET last_login_at = '2000-01-01T00:00:00.000Z' WHERE id = ?")
      .bind(user.userId)
      .run();
    for (let i = 0; i < 4; i++) await attempt(user.email, 'wrong password', user.ip);
    expectOk(await login(user));
    for (let i = 0; i < 4; i++) expect((await attempt(user.email, 'wrong password', user.ip)).status).toBe(401);
    expectOk(await login(user));
    for (let i = 0; i < 5; i++) await attempt(user.email, 'wrong password', user.ip);
    expect((await login(user)).status).toBe(429);
  });

  it('blocks an IP after 50 failures across any emails (LOGIN_MAX_FAILURES_PER_IP default)', async () => {
    const ip = isolatedIp();
    // Each failure spends one PBKDF2 check (~20 ms locally), so the real default is cheap enough.
    for (let i = 0; i < 50; i++) {
      const res = await attempt(uniqueEmail('spray'), 'password spraying', ip);
      expect(res.status).toBe(401);
    }
    const user = await register();
    const blocked = await attempt(user.email, PASSWORD, ip);
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('TOO_MANY_ATTEMPTS');
    // Until the oldest failure leaves the 15-minute window.
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(15 * 60 - 60);
    expect(Number(blocked.headers.get('retry-after'))).toBeLessThanOrEqual(15 * 60);
    // The same account from another IP is fine: the block is on the IP.
    expectOk(await login(user));
    // A successful login from that IP would not have reset the IP's count either.
    expect((await attempt(uniqueEmail('spray'), 'x', ip)).status).toBe(429);
  });
});
