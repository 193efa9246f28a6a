import { pkceChallenge } from '@flowspark/auth';
import { afterEach, describe, expect, it } from 'vitest';
import { call, createTenant, env, expectError, expectOk, fetchWith, readResponse, toRequest } from '../helpers/harness';
import {
  authorize,
  callback,
  foreignKey,
  type IdTokenClaims,
  identityRows,
  LOCAL_CLIENT_ID,
  LOCAL_ISSUER,
  REDIRECT_URI,
  replaceIdToken,
  resetSsoFakes,
  signIdToken,
  started,
} from './sso-helpers';

afterEach(resetSsoFakes);

/** One sign-in whose ID token the test replaces; the answer of the callback. */
const signInWithIdToken = async (email: string, make: (claims: IdTokenClaims) => Promise<string>) => {
  replaceIdToken(make);
  const { authorizationUrl } = await started();
  const { code, state } = await authorize(authorizationUrl, { email });
  return callback({ code, state });
};

describe('ID token verification', () => {
  it('accepts the issuer’s own token re-signed with its key (the control for the cases below)', async () => {
    const tenant = await createTenant();
    expectOk(await signInWithIdToken(tenant.email, (claims) => signIdToken(claims)));
  });

  it('refuses a forged ID token: right claims and kid, signed by another key', async () => {
    const tenant = await createTenant();
    const key = await foreignKey();
    const res = expectError(
      await signInWithIdToken(tenant.email, (claims) => signIdToken(claims, key)),
      401,
      'SSO_ID_TOKEN_INVALID',
    );
    expect(res.body.error.details).toEqual({ reason: 'signature' });
    expect(await identityRows(tenant.userId)).toEqual([]);
  });

  it('refuses a token under a key id the issuer does not publish', async () => {
    const tenant = await createTenant();
    const key = { ...(await foreignKey()), kid: 'unknown-kid' };
    const res = await signInWithIdToken(tenant.email, (claims) => signIdToken(claims, key));
    expect(expectError(res, 401, 'SSO_ID_TOKEN_INVALID').body.error.details).toEqual({ reason: 'signature' });
  });

  it('refuses a wrong nonce (an ID token from another sign-in)', async () => {
    const tenant = await createTenant();
    const res = await signInWithIdToken(tenant.email, (claims) => signIdToken({ ...claims, nonce: 'n'.repeat(43) }));
    expect(expectError(res, 401, 'SSO_ID_TOKEN_INVALID').body.error.details).toEqual({ reason: 'nonce' });
  });

  it.each([
    ['audience', { aud: 'another-client' }],
    ['audience', { aud: ['another-client', LOCAL_CLIENT_ID] }],
    ['issuer', { iss: 'https://issuer.example' }],
    ['expired', { iat: Math.floor(Date.now() / 1000) - 3600, exp: Math.floor(Date.now() / 1000) - 1800 }],
    ['expired', { iat: Math.floor(Date.now() / 1000) - 3600 }],
  ] as [string, Partial<IdTokenClaims>][])('refuses a wrong %s (%j)', async (reason, change) => {
    const tenant = await createTenant();
    const res = await signInWithIdToken(tenant.email, (claims) => signIdToken({ ...claims, ...change }));
    expect(expectError(res, 401, 'SSO_ID_TOKEN_INVALID').body.error.details).toEqual({ reason });
    expect(await identityRows(tenant.userId)).toEqual([]);
  });

  it('takes the email only from the verified token', async () => {
    const tenant = await createTenant();
    const res = await signInWithIdToken('someone.else@example.test', (claims) =>
      signIdToken({ ...claims, email: tenant.email, email_verified: false }),
    );
    expectError(res, 403, 'SSO_EMAIL_NOT_VERIFIED');
  });
});

const tokenRequest = (form: Record<string, string>, authorization?: string) =>
  call('POST', '/api/v1/dev/oidc/token', {
    rawBody: new URLSearchParams(form).toString(),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(authorization ? { authorization } : {}),
    },
  });

/** A code from the local authorize endpoint for this PKCE challenge. */
const codeFor = async (verifier: string) => {
  const url = new URL(`${LOCAL_ISSUER}/authorize`);
  for (const [name, value] of Object.entries({
    response_type: 'code',
    client_id: LOCAL_CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    scope: 'openid email',
    state: 'test-state',
    nonce: 'test-nonce',
    code_challenge: await pkceChallenge(verifier),
    code_challenge_method: 'S256',
  })) {
    url.searchParams.set(name, value);
  }
  return (await authorize(url.toString(), { email: 'pkce@example.test' })).code;
};

