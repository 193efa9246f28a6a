import { pkceChallenge } from '@flowspark/auth';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { setSsoInterceptor } from '../../workers/api/lib/sso';
import type { Env } from '../../workers/env';
import { createTenant, env, expectError, expectOk, fetchWith, readResponse, toRequest } from '../helpers/harness';
import { resetSsoFakes } from './sso-helpers';

afterEach(resetSsoFakes);

/**
 * Provider `google` as production configures it (SSO_PROVIDERS and the client secret), against a
 * stand-in for Google's endpoints that behaves as they document: discovery at the issuer, RS256 keys,
 * a token endpoint that checks the client, the redirect URI and the PKCE verifier, ID tokens whose
 * `iss` may be `accounts.google.com`.
 */
const CLIENT_ID = '1234-test.apps.googleusercontent.com';
const CLIENT_SECRET = 'google-test-secret';
const REDIRECT = 'http://localhost:8787/api/v1/auth/sso/google/callback';
const googleEnv = {
  ...env,
  SSO_PROVIDERS: JSON.stringify({ google: { client_id: CLIENT_ID } }),
  SSO_GOOGLE_CLIENT_SECRET: CLIENT_SECRET,
} as Env;

const keys = generateKeyPair('RS256', { extractable: true });

interface Pending {
  challenge: string;
  nonce: string;
  email: string;
}

/** Google's endpoints as a fake; `issued` maps the codes it handed out to their authorization request. */
const fakeGoogle = (issued: Map<string, Pending>, seen: Request[]) =>
  setSsoInterceptor(async (request) => {
    seen.push(request.clone());
    const url = new URL(request.url);
    if (url.href === 'https://accounts.google.com/.well-known/openid-configuration') {
      return Response.json({
        issuer: 'https://accounts.google.com',
        authorization_endpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
        token_endpoint: 'https://oauth2.googleapis.com/token',
        jwks_uri: 'https://www.googleapis.com/oauth2/v3/certs',
        response_types_supported: ['code', 'token', 'id_token'],
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
        code_challenge_methods_supported: ['plain', 'S256'],
      });
    }
    if (url.href === 'https://www.googleapis.com/oauth2/v3/certs') {
      const jwk = await exportJWK((await keys).publicKey);
      return Response.json({ keys: [{ ...jwk, kid: 'google-kid-1', alg: 'RS256', use: 'sig' }] });
    }
    if (url.href === 'https://oauth2.googleapis.com/token' && request.method === 'POST') {
      const form = new URLSearchParams(await request.text());
      const basic = `Basic ${btoa(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`)}`;
      if (request.headers.get('authorization') !== basic)
        return Response.json({ error: 'invalid_client' }, { status: 401 });
      const pending = issued.get(form.get('code') ?? '');
      if (
        !pending ||
        form.get('grant_type') !== 'authorization_code' ||
        form.get('redirect_uri') !== REDIRECT ||
        (await pkceChallenge(form.get('code_verifier') ?? '')) !== pending.challenge
      ) {
        return Response.json({ error: 'invalid_grant' }, { status: 400 });
      }
      issued.delete(form.get('code')!);
      const now = Math.floor(Date.now() / 1000);
      const idToken = await new SignJWT({
        azp: CLIENT_ID,
        email: pending.email,
        email_verified: true,
        nonce: pending.nonce,
        name: 'Ada Lovelace',
      })
        .setProtectedHeader({ alg: 'RS256', kid: 'google-kid-1', typ: 'JWT' })
        .setIssuer('accounts.google.com')
        .setAudience(CLIENT_ID)
        .setSubject('109876543210987654321')
        .setIssuedAt(now)
        .setExpirationTime(now + 3600)
        .sign((await keys).privateKey);
      return Response.json({ access_token: 'ya29.test', expires_in: 3599, token_type: 'Bearer', id_token: idToken });
    }
    return new Response('not found', { status: 404 });
  });

const send = async (request: Request) => readResponse(await fetchWith(request, googleEnv));

describe('provider google', () => {
  it('runs the code flow against Google’s endpoints: discovery, PKCE, client authentication, RS256 ID token', async () => {
    const tenant = await createTenant();
    const issued = new Map<string, Pending>();
    const seen: Request[] = [];
    fakeGoogle(issued, seen);

    const start = expectOk(
      await send(toRequest('POST', '/api/v1/auth/sso/google', { body: { redirect_uri: REDIRECT } })),
    );
    const url = new URL(start.body.data.authorization_url);
    expect(`${url.origin}${url.pathname}`).toBe('https://accounts.google.com/o/oauth2/v2/auth');
    expect(url.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');

    // The person signs in at Google, which redirects back with a code.
    const code = `4/${crypto.randomUUID()}`;
    issued.set(code, {
      challenge: url.searchParams.get('code_challenge')!,
      nonce: url.searchParams.get('nonce')!,
      email: tenant.email,
    });
    const query = new URLSearchParams({
      code,
      state: url.searchParams.get('state')!,
      scope: 'openid email',
      authuser: '0',
    });
    const res = expectOk(await send(toRequest('GET', `/api/v1/auth/sso/google/callback?${query}`)));
    expect(res.body.data.user.id).toBe(tenant.userId);
    expect(issued.size).toBe(0);
    expect(seen.map((r) => new URL(r.url).host)).toEqual(
      expect.arrayContaining(['accounts.google.com', 'oauth2.googleapis.com', 'www.googleapis.com']),
    );
    const identity = await env.DB.prepare(
      "SELECT subject FROM sso_identities WHERE user_id = ? AND provider = 'google'",
    )
      .bind(tenant.userId)
      .first<{ subject: string }>();
    expect(identity?.subject).toBe('109876543210987654321');
  });

  it('answers 400 when Google refuses the code, and 502 when it cannot be reached', async () => {
    fakeGoogle(new Map(), []);
    const start = expectOk(await send(toRequest('POST', '/api/v1/auth/sso/google', { body: {} })));
    const state = new URL(start.body.data.authorization_url).searchParams.get('state')!;
    const refused = await send(toRequest('GET', `/api/v1/auth/sso/google/callback?code=4/unknown&state=${state}`));
    expectError(refused, 400, 'SSO_AUTHORIZATION_FAILED');

    const again = expectOk(await send(toRequest('POST', '/api/v1/auth/sso/google', { body: {} })));
    const next = new URL(again.body.data.authorization_url).searchParams.get('state')!;
    setSsoInterceptor(async (request) => {
      if (new URL(request.url).host === 'oauth2.googleapis.com') throw new TypeError('network down');
      return new Response('{}', { status: 500 });
    });
    const down = await send(toRequest('GET', `/api/v1/auth/sso/google/callback?code=4/x&state=${next}`));
    expectError(down, 502, 'SSO_PROVIDER_ERROR');
    expect(JSON.stringify(down.body)).not.toContain(CLIENT_SECRET);
  });

  it('is not offered without its client secret', async () => {
    const { SSO_GOOGLE_CLIENT_SECRET: _secret, ...withoutSecret } = googleEnv as Env & Record<string, unknown>;
    const res = await readResponse(
      await fetchWith(toRequest('POST', '/api/v1/auth/sso/google', { body: {} }), withoutSecret as Env),
    );
    // A deployment error: the envelope never says which secret.
    expectError(res, 500, 'INTERNAL_ERROR');
    expect(res.body.error.message).toBe('Internal server error');
  });
});
