/**
 * A generic OpenID Connect client (authorization code flow with PKCE, RFC 7636): discovery, the
 * authorization URL, the code exchange and ID token verification against the issuer's JWKS. Every
 * request goes through an injected fetch port, so the built-in local issuer can be called in-process
 * and tests can stand in for a provider; nothing here reads the network by itself.
 */
import { AppError } from '@flowspark/core';
import { createLocalJWKSet, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { base64UrlEncode, randomToken, timingSafeEqual } from './tokens';

/** `fetch` as the client uses it; the Worker passes its port (global fetch, or in-process for `local`). */
export type FetchPort = (input: Request | string, init?: RequestInit) => Promise<Response>;

/** The identity a provider vouches for in a verified ID token. */
export interface OidcIdentity {
  /** The provider's stable user id (`sub`); emails can change, this cannot. */
  subject: string;
  /** Lower-cased; empty when the provider shared none. */
  email: string;
  /** Only a verified email may be linked to an account or place a new one. */
  emailVerified: boolean;
  name?: string;
}

export interface OidcProviderConfig {
  /** The provider's id in routes: `google`, `local`, … */
  id: string;
  /** Exactly the `issuer` of the discovery document (and the `iss` of its ID tokens). */
  issuer: string;
  /** Other `iss` values the issuer signs with (Google also uses `accounts.google.com`). */
  issuerAliases?: readonly string[];
  clientId: string;
  clientSecret: string;
  scopes: readonly string[];
  /** Endpoints may be plain http (the local issuer only); otherwise every endpoint must be https. */
  allowHttp?: boolean;
}

export interface OidcDiscovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  id_token_signing_alg_values_supported?: string[];
  token_endpoint_auth_methods_supported?: string[];
  code_challenge_methods_supported?: string[];
}

/** Asymmetric algorithms only: never `none`, never a shared-secret HMAC. */
const ACCEPTED_ALGORITHMS = ['RS256', 'ES256', 'PS256', 'EdDSA'];
const DISCOVERY_TTL_MS = 60 * 60 * 1000;
const JWKS_TTL_MS = 10 * 60 * 1000;
/** An unknown `kid` refetches the key set (the provider rotated), at most this often. */
const JWKS_REFETCH_COOLDOWN_MS = 30 * 1000;
const REQUEST_TIMEOUT_MS = 10_000;
const MAX_RESPONSE_CHARS = 256 * 1024;
const CLOCK_TOLERANCE_SECONDS = 30;
/** An ID token fresh from the code exchange was issued moments ago. */
const MAX_ID_TOKEN_AGE_SECONDS = 10 * 60;

const providerError = (message: string) => new AppError('SSO_PROVIDER_ERROR', message);

export type IdTokenFailure = 'signature' | 'issuer' | 'audience' | 'expired' | 'nonce' | 'claims';

const idTokenInvalid = (reason: IdTokenFailure) =>
  new AppError('SSO_ID_TOKEN_INVALID', `The identity provider's ID token was refused (${reason})`, {
    details: { reason },
  });

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const readJson = async (res: Response, what: string): Promise<unknown> => {
  const text = await res.text();
  if (text.length > MAX_RESPONSE_CHARS) throw providerError(`The identity provider's ${what} is too large`);
  try {
    return JSON.parse(text);
  } catch {
    throw providerError(`The identity provider's ${what} is not JSON`);
  }
};

/** The PKCE S256 challenge of a verifier: base64url(SHA-256(verifier)). */
export const pkceChallenge = async (verifier: string): Promise<string> =>
  base64UrlEncode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));

/** A fresh PKCE verifier (43 base64url characters: 32 random bytes). */
export const newPkceVerifier = (): string => randomToken(32);

const discoveryCache = new Map<string, { doc: OidcDiscovery; at: number }>();
const jwksCache = new Map<string, { keys: JWTVerifyGetKey; at: number }>();

/** Forgets cached discovery documents and key sets (key rotation in tests, a changed configuration). */
export const clearOidcCaches = () => {
  discoveryCache.clear();
  jwksCache.clear();
};

const validUrl = (value: unknown, allowHttp: boolean): value is string => {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || (allowHttp && url.protocol === 'http:');
  } catch {
    return false;
  }
};