describe('the local issuer', () => {
  const secret = () => env.SSO_LOCAL_CLIENT_SECRET!;
  const basic = () => `Basic ${btoa(`${LOCAL_CLIENT_ID}:${secret()}`)}`;
  const verifier = 'v'.repeat(43);

  it('serves its discovery document and key set', async () => {
    const doc = expectOk(await call('GET', '/api/v1/dev/oidc/.well-known/openid-configuration')).body;
    expect(doc).toMatchObject({
      issuer: LOCAL_ISSUER,
      authorization_endpoint: `${LOCAL_ISSUER}/authorize`,
      token_endpoint: `${LOCAL_ISSUER}/token`,
      jwks_uri: `${LOCAL_ISSUER}/jwks`,
      code_challenge_methods_supported: ['S256'],
      id_token_signing_alg_values_supported: ['ES256'],
    });
    const jwks = expectOk(await call('GET', '/api/v1/dev/oidc/jwks')).body;
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('enforces the PKCE verifier at the token endpoint', async () => {
    const code = await codeFor(verifier);
    const base = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI };
    const wrong = await tokenRequest({ ...base, code_verifier: 'w'.repeat(43) }, basic());
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('invalid_grant');
    const missing = await tokenRequest(base, basic());
    expect(missing.body.error).toBe('invalid_grant');
    const right = expectOk(await tokenRequest({ ...base, code_verifier: verifier }, basic()));
    expect(right.body.id_token).toMatch(/^ey/);
  });

  it('authenticates the client (Basic or form) and checks the redirect URI', async () => {
    const code = await codeFor(verifier);
    const base = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier };
    const noSecret = await tokenRequest(base);
    expect(noSecret.status).toBe(401);
    expect(noSecret.body.error).toBe('invalid_client');
    const badSecret = await tokenRequest(base, `Basic ${btoa(`${LOCAL_CLIENT_ID}:wrong`)}`);
    expect(badSecret.status).toBe(401);
    const otherRedirect = await tokenRequest({ ...base, redirect_uri: 'http://localhost:8787/elsewhere' }, basic());
    expect(otherRedirect.body.error).toBe('invalid_grant');
    expectOk(await tokenRequest({ ...base, client_id: LOCAL_CLIENT_ID, client_secret: secret() }));
  });

  it('never redirects to an unregistered redirect URI, and requires S256', async () => {
    const { authorizationUrl } = await started();
    const elsewhere = new URL(authorizationUrl);
    elsewhere.searchParams.set('redirect_uri', 'https://evil.example/cb');
    elsewhere.searchParams.set('login_hint', 'a@example.test');
    const refused = await call('GET', `${elsewhere.pathname}${elsewhere.search}`);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_request');

    const plain = new URL(authorizationUrl);
    plain.searchParams.set('code_challenge_method', 'plain');
    plain.searchParams.set('login_hint', 'a@example.test');
    const res = await fetchWith(
      new Request(toRequest('GET', `${plain.pathname}${plain.search}`), { redirect: 'manual' }),
      env,
    );
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('code')).toBeNull();
  });

  it('shows a sign-in form without login_hint', async () => {
    const { authorizationUrl } = await started();
    const url = new URL(authorizationUrl);
    const res = await readResponse(await fetchWith(toRequest('GET', `${url.pathname}${url.search}`), env));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.body).toContain('name="login_hint"');
    expect(res.body).toContain(`value="${url.searchParams.get('state')}"`);
  });

  it.each([
    ['production', { ENVIRONMENT: 'production' }],
    ['SSO_LOCAL_ISSUER unset', { SSO_LOCAL_ISSUER: undefined }],
  ])('is not served in %s', async (_label, vars) => {
    const without = { ...env, ...vars };
    for (const path of ['/api/v1/dev/oidc/.well-known/openid-configuration', '/api/v1/dev/oidc/jwks']) {
      const res = await readResponse(await fetchWith(toRequest('GET', path), without));
      expectError(res, 404, 'NOT_FOUND');
    }
    const start = await readResponse(
      await fetchWith(toRequest('POST', '/api/v1/auth/sso/local', { body: {} }), without),
    );
    expectError(start, 404, 'NOT_FOUND');
  });
});
