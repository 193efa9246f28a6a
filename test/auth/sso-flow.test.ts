import { afterEach, describe, expect, it } from 'vitest';
import {
  call,
  createTenant,
  enableMfa,
  env,
  expectError,
  expectOk,
  me,
  uniqueEmail,
  waitForMail,
} from '../helpers/harness';
import {
  authorize,
  callback,
  identityRows,
  REDIRECT_URI,
  resetSsoFakes,
  ssoSignIn,
  started,
  startSso,
} from './sso-helpers';

afterEach(resetSsoFakes);

describe('POST /auth/sso/{provider}', () => {
  it('answers an authorization URL with code flow, PKCE S256, state and nonce, and stores no secret in plain text', async () => {
    const res = expectOk(await startSso({ redirect_uri: REDIRECT_URI, login_hint: 'Ada@Example.test' }));
    expect(res.body.data.expires_in).toBe(600);
    const url = new URL(res.body.data.authorization_url);
    expect(`${url.origin}${url.pathname}`).toBe('http://localhost:8787/api/v1/dev/oidc/authorize');
    const params = Object.fromEntries(url.searchParams);
    expect(params).toMatchObject({
      response_type: 'code',
      client_id: 'flowspark-local',
      redirect_uri: REDIRECT_URI,
      scope: 'openid email profile',
      code_challenge_method: 'S256',
      login_hint: 'ada@example.test',
    });
    expect(params.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const rows = (await env.DB.prepare('SELECT * FROM sso_states ORDER BY created_at DESC LIMIT 20').all()).results;
    const text = JSON.stringify(rows);
    expect(text).not.toContain(params.state);
    expect(text).not.toContain(params.nonce);
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(params.state)));
    const hash = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
    const row = rows.find((r) => r.state_hash === hash);
    expect(row).toMatchObject({ provider: 'local', redirect_uri: REDIRECT_URI, used_at: null });
    expect(String(row?.secrets_encrypted)).toMatch(/^v1\./);
  });

  it('refuses a redirect URI off the allow-list, unknown fields, and an unknown provider', async () => {
    const off = expectError(await startSso({ redirect_uri: 'https://evil.example/callback' }), 400, 'VALIDATION_ERROR');
    expect(off.body.error.details.fields).toHaveProperty('redirect_uri');
    expectError(await startSso({ redirect_uri: `${REDIRECT_URI}/x` }), 400, 'VALIDATION_ERROR');
    const extra = expectError(await startSso({ client_id: 'x' }), 400, 'VALIDATION_ERROR');
    expect(extra.body.error.details.fields['(body)']).toBeDefined();
    expectError(await startSso({ organization_id: 'not-an-id' }), 400, 'VALIDATION_ERROR');
    expectError(await startSso({}, 'google'), 404, 'NOT_FOUND');
    expectError(await startSso({}, 'Bad_Provider'), 400, 'VALIDATION_ERROR');
  });
});

