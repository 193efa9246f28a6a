import { importJWK, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { call, createTenant, env, me } from '../helpers/harness';

const ISSUER = 'http://localhost:8787';
const AUDIENCE = 'flowspark-api';

const privateJwk = () => JSON.parse(env.JWT_PRIVATE_KEY) as JsonWebKey & { kid: string };

const b64url = (value: unknown) =>
  btoa(JSON.stringify(value)).replaceAll('=', '').replaceAll('+', '-').replaceAll('/', '_');

/** Signs claims with the API's own key, so only the claim under test is wrong. */
const signWithApiKey = async (
  claims: Record<string, unknown>,
  options: { issuer?: string; audience?: string; expiresIn?: number; typ?: string } = {},
) => {
  const jwk = privateJwk();
  const key = await importJWK(jwk, 'ES256');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: jwk.kid, typ: options.typ ?? 'at+jwt' })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setIssuedAt(now - 60)
    .setExpirationTime(now + (options.expiresIn ?? 600))
    .setJti(crypto.randomUUID())
    .sign(key);
};

const expectRejected = async (token: string, code = 'INVALID_TOKEN') => {
  const res = await me(token);
  expect(res.status).toBe(401);
  expect(res.body).toMatchObject({ success: false, error: { code } });
};

describe('access tokens (RFC 8725)', () => {
  it('a valid token works, and the claims the API issued look right', async () => {
    const tenant = await createTenant();
    const [header, payload] = tenant.accessToken
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(atob(part.replaceAll('-', '+').replaceAll('_', '/'))));
    expect(header).toMatchObject({ alg: 'ES256', typ: 'at+jwt', kid: privateJwk().kid });
    expect(payload).toMatchObject({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: tenant.userId,
      tid: tenant.orgId,
      role: 'owner',
      sid: tenant.sessionId,
    });
    expect(payload.exp - payload.iat).toBe(900);
    expect((await me(tenant.accessToken)).status).toBe(200);
  });

  it('rejects alg none', async () => {
    const tenant = await createTenant();
    const [, payload] = tenant.accessToken.split('.');
    await expectRejected(`${b64url({ alg: 'none', typ: 'at+jwt' })}.${payload}.`);
  });

  it('rejects HS256 signed with the public key (algorithm confusion)', async () => {
    const tenant = await createTenant();
    const [, payload] = tenant.accessToken.split('.');
    const jwk = privateJwk();
    const header = b64url({ alg: 'HS256', typ: 'at+jwt', kid: jwk.kid });
    const publicKeyBytes = new TextEncoder().encode(JSON.stringify({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }));
    const hmac = await crypto.subtle.importKey('raw', publicKeyBytes, { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
    ]);
    const signature = new Uint8Array(
      await crypto.subtle.sign('HMAC', hmac, new TextEncoder().encode(`${header}.${payload}`)),
    );
    const sig = btoa(String.fromCharCode(...signature))
      .replaceAll('=', '')
      .replaceAll('+', '-')
      .replaceAll('/', '_');
    await expectRejected(`${header}.${payload}.${sig}`);
  });

  it('rejects a wrong audience, a wrong issuer and a wrong typ even when signed with the right key', async () => {
    const tenant = await createTenant();
    const claims = { sub: tenant.userId, tid: tenant.orgId, role: 'owner', sid: tenant.sessionId, plan: 'free' };
    await expectRejected(await signWithApiKey(claims, { audience: 'another-api' }));
    await expectRejected(await signWithApiKey(claims, { issuer: 'https://evil.example' }));
    await expectRejected(await signWithApiKey(claims, { typ: 'JWT' }));
    // The same claims with the right iss/aud/typ are accepted: the rejections above are about the claim.
    expect((await me(await signWithApiKey(claims))).status).toBe(200);
  });

  it('rejects an expired token with TOKEN_EXPIRED', async () => {
    const tenant = await createTenant();
    const claims = { sub: tenant.userId, tid: tenant.orgId, role: 'owner', sid: tenant.sessionId, plan: 'free' };
    await expectRejected(await signWithApiKey(claims, { expiresIn: -30 }), 'TOKEN_EXPIRED');
  });

  it('rejects a tampered payload or signature', async () => {
    const tenant = await createTenant();
    const [header, payload, signature] = tenant.accessToken.split('.');
    const claims = JSON.parse(atob(payload!.replaceAll('-', '+').replaceAll('_', '/')));
    await expectRejected(`${header}.${b64url({ ...claims, role: 'owner', tid: 'org_other' })}.${signature}`);
    const flipped = `${signature!.slice(0, -2)}${signature!.endsWith('AA') ? 'BB' : 'AA'}`;
    await expectRejected(`${header}.${payload}.${flipped}`);
  });

  it('rejects garbage and malformed Authorization headers with the envelope', async () => {
    for (const header of [
      'Bearer',
      'Bearer not.a.jwt',
      'Basic dXNlcjpwYXNz',
      'Bearer a b',
      `Bearer ${'x'.repeat(9000)}`,
    ]) {
      const res = await call('GET', '/api/v1/auth/me', { headers: { authorization: header } });
      expect(res.status).toBe(401);
      expect(res.body.success).toBe(false);
    }
    const none = await call('GET', '/api/v1/auth/me');
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('publishes only public key material at /.well-known/jwks.json', async () => {
    const res = await call('GET', '/.well-known/jwks.json');
    expect(res.status).toBe(200);
    expect(res.body.keys).toHaveLength(1);
    const [key] = res.body.keys;
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', kid: privateJwk().kid, alg: 'ES256' });
    expect(key.d).toBeUndefined();
  });

  it('a token for a revoked session stops working at once', async () => {
    const tenant = await createTenant();
    expect((await call('POST', '/api/v1/auth/logout', { token: tenant.accessToken })).status).toBe(204);
    await expectRejected(tenant.accessToken);
  });

  it('a revoked API key stops working at once', async () => {
    const tenant = await createTenant();
    expect((await me(tenant.apiKey)).status).toBe(200);
    expect((await tenant.as('DELETE', `/api/v1/api-keys/${tenant.apiKeyId}`)).status).toBe(204);
    await expectRejected(tenant.apiKey);
  });
});
