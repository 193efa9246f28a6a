/**
 * ES256 access tokens and MFA challenge tokens, following RFC 8725 (JWT BCP): the algorithm is pinned,
 * every token kind has its own `typ` so one kind can never be replayed as another, keys are picked by
 * `kid` from a fixed set (never from the token), and iss/aud/exp are always checked.
 */
import { AppError } from '@flowspark/core';
import { type JWTPayload, type JWTVerifyGetKey, jwtVerify, SignJWT } from 'jose';
import { randomToken } from './tokens';

export type AccessRole = 'owner' | 'admin' | 'member' | 'viewer';

export interface AccessClaims {
  sub: string;
  tid: string;
  role: AccessRole;
  sid: string;
  plan: string;
}

export interface SigningKeys {
  kid: string;
  privateKey: CryptoKey;
  publicKeys: Map<string, CryptoKey>;
  jwks: { keys: JsonWebKey[] };
}

export interface SigningKeysEnv {
  JWT_PRIVATE_KEY?: string;
  JWT_PUBLIC_KEYS?: string;
}

export interface SignTokenOptions {
  issuer: string;
  audience: string;
  ttlSeconds?: number;
  /** Current time in seconds since the epoch; for tests. */
  now?: number;
}

export interface VerifyTokenOptions {
  issuer: string;
  audience: string;
  /** Current time in seconds since the epoch; for tests. */
  now?: number;
}

export interface MfaClaims {
  sub: string;
  tid: string;
  purpose: 'mfa';
  /** The known device the password step came from: the challenge then skips others' throttling. */
  kd?: string;
}

/** MFA claims plus what a caller needs to make the token single-use (store `jti` until `exp`). */
export interface VerifiedMfaToken extends MfaClaims {
  jti: string;
  exp: number;
}

export type PublicJwk = JsonWebKey & { kid: string };

export const JWT_ALGORITHM = 'ES256';
export const ACCESS_TOKEN_TYP = 'at+jwt';
export const MFA_TOKEN_TYP = 'mfa+jwt';
export const ACCESS_TOKEN_TTL_SECONDS = 900;
export const MFA_TOKEN_TTL_SECONDS = 300;

const ACCESS_ROLES: readonly AccessRole[] = ['owner', 'admin', 'member', 'viewer'];
const EC_IMPORT = { name: 'ECDSA', namedCurve: 'P-256' };
const EC_SIGN = { name: 'ECDSA', hash: 'SHA-256' };
// Far above any token we issue; refuses to spend CPU parsing junk.
const MAX_TOKEN_LENGTH = 8192;
// The env strings only change on deploy, which starts new isolates; the bound is just a safety net.
const MAX_CACHED_KEY_SETS = 4;

const signingKeysCache = new Map<string, SigningKeys>();

const keysNotConfigured = () => new AppError('INTERNAL_ERROR', 'Signing keys are not configured');

const isNonEmptyString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isAccessRole = (value: unknown): value is AccessRole =>
  typeof value === 'string' && (ACCESS_ROLES as readonly string[]).includes(value);

interface EcKeyFields {
  kid: string;
  x: string;
  y: string;
}

/** Validates the members we rely on; never echoes them, since the input may be a private key. */
function readEcKey(value: unknown, requirePrivate: boolean): (EcKeyFields & { d?: string }) | null {
  if (!isRecord(value)) return null;
  const { kty, crv, x, y, d, kid, alg, use } = value;
  if (kty !== 'EC' || crv !== 'P-256') return null;
  if (!isNonEmptyString(x) || !isNonEmptyString(y) || !isNonEmptyString(kid)) return null;
  if (alg !== undefined && alg !== JWT_ALGORITHM) return null;
  if (use !== undefined && use !== 'sig') return null;
  if (requirePrivate && !isNonEmptyString(d)) return null;
  return requirePrivate ? { kid, x, y, d: d as string } : { kid, x, y };
}

function toPublicJwk({ kid, x, y }: EcKeyFields): PublicJwk {
  // Built member by member so nothing private (d) or irrelevant (key_ops, ext) can leak into the JWKS.
  return { kty: 'EC', crv: 'P-256', x, y, kid, alg: JWT_ALGORITHM, use: 'sig' };
}

function importPublicKey({ x, y }: EcKeyFields): Promise<CryptoKey> {
  return crypto.subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x, y }, EC_IMPORT, false, ['verify']);
}

