import { sha256Hex } from '@flowspark/auth';
import { loadConfig } from '@flowspark/core';
import { describe, expect, it } from 'vitest';
import type { Env } from '../../workers/env';
import {
  call,
  env,
  expectOk,
  fetchWith,
  ISO_TIME,
  me,
  readResponse,
  refresh,
  register,
  toRequest,
} from '../helpers/harness';

const tokenRow = async (token: string) =>
  env.DB.prepare('SELECT id, used_at, successor_encrypted FROM refresh_tokens WHERE token_hash = ?')
    .bind(await sha256Hex(token))
    .first<{ id: string; used_at: string | null; successor_encrypted: string | null }>();

const sessionRow = (sessionId: string) =>
  env.DB.prepare('SELECT revoked_at, revoke_reason FROM sessions WHERE id = ?')
    .bind(sessionId)
    .first<{ revoked_at: string | null; revoke_reason: string | null }>();

/** Moves the moment a token was spent into the past, so the grace window is over without waiting. */
const backdateSpend = async (token: string, secondsAgo: number) => {
  const usedAt = new Date(Date.now() - secondsAgo * 1000).toISOString();
  const res = await env.DB.prepare('UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NOT NULL')
    .bind(usedAt, await sha256Hex(token))
    .run();
  expect(res.meta.changes).toBe(1);
};

const expectReuse = async (res: { status: number; body: any }, sessionId: string) => {
  expect(res.status).toBe(401);
  expect(res.body.error.code).toBe('INVALID_TOKEN');
  expect((await sessionRow(sessionId))?.revoke_reason).toBe('refresh_token_reuse');
};