describe('GET /auth/sso/{provider}/callback', () => {
  it('links an existing account by verified email, binds the sub and signs in like a password login', async () => {
    const tenant = await createTenant();
    const res = expectOk(await ssoSignIn({ email: tenant.email, sub: 'local-ada-1' }));
    const { user, organization, role, tokens, device_token } = res.body.data;
    expect(user.id).toBe(tenant.userId);
    expect(organization.id).toBe(tenant.orgId);
    expect(role).toBe('owner');
    expect(tokens).toMatchObject({ token_type: 'Bearer', session_id: expect.stringMatching(/^ses_/) });
    expect(device_token).toMatch(/^fsd_/);
    expect(expectOk(await me(tokens.access_token)).body.data.user.id).toBe(tenant.userId);
    expect(await identityRows(tenant.userId)).toEqual([
      { provider: 'local', subject: 'local-ada-1', email: tenant.email },
    ]);
    const notice = await waitForMail(tenant.email, 'Single sign-on was linked to your FlowSpark account');
    expect(notice.body).toContain('(local)');

    // Bound: the same sub signs in to this account even after the address changed at the provider.
    const moved = expectOk(await ssoSignIn({ email: uniqueEmail('moved'), sub: 'local-ada-1' }));
    expect(moved.body.data.user.id).toBe(tenant.userId);
    // Another sub with the account's email is another person at the provider: never merged.
    expectError(await ssoSignIn({ email: tenant.email, sub: 'local-someone-else' }), 409, 'SSO_IDENTITY_CONFLICT');
    expect(await identityRows(tenant.userId)).toHaveLength(1);
  });

  it('signs in to the requested organization, and refuses one the account is not a member of', async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const there = expectOk(await ssoSignIn({ email: tenant.email }, { organization_id: tenant.orgId }));
    expect(there.body.data.organization.id).toBe(tenant.orgId);
    const res = expectError(
      await ssoSignIn({ email: tenant.email }, { organization_id: other.orgId }),
      403,
      'FORBIDDEN',
    );
    expect(res.body.error.message).toBe('Not a member of that organization');
  });

  it('refuses an unverified email and links nothing', async () => {
    const tenant = await createTenant();
    const res = expectError(
      await ssoSignIn({ email: tenant.email, email_verified: false }),
      403,
      'SSO_EMAIL_NOT_VERIFIED',
    );
    expect(res.body.error.message).toMatch(/not verified/);
    expect(await identityRows(tenant.userId)).toEqual([]);
    // Not even an identity already bound signs in with an address its provider no longer vouches for.
    expectOk(await ssoSignIn({ email: tenant.email, sub: 'bound-then-unverified' }));
    expectError(
      await ssoSignIn({ email: tenant.email, sub: 'bound-then-unverified', email_verified: false }),
      403,
      'SSO_EMAIL_NOT_VERIFIED',
    );
  });

  it('creates no account for an unknown person that nothing places in an organization', async () => {
    const email = uniqueEmail('stranger');
    const res = expectError(await ssoSignIn({ email }), 403, 'SSO_NO_ORGANIZATION');
    expect(res.body.error.message).toMatch(/invit/);
    expect(await env.DB.prepare('SELECT id FROM users WHERE email = ?').bind(email).first()).toBeNull();
  });

  it('answers 400 for a replayed state, and the replay signs nobody in', async () => {
    const tenant = await createTenant();
    const { authorizationUrl } = await started();
    const { code, state } = await authorize(authorizationUrl, { email: tenant.email });
    expectOk(await callback({ code, state }));
    const replay = expectError(await callback({ code, state }), 400, 'SSO_STATE_INVALID');
    expect(replay.body.error.message).toMatch(/unknown, expired or already used/);
  });

  it('answers 400 for an unknown state, an expired one, and one of another provider', async () => {
    const tenant = await createTenant();
    expectError(await callback({ code: 'x', state: 'A'.repeat(43) }), 400, 'SSO_STATE_INVALID');
    expectError(await callback({ code: 'x', state: 'short' }), 400, 'SSO_STATE_INVALID');
    expectError(await callback({ code: 'x' }), 400, 'VALIDATION_ERROR');

    const late = await started();
    const { code, state } = await authorize(late.authorizationUrl, { email: tenant.email });
    await env.DB.prepare(
      `UPDATE sso_states SET expires_at = '2000-01-01T00:00:00.000Z' WHERE used_at IS NULL AND redirect_uri = ? AND created_at >= ?`,
    )
      .bind(REDIRECT_URI, new Date(Date.now() - 5_000).toISOString())
      .run();
    expectError(await callback({ code, state }), 400, 'SSO_STATE_INVALID');

    const other = await started();
    await env.DB.prepare("UPDATE sso_states SET provider = 'google' WHERE used_at IS NULL AND created_at >= ?")
      .bind(new Date(Date.now() - 5_000).toISOString())
      .run();
    const again = await authorize(other.authorizationUrl, { email: tenant.email });
    expectError(await callback({ code: again.code, state: again.state }), 400, 'SSO_STATE_INVALID');
  });

  it('spends the state when the provider answers an error, and says which', async () => {
    const { state } = await started();
    const res = expectError(await callback({ state, error: 'access_denied' }), 400, 'SSO_AUTHORIZATION_FAILED');
    expect(res.body.error.details).toEqual({ error: 'access_denied' });
    expectError(await callback({ state, code: 'anything' }), 400, 'SSO_STATE_INVALID');
  });

  it('refuses a code the local issuer did not issue', async () => {
    const { state } = await started();
    const res = expectError(await callback({ state, code: 'not-a-code' }), 400, 'SSO_AUTHORIZATION_FAILED');
    expect(res.body.error.details).toEqual({ error: 'invalid_grant' });
  });

  it('follows the password path for MFA: an mfa_token, then POST /auth/mfa/challenge signs in', async () => {
    const tenant = await createTenant();
    const { secret, step } = await enableMfa(tenant);
    const res = expectOk(await ssoSignIn({ email: tenant.email }));
    expect(res.body.data).toEqual({ mfa_required: true, mfa_token: expect.any(String), expires_in: 300 });
    expect(res.body.data.tokens).toBeUndefined();
    const { totpAt } = await import('@flowspark/auth');
    const done = expectOk(
      await call('POST', '/api/v1/auth/mfa/challenge', {
        body: { mfa_token: res.body.data.mfa_token, code: await totpAt(secret, step + 1) },
      }),
    );
    expect(done.body.data.user.id).toBe(tenant.userId);
    expect(done.body.data.organization.id).toBe(tenant.orgId);
  });

  it('refuses a disabled account', async () => {
    const tenant = await createTenant();
    await env.DB.prepare('UPDATE users SET is_active = 0 WHERE id = ?').bind(tenant.userId).run();
    expectError(await ssoSignIn({ email: tenant.email }), 403, 'FORBIDDEN');
    expect(await identityRows(tenant.userId)).toEqual([]);
  });
});