async function importSigningKeys(privateText: string, publicText: string | undefined): Promise<SigningKeys> {
  const current = readEcKey(JSON.parse(privateText), true);
  if (!current?.d) throw keysNotConfigured();
  const privateKey = await crypto.subtle.importKey(
    'jwk',
    { kty: 'EC', crv: 'P-256', x: current.x, y: current.y, d: current.d },
    EC_IMPORT,
    false,
    ['sign'],
  );
  const currentPublic = await importPublicKey(current);

  // A private key whose x/y do not match d would sign tokens nobody can verify; catch it at load time.
  const probe = new TextEncoder().encode('flowspark-signing-key-check');
  const signature = await crypto.subtle.sign(EC_SIGN, privateKey, probe);
  if (!(await crypto.subtle.verify(EC_SIGN, currentPublic, signature, probe))) throw keysNotConfigured();

  const publicKeys = new Map<string, CryptoKey>([[current.kid, currentPublic]]);
  const jwks: PublicJwk[] = [toPublicJwk(current)];

  if (publicText !== undefined && publicText.trim() !== '') {
    const older: unknown = JSON.parse(publicText);
    if (!Array.isArray(older)) throw keysNotConfigured();
    for (const entry of older) {
      const key = readEcKey(entry, false);
      if (!key) throw keysNotConfigured();
      if (key.kid === current.kid) {
        // Listing the current public key again is harmless; a different key under the same kid is not.
        if (key.x !== current.x || key.y !== current.y) throw keysNotConfigured();
        continue;
      }
      if (publicKeys.has(key.kid)) throw keysNotConfigured();
      publicKeys.set(key.kid, await importPublicKey(key));
      jwks.push(toPublicJwk(key));
    }
  }

  return { kid: current.kid, privateKey, publicKeys, jwks: { keys: jwks } };
}

/**
 * Imports the signing key (JWT_PRIVATE_KEY, a private EC P-256 JWK with `kid`) and any previous public
 * keys (JWT_PUBLIC_KEYS, a JSON array of public JWKs) that must keep verifying after a rotation.
 * Cached per isolate, so only the first request pays for the import.
 */
export async function loadSigningKeys(env: SigningKeysEnv): Promise<SigningKeys> {
  const privateText = env.JWT_PRIVATE_KEY;
  const publicText = env.JWT_PUBLIC_KEYS;
  if (!isNonEmptyString(privateText)) throw keysNotConfigured();
  const cacheKey = JSON.stringify([privateText, publicText ?? '']);
  const cached = signingKeysCache.get(cacheKey);
  if (cached) return cached;

  let keys: SigningKeys;
  try {
    keys = await importSigningKeys(privateText, publicText);
  } catch {
    // No `cause`: JSON.parse and importKey errors can quote the key material.
    throw keysNotConfigured();
  }
  if (signingKeysCache.size >= MAX_CACHED_KEY_SETS) signingKeysCache.clear();
  signingKeysCache.set(cacheKey, keys);
  return keys;
}

/** Creates a fresh P-256 signing key as a private JWK, for dev scripts, key rotation and tests. */
export async function generateSigningKeyJwk(kid?: string): Promise<JsonWebKey & { kid: string }> {
  const pair = (await crypto.subtle.generateKey(EC_IMPORT, true, ['sign', 'verify'])) as CryptoKeyPair;
  const exported = (await crypto.subtle.exportKey('jwk', pair.privateKey)) as JsonWebKey;
  if (!exported.x || !exported.y || !exported.d) throw new AppError('INTERNAL_ERROR', 'Could not export signing key');
  return {
    kty: 'EC',
    crv: 'P-256',
    x: exported.x,
    y: exported.y,
    d: exported.d,
    kid: kid ?? `${new Date().toISOString().slice(0, 10)}-${randomToken(6)}`,
    alg: JWT_ALGORITHM,
    use: 'sig',
  };
}

function resolveTimes(opts: SignTokenOptions, defaultTtl: number): { iat: number; exp: number } {
  const iat = Math.floor(opts.now ?? Date.now() / 1000);
  const ttl = opts.ttlSeconds ?? defaultTtl;
  if (!Number.isInteger(ttl) || ttl <= 0)
    throw new AppError('INTERNAL_ERROR', 'Token lifetime must be a positive integer');
  return { iat, exp: iat + ttl };
}

function readAccessClaims(payload: Record<string, unknown>): AccessClaims | null {
  const { sub, tid, role, sid, plan, purpose } = payload;
  if (!isNonEmptyString(sub) || !isNonEmptyString(tid) || !isNonEmptyString(sid)) return null;
  if (!isAccessRole(role) || typeof plan !== 'string') return null;
  // Belt and braces next to the typ check: an MFA-shaped payload is never an access token.
  if (purpose !== undefined) return null;
  return { sub, tid, role, sid, plan };
}