const stringList = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;

export class OidcClient {
  constructor(
    readonly config: OidcProviderConfig,
    private readonly fetchPort: FetchPort,
  ) {}

  private async get(url: string, what: string): Promise<unknown> {
    let res: Response;
    try {
      res = await this.fetchPort(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch {
      throw providerError(`The identity provider's ${what} could not be fetched`);
    }
    if (!res.ok) throw providerError(`The identity provider's ${what} answered ${res.status}`);
    return readJson(res, what);
  }

  /** The issuer's discovery document, checked against the configuration; cached for an hour. */
  async discover(): Promise<OidcDiscovery> {
    const { issuer, allowHttp = false } = this.config;
    const cached = discoveryCache.get(issuer);
    if (cached && Date.now() - cached.at < DISCOVERY_TTL_MS) return cached.doc;
    const raw = await this.get(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`, 'discovery document');
    if (!isRecord(raw)) throw providerError("The identity provider's discovery document is malformed");
    // OIDC Discovery §4.3: the document must name exactly the issuer it was fetched for.
    if (raw.issuer !== issuer) throw providerError("The identity provider's discovery document names another issuer");
    for (const key of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
      if (!validUrl(raw[key], allowHttp)) throw providerError(`The identity provider's ${key} is not a usable URL`);
    }
    const methods = stringList(raw.code_challenge_methods_supported);
    if (methods && !methods.includes('S256')) throw providerError('The identity provider does not support PKCE S256');
    const doc: OidcDiscovery = {
      issuer,
      authorization_endpoint: raw.authorization_endpoint as string,
      token_endpoint: raw.token_endpoint as string,
      jwks_uri: raw.jwks_uri as string,
      id_token_signing_alg_values_supported: stringList(raw.id_token_signing_alg_values_supported),
      token_endpoint_auth_methods_supported: stringList(raw.token_endpoint_auth_methods_supported),
      code_challenge_methods_supported: methods,
    };
    discoveryCache.set(issuer, { doc, at: Date.now() });
    return doc;
  }

  /** Where to send the browser: code flow, PKCE S256, `state` against CSRF, `nonce` bound into the ID token. */
  async authorizationUrl(input: {
    state: string;
    nonce: string;
    codeVerifier: string;
    redirectUri: string;
    loginHint?: string;
  }): Promise<string> {
    const doc = await this.discover();
    const url = new URL(doc.authorization_endpoint);
    const params: Record<string, string> = {
      response_type: 'code',
      client_id: this.config.clientId,
      redirect_uri: input.redirectUri,
      scope: this.config.scopes.join(' '),
      state: input.state,
      nonce: input.nonce,
      code_challenge: await pkceChallenge(input.codeVerifier),
      code_challenge_method: 'S256',
    };
    if (input.loginHint) params.login_hint = input.loginHint;
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    return url.toString();
  }

  /** Exchanges the callback's code (with the PKCE verifier) and returns the ID token's verified identity. */
  async exchangeCode(input: {
    code: string;
    redirectUri: string;
    codeVerifier: string;
    nonce: string;
  }): Promise<OidcIdentity> {
    const doc = await this.discover();
    const { clientId, clientSecret } = this.config;
    const form = new URLSearchParams({
      grant_type: 'authorization_code',
      code: input.code,
      redirect_uri: input.redirectUri,
      code_verifier: input.codeVerifier,
      client_id: clientId,
    });
    const headers: Record<string, string> = {
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
    };
    // client_secret_basic is the default method (OIDC Core §9); _post only when it is the one offered.
    const methods = doc.token_endpoint_auth_methods_supported;
    if (methods && !methods.includes('client_secret_basic') && methods.includes('client_secret_post')) {
      form.set('client_secret', clientSecret);
    } else {
      headers.authorization = `Basic ${btoa(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`)}`;
    }
    let res: Response;
    try {
      res = await this.fetchPort(doc.token_endpoint, {
        method: 'POST',
        headers,
        body: form.toString(),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch {
      throw providerError("The identity provider's token endpoint could not be reached");
    }
    const body = await readJson(res, 'token response');
    if (!res.ok) {
      const error = isRecord(body) && typeof body.error === 'string' ? body.error : '';
      // A bad, expired or reused code, or a verifier that does not match: the sign-in must start again.
      if (res.status === 400 && /^[a-z_]{1,64}$/.test(error)) {
        throw new AppError('SSO_AUTHORIZATION_FAILED', 'The identity provider refused the authorization code', {
          details: { error },
        });
      }
      throw providerError(`The identity provider's token endpoint answered ${res.status}`);
    }
    if (!isRecord(body) || typeof body.id_token !== 'string') {
      throw providerError('The identity provider returned no ID token');
    }
    return this.verifyIdToken(body.id_token, input.nonce, doc);
  }

