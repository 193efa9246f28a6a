import { totpAt } from '@flowspark/auth';
import { describe, expect, it } from 'vitest';
import {
  call,
  createTenant,
  enableMfa,
  env,
  expectOk,
  lastMailTo,
  login,
  me,
  nextIp,
  PASSWORD,
  register,
  type TestUser,
  uniqueEmail,
  waitForMail,
} from '../helpers/harness';

const CHANGE = '/api/v1/auth/email/change';
const CONFIRM = '/api/v1/auth/email/confirm';
const UNDO = '/api/v1/auth/email/undo';

const change = (user: Pick<TestUser, 'accessToken' | 'ip'>, body: unknown) =>
  call('POST', CHANGE, { token: user.accessToken, body, headers: { 'cf-connecting-ip': user.ip } });

const tokenIn = (body: string, path: string) => {
  const match = new RegExp(`${path}\\?token=([A-Za-z0-9_%-]+)`).exec(body);
  if (!match) throw new Error(`no ${path} link in the mail`);
  return decodeURIComponent(match[1]!);
};

/** Asks for a change and reads both mails: the confirmation to the new address, the notice to the old. */
const requestChange = async (user: TestUser, newEmail: string, extra: Record<string, unknown> = {}) => {
  const res = expectOk(await change(user, { email: newEmail, password: PASSWORD, ...extra }), 202);
  const confirmation = (await lastMailTo(newEmail))!;
  const notice = (await lastMailTo(user.email))!;
  return {
    res,
    confirmation,
    notice,
    confirmToken: tokenIn(confirmation.body, 'confirm-email'),
    undoToken: tokenIn(notice.body, 'undo-email-change'),
  };
};

const emailOf = async (userId: string) =>
  (await env.DB.prepare('SELECT email FROM users WHERE id = ?').bind(userId).first<{ email: string }>())!.email;

