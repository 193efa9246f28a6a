/**
 * The built-in OIDC issuer behind provider `local` (local development and tests only: see
 * `ssoLocalIssuer` in the app configuration). A faithful small issuer: discovery, JWKS, an authorize
 * endpoint and a token endpoint that enforces the client secret, the redirect URI and PKCE S256, and
 * ES256 ID tokens carrying the nonce. What a real provider learns by a login page, this one takes as
 * parameters of the authorize request (local only): `login_hint` (the email), `email_verified`
 * (`false` for an unverified address), `name`, `sub`.
 *
 * Codes are sealed (encrypted with ENCRYPTION_KEY) instead of stored, and live 60 seconds; they are
 * not single-use here, which the API's own single-use `state` makes moot for its callback.
 */
import { decryptSecret, encryptSecret, pkceChallenge, randomToken, sha256Hex, timingSafeEqual } from '@flowspark/auth';
import { importJWK, type JWK, SignJWT } from 'jose';
import type { LocalIssuerConfig } from './config';

const CODE_PURPOSE = 'sso-local-code/v1';
const CODE_TTL_SECONDS = 60;
const ID_TOKEN_TTL_SECONDS = 300;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,190}\.[^\s@]{2,63}$/;
const SUBJECT = /^[A-Za-z0-9._-]{1,64}$/;
const PKCE_VALUE = /^[A-Za-z0-9._~-]{43,128}$/;

export const localDiscovery = (cfg: LocalIssuerConfig) => ({
  issuer: cfg.issuer,
  authorization_endpoint: `${cfg.issuer}/authorize`,
  token_endpoint: `${cfg.issuer}/token`,
  jwks_uri: `${cfg.issuer}/jwks`,
  response_types_supported: ['code'],
  grant_types_supported: ['authorization_code'],
  subject_types_supported: ['public'],
  id_token_signing_alg_values_supported: ['ES256'],
  scopes_supported: ['openid', 'email', 'profile'],
  token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
  code_challenge_methods_supported: ['S256'],
  claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'nonce', 'email', 'email_verified', 'name'],
});

interface LocalKey {
  kid: string;
  privateKey: CryptoKey | Uint8Array;
  publicJwk: JWK;
}

const keyCache = new Map<string, Promise<LocalKey>>();

const loadKey = (cfg: LocalIssuerConfig): Promise<LocalKey> => {
  let key = keyCache.get(cfg.signingKey);
  if (!key) {
    key = (async () => {
      const jwk = JSON.parse(cfg.signingKey) as JWK & { kid?: string };
      const { d: _d, ...publicJwk } = jwk;
      const kid = jwk.kid ?? 'local';
      return {
        kid,
        privateKey: await importJWK({ ...jwk, alg: 'ES256' }, 'ES256'),
        publicJwk: {
          kty: publicJwk.kty,
          crv: publicJwk.crv,
          x: publicJwk.x,
          y: publicJwk.y,
          kid,
          alg: 'ES256',
          use: 'sig',
        },
      };
    })();
    key.catch(() => keyCache.delete(cfg.signingKey));
    keyCache.set(cfg.signingKey, key);
  }
  return key;
};

export const localJwks = async (cfg: LocalIssuerConfig) => ({ keys: [(await loadKey(cfg)).publicJwk] });

/** An OAuth error answer (RFC 6749 §5.2): `{ error, error_description }`. */
export interface OAuthError {
  status: 400 | 401;
  body: { error: string; error_description: string };
}

const oauthError = (error: string, description: string, status: 400 | 401 = 400): OAuthError => ({
  status,
  body: { error, error_description: description },
});

export type AuthorizeResult =
  | { kind: 'redirect'; location: string }
  /** No identity chosen yet: show the local sign-in form, keeping these parameters. */
  | { kind: 'form'; params: Record<string, string> }
  | { kind: 'error'; error: OAuthError };

interface SealedCode {
  client: string;
  redirect: string;
  challenge: string;
  nonce: string;
  sub: string;
  email: string;
  verified: boolean;
  name?: string;
  exp: number;
}

const withParams = (base: string, params: Record<string, string>) => {
  const url = new URL(base);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
};

