import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  type AccessClaims,
  generateSigningKeyJwk,
  loadSigningKeys,
  type SigningKeys,
  signAccessToken,
  signMfaToken,
  verifyAccessToken,
  verifyMfaToken,
} from './jwt';
import { base64UrlDecode, base64UrlEncode } from './tokens';

const ISSUER = 'https://api.flowspark.test';
const AUDIENCE = 'flowspark-api';
const OPTS = { issuer: ISSUER, audience: AUDIENCE };
const CLAIMS: AccessClaims = { sub: 'usr_1', tid: 'org_1', role: 'admin', sid: 'ses_1', plan: 'pro' };
const NOW = 1_700_000_000;

const jsonPart = (value: unknown) => base64UrlEncode(new TextEncoder().encode(JSON.stringify(value)));
const decodePart = (part: string) => JSON.parse(new TextDecoder().decode(base64UrlDecode(part)));

async function makeKeys(kid: string, publicKeys?: JsonWebKey[]): Promise<SigningKeys> {
  const jwk = await generateSigningKeyJwk(kid);
  return loadSigningKeys({
    JWT_PRIVATE_KEY: JSON.stringify(jwk),
    JWT_PUBLIC_KEYS: publicKeys ? JSON.stringify(publicKeys) : undefined,
  });
}

function flipCharAt(value: string, index: number): string {
  const replacement = value[index] === 'A' ? 'B' : 'A';
  return value.slice(0, index) + replacement + value.slice(index + 1);
}

const invalid = { code: 'INVALID_TOKEN' };