describe('POST /auth/email/change', () => {
  it('a stolen access token alone cannot move the email: the password is required and checked', async () => {
    const user = await register();
    const attacker = uniqueEmail('attacker');
    const missing = await change(user, { email: attacker });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details.fields).toHaveProperty('password');
    const wrong = await change(user, { email: attacker, password: 'a guess at the password' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('INVALID_CREDENTIALS');
    const failures = await env.DB.prepare('SELECT count(*) AS n FROM login_attempts WHERE email = ? AND success = 0')
      .bind(user.email)
      .first<{ n: number }>();
    expect(failures!.n).toBe(1);
    expect(await emailOf(user.userId)).toBe(user.email);
    expect(await lastMailTo(attacker)).toBeUndefined();
  });

  it('changes nothing until the new address confirms; then revokes the other sessions', async () => {
    const user = await register();
    const other = expectOk(await login(user)).body.data.tokens;
    const newEmail = uniqueEmail('moved');
    const { res, confirmation, notice, confirmToken } = await requestChange(user, newEmail.toUpperCase());
    expect(res.body.data).toEqual({ new_email: newEmail, expires_at: expect.any(String) });
    expect(Date.parse(res.body.data.expires_at) - Date.now()).toBeGreaterThan(23 * 3600 * 1000);
    expect(confirmation.subject).toBe('Confirm your new FlowSpark email address');
    // The old address is told at once, with the new address and a way to undo.
    expect(notice.subject).toBe('Your FlowSpark email is about to change');
    expect(notice.body).toContain(newEmail);
    expect(notice.body).toContain('/undo-email-change?token=');
    expect(await emailOf(user.userId)).toBe(user.email);
    expectOk(await login(user));

    const confirmed = expectOk(await call('POST', CONFIRM, { body: { token: confirmToken } }));
    expect(confirmed.body.data.email).toBe(newEmail);
    expect(confirmed.body.data.revoked_sessions).toBe(2);
    expect(await emailOf(user.userId)).toBe(newEmail);
    // The session that asked stays; the others are signed out.
    expectOk(await me(user.accessToken));
    expect((await me(other.access_token)).status).toBe(401);
    expect((await call('POST', '/api/v1/auth/refresh', { body: { refresh_token: other.refresh_token } })).status).toBe(
      401,
    );
    expectOk(await login({ ...user, email: newEmail }));
    expect((await login(user)).status).toBe(401);
    const done = (await lastMailTo(user.email))!;
    expect(done.subject).toBe('Your FlowSpark email was changed');
    // The link works once.
    const again = await call('POST', CONFIRM, { body: { token: confirmToken } });
    expect(again.status).toBe(400);
    expect(again.body.error.details.fields).toHaveProperty('token');
  });

  it('needs the second factor when MFA is on', async () => {
    const user = await register('mfa');
    const { secret, step } = await enableMfa(user);
    const newEmail = uniqueEmail('moved');
    const noCode = await change(user, { email: newEmail, password: PASSWORD });
    expect(noCode.status).toBe(400);
    expect(noCode.body.error.details.fields).toHaveProperty('code');
    const wrongCode = await change(user, { email: newEmail, password: PASSWORD, code: '000000' });
    expect(wrongCode.status).toBe(401);
    expect(wrongCode.body.error.code).toBe('INVALID_MFA_CODE');
    expect(await lastMailTo(newEmail)).toBeUndefined();
    expectOk(await change(user, { email: newEmail, password: PASSWORD, code: await totpAt(secret, step + 1) }), 202);
  });

  it('refuses the current email, a taken one, API keys and bad input', async () => {
    const tenant = await createTenant({ via: 'api' });
    const other = await register('other');
    const same = await change(tenant, { email: tenant.email, password: PASSWORD });
    expect(same.status).toBe(400);
    expect(same.body.error.details.fields).toHaveProperty('email');
    const taken = await change(tenant, { email: other.email, password: PASSWORD });
    expect(taken.status).toBe(409);
    const byKey = await call('POST', CHANGE, {
      token: tenant.apiKey,
      body: { email: uniqueEmail(), password: PASSWORD },
    });
    expect(byKey.status).toBe(403);
    expect((await change(tenant, { email: 'nope', password: PASSWORD })).status).toBe(400);
    expect((await change(tenant, { email: uniqueEmail(), password: PASSWORD, admin: true })).status).toBe(400);
    expect((await call('POST', CHANGE, { body: { email: uniqueEmail(), password: PASSWORD } })).status).toBe(401);
  });

  it('a newer request replaces a pending one', async () => {
    const user = await register();
    const first = await requestChange(user, uniqueEmail('first'));
    const secondEmail = uniqueEmail('second');
    const second = await requestChange(user, secondEmail);
    expect((await call('POST', CONFIRM, { body: { token: first.confirmToken } })).status).toBe(400);
    expectOk(await call('POST', CONFIRM, { body: { token: second.confirmToken } }));
    expect(await emailOf(user.userId)).toBe(secondEmail);
  });

  it('an expired confirmation does nothing; an address taken meanwhile is 409', async () => {
    const user = await register();
    const late = await requestChange(user, uniqueEmail('late'));
    await env.DB.prepare("UPDATE email_changes SET expires_at = '2000-01-01T00:00:00.000Z' WHERE user_id = ?")
      .bind(user.userId)
      .run();
    expect((await call('POST', CONFIRM, { body: { token: late.confirmToken } })).status).toBe(400);

    const wanted = uniqueEmail('wanted');
    const raced = await requestChange(user, wanted);
    expectOk(
      await call('POST', '/api/v1/auth/register', {
        body: { email: wanted, password: PASSWORD, name: 'Quick', organization_name: 'Quick Org' },
        headers: { 'cf-connecting-ip': nextIp() },
      }),
      201,
    );
    expect((await call('POST', CONFIRM, { body: { token: raced.confirmToken } })).status).toBe(409);
    expect(await emailOf(user.userId)).toBe(user.email);
  });

  it('voids password reset links mailed to the old address before the change', async () => {
    const user = await register();
    expectOk(await call('POST', '/api/v1/auth/password/reset', { body: { email: user.email } }), 202);
    const reset = await waitForMail(user.email, 'Reset your FlowSpark password');
    const resetToken = tokenIn(reset.body, 'reset-password');
    const { confirmToken } = await requestChange(user, uniqueEmail('moved'));
    expectOk(await call('POST', CONFIRM, { body: { token: confirmToken } }));
    const used = await call('POST', '/api/v1/auth/password/reset/confirm', {
      body: { token: resetToken, new_password: 'taken over by the old mailbox' },
    });
    expect(used.status).toBe(400);
  });
});

describe('POST /auth/email/undo', () => {
  it('reverses a completed change: the old address returns, everyone is signed out, a reset link is mailed', async () => {
    const victim = await createTenant({ via: 'api' });
    const attackerEmail = uniqueEmail('attacker');
    const { confirmToken, undoToken } = await requestChange(victim, attackerEmail);
    expectOk(await call('POST', CONFIRM, { body: { token: confirmToken } }));
    // While the undo window runs, nobody can register the old address to block the undo.
    const squat = await call('POST', '/api/v1/auth/register', {
      body: { email: victim.email, password: PASSWORD, name: 'Squatter', organization_name: 'Squat' },
      headers: { 'cf-connecting-ip': nextIp() },
    });
    expect(squat.status).toBe(409);

    const undone = expectOk(await call('POST', UNDO, { body: { token: undoToken } }));
    expect(undone.body.data).toMatchObject({ email: victim.email, revoked_api_keys: 1 });
    expect(undone.body.data.revoked_sessions).toBeGreaterThanOrEqual(1);
    expect(await emailOf(victim.userId)).toBe(victim.email);
    // The intruder's session (the one that asked) and the API key stop working.
    expect((await me(victim.accessToken)).status).toBe(401);
    expect((await me(victim.apiKey)).status).toBe(401);
    expect((await login({ ...victim, email: attackerEmail })).status).toBe(401);
    const mail = await waitForMail(victim.email, 'Reset your FlowSpark password');
    expect(mail.body).toContain('/reset-password?token=');
    expect((await call('POST', UNDO, { body: { token: undoToken } })).status).toBe(400);
  });

  it('cancels a pending change: the confirmation link dies', async () => {
    const user = await register();
    const { confirmToken, undoToken } = await requestChange(user, uniqueEmail('pending'));
    expectOk(await call('POST', UNDO, { body: { token: undoToken } }));
    expect((await call('POST', CONFIRM, { body: { token: confirmToken } })).status).toBe(400);
    expect(await emailOf(user.userId)).toBe(user.email);
    expect((await me(user.accessToken)).status).toBe(401);
  });

  it('refuses unknown, malformed and expired tokens', async () => {
    expect((await call('POST', UNDO, { body: { token: 'nope' } })).status).toBe(400);
    expect((await call('POST', UNDO, { body: {} })).status).toBe(400);
    const user = await register();
    const { undoToken } = await requestChange(user, uniqueEmail('old'));
    await env.DB.prepare("UPDATE email_changes SET undo_expires_at = '2000-01-01T00:00:00.000Z' WHERE user_id = ?")
      .bind(user.userId)
      .run();
    expect((await call('POST', UNDO, { body: { token: undoToken } })).status).toBe(400);
  });
});
