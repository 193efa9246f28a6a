import { exports } from 'cloudflare:workers';
import { importJWK, type JWK, SignJWT } from 'jose';
import { expect } from 'vitest';
import { setSsoInterceptor } from '../../workers/api/lib/sso';
import { setTxtResolver } from '../../workers/lib/outbound';
import { type ApiResponse, call, env, expectOk, readResponse, toRequest } from '../helpers/harness';

/**
 * The SSO flow against the built-in issuer (provider `local`), driven as a browser would: start,
 * follow the authorization URL to the local authorize endpoint (which takes the identity as
 * parameters), read the redirect, call the callback.
 */
export const LOCAL_ISSUER = 'http://localhost:8787/api/v1/dev/oidc';
export const LOCAL_CLIENT_ID = 'flowspark-local';
export const REDIRECT_URI = 'http://localhost:8787/api/v1/auth/sso/local/callback';

export interface LocalIdentity {
  email: string;
  email_verified?: boolean;
  name?: string;
  sub?: string;
}

/**
 * Removes the fakes a test put in front of the providers and DNS. Each test file registers it with
 * `afterEach` itself: the workerd project shares modules between files, so a hook registered here
 * would only run in the first file that imported this one.
 */
export const resetSsoFakes = () => {
  setSsoInterceptor(null);
  setTxtResolver(null);
};

/** A path and query of an absolute URL, for the harness's `call`. */
const pathOf = (url: string) => {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
};

export const startSso = (body: Record<string, unknown> = {}, provider = 'local') =>
  call('POST', `/api/v1/auth/sso/${provider}`, { body });

export interface Started {
  authorizationUrl: string;
  state: string;
  nonce: string;
}

export const started = async (body: Record<string, unknown> = {}): Promise<Started> => {
  const res = expectOk(await startSso(body));
  const url = new URL(res.body.data.authorization_url);
  return {
    authorizationUrl: url.toString(),
    state: url.searchParams.get('state')!,
    nonce: url.searchParams.get('nonce')!,
  };
};

/** The local authorize endpoint as the person's browser reaches it: the redirect's `code` and `state`. */
export const authorize = async (authorizationUrl: string, identity: LocalIdentity) => {
  const url = new URL(authorizationUrl);
  url.searchParams.set('login_hint', identity.email);
  if (identity.email_verified === false) url.searchParams.set('email_verified', 'false');
  if (identity.name) url.searchParams.set('name', identity.name);
  if (identity.sub) url.searchParams.set('sub', identity.sub);
  // Not followed: the test plays the browser, and reads where the issuer sends it.
  const request = new Request(toRequest('GET', pathOf(url.toString())), { redirect: 'manual' });
  const res = await readResponse(await exports.default.fetch(request));
  expect(res.status, JSON.stringify(res.body)).toBe(302);
  const location = new URL(res.headers.get('location')!);
  expect(location.searchParams.get('error_description')).toBeNull();
  return { location, code: location.searchParams.get('code')!, state: location.searchParams.get('state')! };
};

export const callback = (query: Record<string, string>, provider = 'local') =>
  call('GET', `/api/v1/auth/sso/${provider}/callback?${new URLSearchParams(query)}`);

/** The whole flow for one identity; `body` goes to POST /auth/sso/local. */
export const ssoSignIn = async (identity: LocalIdentity, body: Record<string, unknown> = {}): Promise<ApiResponse> => {
  const { authorizationUrl } = await started(body);
  const { code, state } = await authorize(authorizationUrl, identity);
  return callback({ code, state });
};

/** The local issuer's own key, to sign ID tokens that differ from its own in one claim. */
export const localIssuerKey = () => {
  const jwk = JSON.parse(env.SSO_LOCAL_SIGNING_KEY!) as JWK & { kid: string };
  return { jwk, kid: jwk.kid };
};

/** A key the issuer never published, under the issuer's own `kid` (a forgery). */
export const foreignKey = async () => {
  const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  return { jwk: (await crypto.subtle.exportKey('jwk', pair.privateKey)) as JWK, kid: localIssuerKey().kid };
};

export interface IdTokenClaims {
  iss?: string;
  aud?: string | string[];
  sub: string;
  nonce: string;
  email: string;
  email_verified?: boolean;
  iat?: number;
  exp?: number;
}

export const signIdToken = async (claims: IdTokenClaims, key: { jwk: JWK; kid: string } = localIssuerKey()) => {
  const now = Math.floor(Date.now() / 1000);
  const { iss, aud, sub, iat, exp, ...rest } = claims;
  return new SignJWT({ email_verified: true, ...rest })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
    .setIssuer(iss ?? LOCAL_ISSUER)
    .setAudience(aud ?? LOCAL_CLIENT_ID)
    .setSubject(sub)
    .setIssuedAt(iat ?? now)
    .setExpirationTime(exp ?? now + 300)
    .sign(await importJWK({ ...key.jwk, alg: 'ES256' }, 'ES256'));
};

/**
 * Lets the local issuer answer the token request, then puts another ID token in its answer, made
 * from the real one's claims (so only what `change` alters differs).
 */
export const replaceIdToken = (change: (claims: IdTokenClaims) => Promise<string>) =>
  setSsoInterceptor(async (request, next) => {
    const res = await next(request);
    if (!request.url.endsWith('/token') || res.status !== 200) return res;
    const body = (await res.json()) as { id_token: string };
    const claims = JSON.parse(
      atob(body.id_token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')),
    ) as IdTokenClaims;
    return Response.json({ ...body, id_token: await change(claims) });
  });

/** DNS TXT records as the fake resolver answers them, by name. */
export const fakeTxtRecords = (records: Record<string, string[]>) =>
  setTxtResolver(async (name) => records[name] ?? []);

export const uniqueDomain = () => `acme-${crypto.randomUUID().slice(0, 8)}.test`;

/** An address at a domain, unique per call. */
export const addressAt = (domain: string, label = 'person') => `${label}-${crypto.randomUUID().slice(0, 8)}@${domain}`;

export const identityRows = async (userId: string) =>
  (
    await env.DB.prepare('SELECT provider, subject, email FROM sso_identities WHERE user_id = ?')
      .bind(userId)
      .all<{ provider: string; subject: string; email: string }>()
  ).results;
