import { sha256Hex } from '@flowspark/auth';
import { loadConfig } from '@flowspark/core';
import { describe, expect, it } from 'vitest';
import { call, createTenant, env, expectOk, ISO_TIME, login, me, refresh, register } from '../helpers/harness';

describe('POST /auth/refresh', () => {
  it('rotates: new tokens for the same session, and the old refresh token is spent', async () => {
    const user = await register();
    const res = expectOk(await refresh(user.refreshToken));
    const tokens = res.body.data;
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 900, session_id: user.sessionId });
    expect(tokens.refresh_token).not.toBe(user.refreshToken);
    expect(tokens.access_token).not.toBe(user.accessToken);
    expect(expectOk(await me(tokens.access_token)).body.data.auth.session_id).toBe(user.sessionId);
    // The next rotation works with the new token.
    const next = expectOk(await refresh(tokens.refresh_token));
    expect(next.body.data.session_id).toBe(user.sessionId);
  });

  it('revokes the whole session when a spent refresh token comes back after the grace window', async () => {
    const user = await register();
    const rotated = expectOk(await refresh(user.refreshToken)).body.data;
    // Move the spend out of the grace window (see refresh-grace.test.ts for presentations inside it).
    const usedAt = new Date(Date.now() - (loadConfig(env).refreshGraceSeconds + 1) * 1000).toISOString();
    await env.DB.prepare('UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ?')
      .bind(usedAt, await sha256Hex(user.refreshToken))
      .run();
    const reused = await refresh(user.refreshToken);
    expect(reused.status).toBe(401);
    expect(reused.body.error.code).toBe('INVALID_TOKEN');
    // The thief's copy killed the family: the newest refresh token and both access tokens stop working.
    const newest = await refresh(rotated.refresh_token);
    expect(newest.status).toBe(401);
    expect(newest.body.error.code).toBe('INVALID_TOKEN');
    expect((await me(rotated.access_token)).status).toBe(401);
    expect((await me(user.accessToken)).status).toBe(401);
    const session = await env.DB.prepare('SELECT revoked_at, revoke_reason FROM sessions WHERE id = ?')
      .bind(user.sessionId)
      .first<{ revoked_at: string | null; revoke_reason: string }>();
    expect(session?.revoked_at).toMatch(ISO_TIME);
    expect(session?.revoke_reason).toBe('refresh_token_reuse');
    // Other sessions of the same user are untouched.
    const other = expectOk(await login(user)).body.data.tokens;
    expectOk(await refresh(other.refresh_token));
  });

  it('refuses unknown, malformed and access tokens with 401 INVALID_TOKEN', async () => {
    const user = await register();
    for (const token of ['fsr_not-a-real-token', 'garbage', user.accessToken]) {
      const res = await refresh(token);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('INVALID_TOKEN');
    }
  });

  it('validates the body', async () => {
    expect((await refresh('')).body.error.code).toBe('VALIDATION_ERROR');
    expect((await refresh(42)).body.error.code).toBe('VALIDATION_ERROR');
    expect((await call('POST', '/api/v1/auth/refresh', { body: {} })).body.error.code).toBe('VALIDATION_ERROR');
    const extra = await call('POST', '/api/v1/auth/refresh', { body: { refresh_token: 'fsr_x', grant_type: 'x' } });
    expect(extra.status).toBe(400);
    expect(extra.body.error.details.fields['(body)'][0]).toContain('grant_type');
    const broken = await call('POST', '/api/v1/auth/refresh', {
      rawBody: '{',
      headers: { 'content-type': 'application/json' },
    });
    expect(broken.body.error.code).toBe('MALFORMED_JSON');
  });
});

describe('POST /auth/logout', () => {
  it('kills the access token and the refresh token of the current session only', async () => {
    const user = await register();
    const other = expectOk(await login(user)).body.data.tokens;
    const res = await call('POST', '/api/v1/auth/logout', { token: user.accessToken });
    expect(res.status).toBe(204);
    expect(res.body).toBe('');
    const after = await me(user.accessToken);
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('INVALID_TOKEN');
    expect((await refresh(user.refreshToken)).status).toBe(401);
    const session = await env.DB.prepare('SELECT revoke_reason FROM sessions WHERE id = ?')
      .bind(user.sessionId)
      .first<{ revoke_reason: string }>();
    expect(session?.revoke_reason).toBe('logout');
    // The user's other session keeps working.
    expectOk(await me(other.access_token));
    expectOk(await refresh(other.refresh_token));
  });

  it('needs a signed-in user', async () => {
    const none = await call('POST', '/api/v1/auth/logout');
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('UNAUTHENTICATED');
    const bad = await call('POST', '/api/v1/auth/logout', { token: 'not.a.jwt' });
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe('INVALID_TOKEN');
  });

  it('refuses API keys (they have no session to end)', async () => {
    const tenant = await createTenant({ via: 'api' });
    const res = await call('POST', '/api/v1/auth/logout', { token: tenant.apiKey });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
    // The owner's session was not touched.
    expectOk(await me(tenant.accessToken));
  });
});