  private async keySet(jwksUri: string, refresh: boolean): Promise<JWTVerifyGetKey> {
    const cached = jwksCache.get(jwksUri);
    const age = cached ? Date.now() - cached.at : Number.POSITIVE_INFINITY;
    if (cached && (refresh ? age < JWKS_REFETCH_COOLDOWN_MS : age < JWKS_TTL_MS)) return cached.keys;
    const raw = await this.get(jwksUri, 'key set');
    if (!isRecord(raw) || !Array.isArray(raw.keys)) throw providerError("The identity provider's key set is malformed");
    const keys = createLocalJWKSet(raw as unknown as JSONWebKeySet);
    jwksCache.set(jwksUri, { keys, at: Date.now() });
    return keys;
  }

  /**
   * Signature against the issuer's JWKS (asymmetric algorithms it announces), `iss`, `aud` (and `azp`
   * when several audiences), `exp`, `iat` and the `nonce` of this sign-in.
   */
  async verifyIdToken(idToken: string, nonce: string, known?: OidcDiscovery): Promise<OidcIdentity> {
    const doc = known ?? (await this.discover());
    const announced = doc.id_token_signing_alg_values_supported;
    const algorithms = announced ? ACCEPTED_ALGORITHMS.filter((a) => announced.includes(a)) : ['RS256'];
    const issuers = [this.config.issuer, ...(this.config.issuerAliases ?? [])];
    const verify = async (refresh: boolean) =>
      jwtVerify(idToken, await this.keySet(doc.jwks_uri, refresh), {
        algorithms,
        issuer: issuers,
        audience: this.config.clientId,
        requiredClaims: ['exp', 'iat', 'sub', 'nonce'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        maxTokenAge: MAX_ID_TOKEN_AGE_SECONDS,
      });
    let payload: JWTPayload;
    try {
      try {
        ({ payload } = await verify(false));
      } catch (err) {
        if (!isRecord(err) || err.code !== 'ERR_JWKS_NO_MATCHING_KEY') throw err;
        ({ payload } = await verify(true));
      }
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw idTokenInvalid(failureOf(err));
    }
    if (typeof payload.nonce !== 'string' || !timingSafeEqual(payload.nonce, nonce)) throw idTokenInvalid('nonce');
    if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== this.config.clientId) {
      throw idTokenInvalid('audience');
    }
    return readIdentity(payload);
  }
}

/** Which check a jose verification error is about (signature before claims: jose checks in that order). */
const failureOf = (err: unknown): IdTokenFailure => {
  const code = isRecord(err) ? err.code : undefined;
  if (code === 'ERR_JWT_EXPIRED') return 'expired';
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
    const claim = isRecord(err) ? err.claim : undefined;
    if (claim === 'iss') return 'issuer';
    if (claim === 'aud') return 'audience';
    if (claim === 'iat' || claim === 'nbf') return 'expired';
    return 'claims';
  }
  return 'signature';
};

const readIdentity = (payload: JWTPayload): OidcIdentity => {
  const { sub, email, email_verified: verified, name } = payload as JWTPayload & Record<string, unknown>;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 255) throw idTokenInvalid('claims');
  const address = typeof email === 'string' && email.length <= 254 ? email.trim().toLowerCase() : '';
  return {
    subject: sub,
    email: address,
    // Some providers send the claim as a string.
    emailVerified: address.includes('@') && (verified === true || verified === 'true'),
    ...(typeof name === 'string' && name.trim() ? { name: name.trim().slice(0, 100) } : {}),
  };
};