describe('access tokens', () => {
  it('round-trips the claims with the RFC 9068 header and registered claims', async () => {
    const keys = await makeKeys('k1');
    const token = await signAccessToken(keys, CLAIMS, { ...OPTS, now: NOW });
    const [header, payload] = token.split('.') as [string, string, string];
    expect(decodePart(header)).toEqual({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' });
    const body = decodePart(payload);
    expect(body).toMatchObject({ ...CLAIMS, iss: ISSUER, aud: AUDIENCE, iat: NOW, exp: NOW + 900 });
    expect(body.jti).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(await verifyAccessToken(keys, token, { ...OPTS, now: NOW + 1 })).toEqual({ ...CLAIMS, iat: NOW });
  });

  it('uses a fresh jti per token', async () => {
    const keys = await makeKeys('k1');
    const a = decodePart((await signAccessToken(keys, CLAIMS, { ...OPTS, now: NOW })).split('.')[1]!);
    const b = decodePart((await signAccessToken(keys, CLAIMS, { ...OPTS, now: NOW })).split('.')[1]!);
    expect(a.jti).not.toBe(b.jti);
  });

  it('verifies against the real clock by default', async () => {
    const keys = await makeKeys('k1');
    const token = await signAccessToken(keys, CLAIMS, OPTS);
    const verified = await verifyAccessToken(keys, token, OPTS);
    expect(verified).toMatchObject(CLAIMS);
    expect(Math.abs(verified.iat - Date.now() / 1000)).toBeLessThan(5);
  });

  it('rejects alg "none"', async () => {
    const keys = await makeKeys('k1');
    const payload = { ...CLAIMS, iss: ISSUER, aud: AUDIENCE, iat: NOW, exp: NOW + 900, jti: 'x'.repeat(22) };
    for (const header of [
      { alg: 'none', typ: 'at+jwt', kid: 'k1' },
      { alg: 'none', typ: 'at+jwt' },
      { alg: 'NONE', typ: 'at+jwt', kid: 'k1' },
    ]) {
      const token = `${jsonPart(header)}.${jsonPart(payload)}.`;
      await expect(verifyAccessToken(keys, token, { ...OPTS, now: NOW })).rejects.toMatchObject(invalid);
    }
  });

  it('rejects HS256 tokens, including one keyed with the public key (algorithm confusion)', async () => {
    const keys = await makeKeys('k1');
    const secrets = [
      new TextEncoder().encode(JSON.stringify(keys.jwks.keys[0])),
      crypto.getRandomValues(new Uint8Array(32)),
    ];
    for (const secret of secrets) {
      const token = await new SignJWT({ tid: CLAIMS.tid, role: 'owner', sid: CLAIMS.sid, plan: CLAIMS.plan })
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' })
        .setSubject(CLAIMS.sub)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(NOW)
        .setExpirationTime(NOW + 900)
        .setJti('jti-hs256')
        .sign(secret);
      await expect(verifyAccessToken(keys, token, { ...OPTS, now: NOW })).rejects.toMatchObject(invalid);
    }
  });

  it('rejects the wrong audience or issuer', async () => {
    const keys = await makeKeys('k1');
    const token = await signAccessToken(keys, CLAIMS, { ...OPTS, now: NOW });
    await expect(verifyAccessToken(keys, token, { ...OPTS, audience: 'other-api', now: NOW })).rejects.toMatchObject(
      invalid,
    );
    await expect(
      verifyAccessToken(keys, token, { ...OPTS, issuer: 'https://evil.example', now: NOW }),
    ).rejects.toMatchObject(invalid);
  });

  it('reports expiry as TOKEN_EXPIRED', async () => {
    const keys = await makeKeys('k1');
    const token = await signAccessToken(keys, CLAIMS, { ...OPTS, now: NOW, ttlSeconds: 60 });
    expect(await verifyAccessToken(keys, token, { ...OPTS, now: NOW + 59 })).toEqual({ ...CLAIMS, iat: NOW });
    await expect(verifyAccessToken(keys, token, { ...OPTS, now: NOW + 60 })).rejects.toMatchObject({
      code: 'TOKEN_EXPIRED',
      message: 'Access token has expired',
      status: 401,
    });
    const defaultTtl = await signAccessToken(keys, CLAIMS, { ...OPTS, now: NOW });
    await expect(verifyAccessToken(keys, defaultTtl, { ...OPTS, now: NOW + 901 })).rejects.toMatchObject({
      code: 'TOKEN_EXPIRED',
    });
  });

  it('does not report an expired token from a foreign key as merely expired', async () => {
    const keys = await makeKeys('k1');
    const foreign = await makeKeys('k1');
    const token = await signAccessToken(foreign, CLAIMS, { ...OPTS, now: NOW });
    await expect(verifyAccessToken(keys, token, { ...OPTS, now: NOW + 10_000 })).rejects.toMatchObject(invalid);
  });

  it('rejects a tampered signature or payload', async () => {
    const keys = await makeKeys('k1');
    const token = await signAccessToken(keys, CLAIMS, { ...OPTS, now: NOW });
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const badSignature = `${header}.${payload}.${flipCharAt(signature, 10)}`;
    await expect(verifyAccessToken(keys, badSignature, { ...OPTS, now: NOW })).rejects.toMatchObject(invalid);
    const escalated = jsonPart({ ...decodePart(payload), role: 'owner' });
    await expect(
      verifyAccessToken(keys, `${header}.${escalated}.${signature}`, { ...OPTS, now: NOW }),
    ).rejects.toMatchObject(invalid);
    await expect(verifyAccessToken(keys, `${header}.${payload}`, { ...OPTS, now: NOW })).rejects.toMatchObject(invalid);
  });

  it('rejects garbage', async () => {
    const keys = await makeKeys('k1');
    for (const token of ['', 'abc', 'a.b.c', '...', 'x'.repeat(10_000)]) {
      await expect(verifyAccessToken(keys, token, { ...OPTS, now: NOW })).rejects.toMatchObject(invalid);
    }
  });

  it('rejects an unknown kid and a token signed by another key under a known kid', async () => {
    const keys = await makeKeys('k1');
    const stranger = await makeKeys('k2');
    const unknownKid = await signAccessToken(stranger, CLAIMS, { ...OPTS, now: NOW });
    await expect(verifyAccessToken(keys, unknownKid, { ...OPTS, now: NOW })).rejects.toMatchObject(invalid);
    const impostor = await makeKeys('k1');
    const sameKid = await signAccessToken(impostor, CLAIMS, { ...OPTS, now: NOW });
    await expect(verifyAccessToken(keys, sameKid, { ...OPTS, now: NOW })).rejects.toMatchObject(invalid);
  });

  it('validates claim shapes even when the signature is good', async () => {
    const keys = await makeKeys('k1');
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(NOW)
        .setExpirationTime(NOW + 900)
        .setJti('jti-shape')
        .sign(keys.privateKey);
    const base = { ...CLAIMS } as Record<string, unknown>;
    const variants: Record<string, unknown>[] = [
      { ...base, role: 'superuser' },
      { ...base, role: 'toString' },
      { ...base, sub: '' },
      { ...base, tid: 42 },
      { ...base, sid: undefined },
      { ...base, plan: null },
      { ...base, purpose: 'mfa' },
    ];
    for (const claims of variants) {
      await expect(verifyAccessToken(keys, await sign(claims), { ...OPTS, now: NOW })).rejects.toMatchObject(invalid);
    }
    // Missing exp.
    const noExp = await new SignJWT({ ...base })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(NOW)
      .setJti('jti-no-exp')
      .sign(keys.privateKey);
    await expect(verifyAccessToken(keys, noExp, { ...OPTS, now: NOW })).rejects.toMatchObject(invalid);
    // Plain JWT typ (no explicit typing).
    const plainTyp = await new SignJWT({ ...base })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(NOW)
      .setExpirationTime(NOW + 900)
      .setJti('jti-typ')
      .sign(keys.privateKey);
    await expect(verifyAccessToken(keys, plainTyp, { ...OPTS, now: NOW })).rejects.toMatchObject(invalid);
  });

  it('refuses to sign malformed claims', async () => {
    const keys = await makeKeys('k1');
    const bad = { ...CLAIMS, role: 'root' } as unknown as AccessClaims;
    await expect(signAccessToken(keys, bad, OPTS)).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
    await expect(signAccessToken(keys, { ...CLAIMS, sub: '' }, OPTS)).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
  });
});

describe('MFA tokens', () => {
  it('round-trips and expires after 5 minutes', async () => {
    const keys = await makeKeys('k1');
    const token = await signMfaToken(keys, { sub: 'usr_1', tid: 'org_1' }, { ...OPTS, now: NOW });
    const [header] = token.split('.') as [string];
    expect(decodePart(header)).toEqual({ alg: 'ES256', kid: 'k1', typ: 'mfa+jwt' });
    const verified = await verifyMfaToken(keys, token, { ...OPTS, now: NOW + 299 });
    expect(verified).toMatchObject({ sub: 'usr_1', tid: 'org_1', purpose: 'mfa', exp: NOW + 300 });
    expect(verified.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
    await expect(verifyMfaToken(keys, token, { ...OPTS, now: NOW + 300 })).rejects.toMatchObject({
      code: 'TOKEN_EXPIRED',
    });
  });

  it('is never accepted as an access token', async () => {
    const keys = await makeKeys('k1');
    const mfa = await signMfaToken(keys, { sub: 'usr_1', tid: 'org_1' }, { ...OPTS, now: NOW });
    await expect(verifyAccessToken(keys, mfa, { ...OPTS, now: NOW })).rejects.toMatchObject(invalid);
  });

  it('does not accept an access token', async () => {
    const keys = await makeKeys('k1');
    const access = await signAccessToken(keys, CLAIMS, { ...OPTS, now: NOW });
    await expect(verifyMfaToken(keys, access, { ...OPTS, now: NOW })).rejects.toMatchObject(invalid);
  });

  it('requires purpose "mfa" even with the right typ', async () => {
    const keys = await makeKeys('k1');
    const token = await new SignJWT({ tid: 'org_1', purpose: 'reset' })
      .setProtectedHeader({ alg: 'ES256', typ: 'mfa+jwt', kid: 'k1' })
      .setSubject('usr_1')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(NOW)
      .setExpirationTime(NOW + 300)
      .setJti('jti-purpose')
      .sign(keys.privateKey);
    await expect(verifyMfaToken(keys, token, { ...OPTS, now: NOW })).rejects.toMatchObject(invalid);
  });
});

describe('signing keys', () => {
  it('publishes only public members in the JWKS', async () => {
    const keys = await makeKeys('k1');
    expect(keys.kid).toBe('k1');
    expect(keys.jwks.keys).toHaveLength(1);
    const [jwk] = keys.jwks.keys;
    expect(jwk).not.toHaveProperty('d');
    expect(Object.keys(jwk!).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', kid: 'k1', alg: 'ES256', use: 'sig' });
  });

  it('keeps verifying tokens from a rotated-out key listed in JWT_PUBLIC_KEYS', async () => {
    const oldJwk = await generateSigningKeyJwk('old');
    const oldKeys = await loadSigningKeys({ JWT_PRIVATE_KEY: JSON.stringify(oldJwk) });
    const oldToken = await signAccessToken(oldKeys, CLAIMS, { ...OPTS, now: NOW });

    const { d: _private, ...oldPublic } = oldJwk;
    const newJwk = await generateSigningKeyJwk('new');
    const rotated = await loadSigningKeys({
      JWT_PRIVATE_KEY: JSON.stringify(newJwk),
      JWT_PUBLIC_KEYS: JSON.stringify([oldPublic]),
    });
    expect(rotated.kid).toBe('new');
    expect(rotated.jwks.keys.map((k) => (k as { kid?: string }).kid)).toEqual(['new', 'old']);
    expect(await verifyAccessToken(rotated, oldToken, { ...OPTS, now: NOW })).toEqual({ ...CLAIMS, iat: NOW });

    const newToken = await signAccessToken(rotated, CLAIMS, { ...OPTS, now: NOW });
    expect(decodePart(newToken.split('.')[0]!).kid).toBe('new');
    expect(await verifyAccessToken(rotated, newToken, { ...OPTS, now: NOW })).toEqual({ ...CLAIMS, iat: NOW });

    // Once the old key is dropped from the list its tokens stop verifying.
    const retired = await loadSigningKeys({ JWT_PRIVATE_KEY: JSON.stringify(newJwk) });
    await expect(verifyAccessToken(retired, oldToken, { ...OPTS, now: NOW })).rejects.toMatchObject(invalid);
  });

  it('never publishes d even if a private JWK is put in JWT_PUBLIC_KEYS by mistake', async () => {
    const oldJwk = await generateSigningKeyJwk('old');
    const keys = await makeKeys('new', [oldJwk]);
    for (const jwk of keys.jwks.keys) expect(jwk).not.toHaveProperty('d');
    expect(JSON.stringify(keys.jwks)).not.toContain(oldJwk.d);
  });

  it('caches per env strings', async () => {
    const env = { JWT_PRIVATE_KEY: JSON.stringify(await generateSigningKeyJwk('k1')) };
    const first = await loadSigningKeys(env);
    expect(await loadSigningKeys({ ...env })).toBe(first);
    const other = await loadSigningKeys({ JWT_PRIVATE_KEY: JSON.stringify(await generateSigningKeyJwk('k1')) });
    expect(other).not.toBe(first);
  });

  it('fails closed, without quoting key material, when keys are missing or invalid', async () => {
    const good = await generateSigningKeyJwk('k1');
    const { d: _d, ...publicOnly } = good;
    const mismatched = { ...good, x: (await generateSigningKeyJwk('k2')).x };
    const badEnvs = [
      {},
      { JWT_PRIVATE_KEY: '' },
      { JWT_PRIVATE_KEY: 'not json' },
      { JWT_PRIVATE_KEY: `{"d":"${good.d}"` },
      { JWT_PRIVATE_KEY: JSON.stringify(publicOnly) },
      { JWT_PRIVATE_KEY: JSON.stringify({ ...good, kid: undefined }) },
      { JWT_PRIVATE_KEY: JSON.stringify({ ...good, crv: 'P-384' }) },
      { JWT_PRIVATE_KEY: JSON.stringify({ ...good, alg: 'HS256' }) },
      { JWT_PRIVATE_KEY: JSON.stringify({ kty: 'oct', k: 'c2VjcmV0', kid: 'k1' }) },
      { JWT_PRIVATE_KEY: JSON.stringify(mismatched) },
      { JWT_PRIVATE_KEY: JSON.stringify(good), JWT_PUBLIC_KEYS: '{}' },
      { JWT_PRIVATE_KEY: JSON.stringify(good), JWT_PUBLIC_KEYS: '[{"kty":"EC"}]' },
      { JWT_PRIVATE_KEY: JSON.stringify(good), JWT_PUBLIC_KEYS: JSON.stringify([{ ...publicOnly, x: mismatched.x }]) },
    ];
    for (const env of badEnvs) {
      const error = await loadSigningKeys(env).then(
        () => null,
        (err: unknown) => err,
      );
      expect(error, JSON.stringify(Object.keys(env))).toMatchObject({
        code: 'INTERNAL_ERROR',
        message: 'Signing keys are not configured',
      });
      expect((error as Error).cause).toBeUndefined();
      expect(String((error as Error).message)).not.toContain(good.d!);
    }
  });

  it('generates distinct extractable-looking private JWKs with kid, alg and use', async () => {
    const a = await generateSigningKeyJwk('a');
    const b = await generateSigningKeyJwk();
    expect(a).toMatchObject({ kty: 'EC', crv: 'P-256', kid: 'a', alg: 'ES256', use: 'sig' });
    expect(a.d).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(b.kid).toMatch(/^\d{4}-\d{2}-\d{2}-[A-Za-z0-9_-]{8}$/);
    expect(b.d).not.toBe(a.d);
  });
});