/** The authorize endpoint: checks the request as a provider would, then redirects with a code. */
export const localAuthorize = async (
  cfg: LocalIssuerConfig,
  encryptionKey: string,
  params: Record<string, string>,
): Promise<AuthorizeResult> => {
  // An unknown client or redirect URI is never redirected to (RFC 6749 §4.1.2.1).
  if (params.client_id !== cfg.clientId) {
    return { kind: 'error', error: oauthError('invalid_client', 'Unknown client_id') };
  }
  const redirect = params.redirect_uri ?? '';
  if (!cfg.redirectUris.includes(redirect)) {
    return { kind: 'error', error: oauthError('invalid_request', 'redirect_uri is not registered for this client') };
  }
  const state = params.state ?? '';
  const refuse = (description: string): AuthorizeResult => ({
    kind: 'redirect',
    location: withParams(redirect, { error: 'invalid_request', error_description: description, state }),
  });
  if (params.response_type !== 'code') return refuse('response_type must be code');
  if (!(params.scope ?? '').split(' ').includes('openid')) return refuse('scope must include openid');
  if (params.code_challenge_method !== 'S256' || !PKCE_VALUE.test(params.code_challenge ?? '')) {
    return refuse('PKCE with code_challenge_method S256 is required');
  }
  if (!params.nonce) return refuse('nonce is required');

  const email = (params.login_hint ?? '').trim().toLowerCase();
  if (!email) return { kind: 'form', params };
  if (!EMAIL.test(email)) return refuse('login_hint must be an email address');
  if (params.sub !== undefined && !SUBJECT.test(params.sub)) return refuse('sub must be 1-64 letters, digits, . _ -');
  const sealed: SealedCode = {
    client: cfg.clientId,
    redirect,
    challenge: params.code_challenge!,
    nonce: params.nonce,
    sub: params.sub ?? `local-${(await sha256Hex(email)).slice(0, 24)}`,
    email,
    verified: params.email_verified !== 'false',
    ...(params.name?.trim() ? { name: params.name.trim().slice(0, 100) } : {}),
    exp: Math.floor(Date.now() / 1000) + CODE_TTL_SECONDS,
  };
  const code = await encryptSecret(encryptionKey, CODE_PURPOSE, JSON.stringify(sealed));
  return { kind: 'redirect', location: withParams(redirect, { code, state }) };
};

const clientCredentials = (form: Record<string, string>, authorization: string | undefined) => {
  const basic = authorization ? /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization.trim()) : null;
  if (basic) {
    try {
      const [id, secret] = atob(basic[1]!).split(':');
      return { id: decodeURIComponent(id ?? ''), secret: decodeURIComponent(secret ?? '') };
    } catch {
      return { id: '', secret: '' };
    }
  }
  return { id: form.client_id ?? '', secret: form.client_secret ?? '' };
};

/** The token endpoint: client authentication, the code, its redirect URI and the PKCE verifier. */
export const localToken = async (
  cfg: LocalIssuerConfig,
  encryptionKey: string,
  form: Record<string, string>,
  authorization: string | undefined,
): Promise<{ status: 200; body: Record<string, unknown> } | OAuthError> => {
  const client = clientCredentials(form, authorization);
  if (client.id !== cfg.clientId || !timingSafeEqual(client.secret, cfg.clientSecret)) {
    return oauthError('invalid_client', 'Client authentication failed', 401);
  }
  if (form.grant_type !== 'authorization_code') {
    return oauthError('unsupported_grant_type', 'Only authorization_code is supported');
  }
  let sealed: SealedCode;
  try {
    sealed = JSON.parse(await decryptSecret(encryptionKey, CODE_PURPOSE, form.code ?? '')) as SealedCode;
  } catch {
    return oauthError('invalid_grant', 'Unknown authorization code');
  }
  if (sealed.exp < Math.floor(Date.now() / 1000)) return oauthError('invalid_grant', 'The code has expired');
  if (sealed.client !== client.id || sealed.redirect !== form.redirect_uri) {
    return oauthError('invalid_grant', 'The code was issued to another client or redirect URI');
  }
  const verifier = form.code_verifier ?? '';
  if (!PKCE_VALUE.test(verifier) || !timingSafeEqual(await pkceChallenge(verifier), sealed.challenge)) {
    return oauthError('invalid_grant', 'code_verifier does not match the code_challenge');
  }
  const key = await loadKey(cfg);
  const now = Math.floor(Date.now() / 1000);
  const idToken = await new SignJWT({
    nonce: sealed.nonce,
    email: sealed.email,
    email_verified: sealed.verified,
    ...(sealed.name ? { name: sealed.name } : {}),
  })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
    .setIssuer(cfg.issuer)
    .setAudience(cfg.clientId)
    .setSubject(sealed.sub)
    .setIssuedAt(now)
    .setExpirationTime(now + ID_TOKEN_TTL_SECONDS)
    .sign(key.privateKey);
  return {
    status: 200,
    body: {
      access_token: randomToken(32),
      token_type: 'Bearer',
      expires_in: ID_TOKEN_TTL_SECONDS,
      scope: 'openid email profile',
      id_token: idToken,
    },
  };
};