export async function signAccessToken(
  keys: SigningKeys,
  claims: AccessClaims,
  opts: SignTokenOptions,
): Promise<string> {
  const checked = readAccessClaims({ ...claims });
  if (!checked) throw new AppError('INTERNAL_ERROR', 'Refusing to sign malformed access token claims');
  const { iat, exp } = resolveTimes(opts, ACCESS_TOKEN_TTL_SECONDS);
  return new SignJWT({ tid: checked.tid, role: checked.role, sid: checked.sid, plan: checked.plan })
    .setProtectedHeader({ alg: JWT_ALGORITHM, kid: keys.kid, typ: ACCESS_TOKEN_TYP })
    .setSubject(checked.sub)
    .setIssuer(opts.issuer)
    .setAudience(opts.audience)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .setJti(randomToken(16))
    .sign(keys.privateKey);
}

export async function signMfaToken(
  keys: SigningKeys,
  claims: { sub: string; tid: string; kd?: string },
  opts: SignTokenOptions,
): Promise<string> {
  if (!isNonEmptyString(claims.sub) || !isNonEmptyString(claims.tid)) {
    throw new AppError('INTERNAL_ERROR', 'Refusing to sign malformed MFA token claims');
  }
  const { iat, exp } = resolveTimes(opts, MFA_TOKEN_TTL_SECONDS);
  return new SignJWT({ tid: claims.tid, purpose: 'mfa', ...(claims.kd ? { kd: claims.kd } : {}) })
    .setProtectedHeader({ alg: JWT_ALGORITHM, kid: keys.kid, typ: MFA_TOKEN_TYP })
    .setSubject(claims.sub)
    .setIssuer(opts.issuer)
    .setAudience(opts.audience)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .setJti(randomToken(16))
    .sign(keys.privateKey);
}

const EXPIRED = Symbol('expired');

/** Verifies signature, alg, typ, iss, aud and exp; returns the payload, or EXPIRED, or null. */
async function verifyTyped(
  keys: SigningKeys,
  token: string,
  typ: string,
  opts: VerifyTokenOptions,
): Promise<JWTPayload | typeof EXPIRED | null> {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
  const getKey: JWTVerifyGetKey = (header) => {
    const key = typeof header.kid === 'string' ? keys.publicKeys.get(header.kid) : undefined;
    if (!key) throw new Error('Unknown key id');
    return key;
  };
  try {
    const { payload } = await jwtVerify(token, getKey, {
      algorithms: [JWT_ALGORITHM],
      typ,
      issuer: opts.issuer,
      audience: opts.audience,
      requiredClaims: ['exp', 'iat', 'sub', 'jti'],
      currentDate: opts.now === undefined ? undefined : new Date(opts.now * 1000),
    });
    return payload;
  } catch (err) {
    // jose only raises ERR_JWT_EXPIRED after the signature and every other claim check passed, so
    // "expired" is never reported for a forged or foreign token.
    if (isRecord(err) && err.code === 'ERR_JWT_EXPIRED') return EXPIRED;
    return null;
  }
}

/** Verified claims plus `iat` (seconds), which the tenant gate compares with revocation times. */
export interface VerifiedAccessToken extends AccessClaims {
  iat: number;
}

export async function verifyAccessToken(
  keys: SigningKeys,
  token: string,
  opts: VerifyTokenOptions,
): Promise<VerifiedAccessToken> {
  const payload = await verifyTyped(keys, token, ACCESS_TOKEN_TYP, opts);
  if (payload === EXPIRED) throw new AppError('TOKEN_EXPIRED', 'Access token has expired');
  const claims = payload ? readAccessClaims(payload) : null;
  if (!claims || typeof payload !== 'object' || typeof payload?.iat !== 'number') {
    throw new AppError('INVALID_TOKEN', 'Invalid access token');
  }
  return { ...claims, iat: payload.iat };
}

export async function verifyMfaToken(
  keys: SigningKeys,
  token: string,
  opts: VerifyTokenOptions,
): Promise<VerifiedMfaToken> {
  const payload = await verifyTyped(keys, token, MFA_TOKEN_TYP, opts);
  if (payload === EXPIRED) throw new AppError('TOKEN_EXPIRED', 'MFA token has expired');
  if (
    payload &&
    isNonEmptyString(payload.sub) &&
    isNonEmptyString(payload.tid) &&
    payload.purpose === 'mfa' &&
    isNonEmptyString(payload.jti) &&
    typeof payload.exp === 'number'
  ) {
    const kd = isNonEmptyString(payload.kd) ? { kd: payload.kd } : {};
    return { sub: payload.sub, tid: payload.tid, purpose: 'mfa', jti: payload.jti, exp: payload.exp, ...kd };
  }
  throw new AppError('INVALID_TOKEN', 'Invalid MFA token');
}