describe('POST /auth/refresh: grace window for concurrent refreshes', () => {
  it('gives two concurrent refreshes with one token the same successor and keeps the session', async () => {
    const user = await register();
    const [a, b] = await Promise.all([refresh(user.refreshToken), refresh(user.refreshToken)]);
    const first = expectOk(a).body.data;
    const second = expectOk(b).body.data;
    expect(second.refresh_token).toBe(first.refresh_token);
    expect(first.refresh_token).not.toBe(user.refreshToken);
    expect(second.session_id).toBe(user.sessionId);
    expect(first.session_id).toBe(user.sessionId);
    // Both tabs' access tokens work: nobody was signed out.
    expect(expectOk(await me(first.access_token)).body.data.auth.session_id).toBe(user.sessionId);
    expect(expectOk(await me(second.access_token)).body.data.auth.session_id).toBe(user.sessionId);
    expect((await sessionRow(user.sessionId))?.revoked_at).toBeNull();
    // The race issued exactly one successor: the first token and the shared successor, nothing orphaned.
    const count = await env.DB.prepare('SELECT count(*) AS n FROM refresh_tokens WHERE session_id = ?')
      .bind(user.sessionId)
      .first<{ n: number }>();
    expect(count?.n).toBe(2);
    // And the chain goes on from the shared successor.
    expect(expectOk(await refresh(first.refresh_token)).body.data.session_id).toBe(user.sessionId);
  });

  it('returns the same successor to a second presentation within the window, with a fresh access token', async () => {
    const user = await register();
    const first = expectOk(await refresh(user.refreshToken)).body.data;
    const again = expectOk(await refresh(user.refreshToken)).body.data;
    expect(again.refresh_token).toBe(first.refresh_token);
    expect(again.session_id).toBe(user.sessionId);
    // What is left of the session's 30 days.
    expect(again.refresh_token_expires_in).toBeGreaterThan(30 * 24 * 3600 - 60);
    expect(again.refresh_token_expires_in).toBeLessThanOrEqual(30 * 24 * 3600);
    expect(again.access_token).toEqual(expect.any(String));
    expectOk(await me(again.access_token));
    expectOk(await me(first.access_token));
    expect((await sessionRow(user.sessionId))?.revoked_at).toBeNull();
    expectOk(await refresh(first.refresh_token));
  });

  it('treats a presentation after the window as theft: the session, the successor and access tokens die', async () => {
    const user = await register();
    const rotated = expectOk(await refresh(user.refreshToken)).body.data;
    await backdateSpend(user.refreshToken, loadConfig(env).refreshGraceSeconds + 1);
    await expectReuse(await refresh(user.refreshToken), user.sessionId);
    const successor = await refresh(rotated.refresh_token);
    expect(successor.status).toBe(401);
    expect(successor.body.error.code).toBe('INVALID_TOKEN');
    expect((await me(rotated.access_token)).status).toBe(401);
    expect((await me(user.accessToken)).status).toBe(401);
  });

  it('refuses the grace path once the successor was spent (the chain moved on) and revokes the session', async () => {
    const user = await register();
    const second = expectOk(await refresh(user.refreshToken)).body.data;
    const third = expectOk(await refresh(second.refresh_token)).body.data;
    // Still inside the first token's window, but its successor is already spent.
    await expectReuse(await refresh(user.refreshToken), user.sessionId);
    expect((await refresh(third.refresh_token)).status).toBe(401);
    expect((await me(third.access_token)).status).toBe(401);
  });

  it('refuses the grace path when the session was ended meanwhile', async () => {
    const user = await register();
    const rotated = expectOk(await refresh(user.refreshToken)).body.data;
    expect((await call('POST', '/api/v1/auth/logout', { token: rotated.access_token })).status).toBe(204);
    const res = await refresh(user.refreshToken);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('INVALID_TOKEN');
    expect((await sessionRow(user.sessionId))?.revoke_reason).toBe('logout');
  });

  it('stores the successor encrypted, never in plaintext, and drops it once the chain moves on', async () => {
    const user = await register();
    const second = expectOk(await refresh(user.refreshToken)).body.data;
    const spent = await tokenRow(user.refreshToken);
    expect(spent?.used_at).toMatch(ISO_TIME);
    const boxed = spent?.successor_encrypted ?? '';
    expect(boxed).toMatch(/^v1\.[\w-]+\.[\w-]+$/);
    expect(boxed).not.toContain(second.refresh_token);
    expect(boxed).not.toContain(second.refresh_token.slice('fsr_'.length));
    expect(boxed).not.toContain(await sha256Hex(second.refresh_token));
    // The live successor has no successor of its own yet.
    expect((await tokenRow(second.refresh_token))?.successor_encrypted).toBeNull();
    // Spending the successor makes the first token's ciphertext useless: it is cleared.
    expectOk(await refresh(second.refresh_token));
    expect((await tokenRow(user.refreshToken))?.successor_encrypted).toBeNull();
    expect((await tokenRow(second.refresh_token))?.successor_encrypted).toEqual(expect.any(String));
  });

  it('with REFRESH_REUSE_GRACE_SECONDS=0 any second presentation is reuse', async () => {
    const user = await register();
    const strict = { ...env, REFRESH_REUSE_GRACE_SECONDS: '0' } as unknown as Env;
    const send = async (token: string) =>
      readResponse(
        await fetchWith(toRequest('POST', '/api/v1/auth/refresh', { body: { refresh_token: token } }), strict),
      );
    const rotated = expectOk(await send(user.refreshToken)).body.data;
    await expectReuse(await send(user.refreshToken), user.sessionId);
    expect((await refresh(rotated.refresh_token)).status).toBe(401);
  });
});

describe('refresh grace configuration', () => {
  it('defaults to 10 seconds, accepts 0 (off) and whole seconds, caps at 60, ignores garbage', () => {
    expect(loadConfig({}).refreshGraceSeconds).toBe(10);
    expect(loadConfig({ REFRESH_REUSE_GRACE_SECONDS: '0' }).refreshGraceSeconds).toBe(0);
    expect(loadConfig({ REFRESH_REUSE_GRACE_SECONDS: '30' }).refreshGraceSeconds).toBe(30);
    expect(loadConfig({ REFRESH_REUSE_GRACE_SECONDS: '3600' }).refreshGraceSeconds).toBe(60);
    for (const bad of ['-1', '2.5', 'ten', '']) {
      expect(loadConfig({ REFRESH_REUSE_GRACE_SECONDS: bad }).refreshGraceSeconds).toBe(10);
    }
  });
});
