import { sha256Hex } from '@flowspark/auth';
import { loadConfig, ROLE_SCOPES, SCOPES } from '@flowspark/core';
import { describe, expect, it } from 'vitest';
import { addMember, call, createTenant, env, expectOk } from '../helpers/harness';

const KEYS = '/api/v1/api-keys';

const storedKey = (id: string) =>
  env.DB.prepare('SELECT * FROM api_keys WHERE id = ?').bind(id).first<Record<string, unknown>>();

const keyCount = async (orgId: string) =>
  (await env.DB.prepare('SELECT count(*) AS n FROM api_keys WHERE org_id = ?').bind(orgId).first<{ n: number }>())!.n;

describe('POST /api-keys', () => {
  it('creates a key shown once, stored only as SHA-256 with its display prefix', async () => {
    const tenant = await createTenant();
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const res = expectOk(
      await tenant.as('POST', KEYS, {
        body: {
          name: 'CI deploys',
          scopes: ['profile:read', 'api_keys:read'],
          expires_at: expiresAt,
          rate_limit_per_minute: 30,
        },
      }),
      201,
    );
    expect(res.headers.get('cache-control')).toBe('no-store');
    const data = res.body.data;
    expect(data).toEqual({
      id: expect.stringMatching(/^key_[0-9a-f]{32}$/),
      name: 'CI deploys',
      prefix: data.key.slice(0, 12),
      scopes: ['profile:read', 'api_keys:read'],
      rate_limit_per_minute: 30,
      expires_at: expiresAt,
      last_used_at: null,
      created_at: expect.any(String),
      user_id: tenant.userId,
      key: expect.stringMatching(/^fsk_[0-9A-Za-z]{40}$/),
    });
    const row = await storedKey(data.id);
    expect(row).toMatchObject({
      org_id: tenant.orgId,
      user_id: tenant.userId,
      display_prefix: data.prefix,
      key_hash: await sha256Hex(data.key),
      revoked_at: null,
    });
    expect(JSON.stringify(row)).not.toContain(data.key);

    // Never shown again.
    const list = expectOk(await tenant.as('GET', KEYS));
    const listed = list.body.data.find((k: { id: string }) => k.id === data.id);
    expect(listed).toMatchObject({ id: data.id, prefix: data.prefix, name: 'CI deploys' });
    expect(listed.key).toBeUndefined();
    expect(JSON.stringify(list.body)).not.toContain(data.key);
  });

  it("expands ['*'] to the creator's role scopes", async () => {
    const tenant = await createTenant();
    const owner = expectOk(await tenant.as('POST', KEYS, { body: { name: 'all', scopes: ['*'] } }), 201);
    expect(owner.body.data.scopes).toEqual([...SCOPES]);
    const member = await addMember(tenant, 'member');
    const res = expectOk(
      await call('POST', KEYS, { token: member.accessToken, body: { name: 'm', scopes: ['*'] } }),
      201,
    );
    expect(res.body.data.scopes).toEqual([...ROLE_SCOPES.member]);
    expect((await storedKey(res.body.data.id))!.scopes).toBe(JSON.stringify(ROLE_SCOPES.member));
  });

  it('the key authenticates as its creator', async () => {
    const tenant = await createTenant();
    const { id, key } = expectOk(
      await tenant.as('POST', KEYS, { body: { name: 'k', scopes: ['profile:read', 'api_keys:read'] } }),
      201,
    ).body.data;
    const me = expectOk(await call('GET', '/api/v1/auth/me', { token: key }));
    expect(me.body.data.user.id).toBe(tenant.userId);
    expect(me.body.data.organization.id).toBe(tenant.orgId);
    expect(me.body.data.auth).toMatchObject({ kind: 'api_key', api_key_id: id, session_id: null });
    expect(me.body.data.auth.scopes.sort()).toEqual(['api_keys:read', 'profile:read']);
    expectOk(await call('GET', KEYS, { token: key }));
  });

  it('a member cannot grant a scope their role lacks; nothing is stored', async () => {
    const tenant = await createTenant();
    const member = await addMember(tenant, 'member');
    const before = await keyCount(tenant.orgId);
    const res = await call('POST', KEYS, {
      token: member.accessToken,
      body: { name: 'too much', scopes: ['profile:read', 'members:write', 'org:write'] },
    });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('INSUFFICIENT_SCOPE');
    expect(res.body.error.details.scopes).toEqual(['members:write', 'org:write']);
    expect(res.body.error.message).toContain('members:write');
    expect(await keyCount(tenant.orgId)).toBe(before);
  });

  it('a viewer cannot create keys', async () => {
    const tenant = await createTenant();
    const viewer = await addMember(tenant, 'viewer');
    const res = await call('POST', KEYS, { token: viewer.accessToken, body: { name: 'v', scopes: ['profile:read'] } });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'INSUFFICIENT_SCOPE', details: { required_scope: 'api_keys:write' } });
  });

  it('an API key cannot create another key, even with every scope', async () => {
    const tenant = await createTenant();
    const before = await keyCount(tenant.orgId);
    const res = await call('POST', KEYS, { token: tenant.apiKey, body: { name: 'child', scopes: ['profile:read'] } });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
    expect(await keyCount(tenant.orgId)).toBe(before);
  });

  it('needs authentication', async () => {
    const res = await call('POST', KEYS, { body: { name: 'x', scopes: ['profile:read'] } });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a rate limit above the plan and validates every field', async () => {
    const tenant = await createTenant();
    const planLimit = loadConfig(env).rateLimits.free.per_minute;
    const above = await tenant.as('POST', KEYS, {
      body: { name: 'x', scopes: ['profile:read'], rate_limit_per_minute: planLimit + 1 },
    });
    expect(above.status).toBe(400);
    expect(above.body.error.code).toBe('VALIDATION_ERROR');
    expect(above.body.error.details.fields.rate_limit_per_minute).toEqual([
      "Must be at most 120 (the free plan's limit)",
    ]);
    expectOk(
      await tenant.as('POST', KEYS, {
        body: { name: 'x', scopes: ['profile:read'], rate_limit_per_minute: planLimit },
      }),
      201,
    );

    const invalid: [unknown, string][] = [
      [{ scopes: ['profile:read'] }, 'name'],
      [{ name: '', scopes: ['profile:read'] }, 'name'],
      [{ name: 'x'.repeat(101), scopes: ['profile:read'] }, 'name'],
      [{ name: 5, scopes: ['profile:read'] }, 'name'],
      [{ name: 'x' }, 'scopes'],
      [{ name: 'x', scopes: [] }, 'scopes'],
      [{ name: 'x', scopes: 'profile:read' }, 'scopes'],
      [{ name: 'x', scopes: ['profile:admin'] }, 'scopes'],
      [{ name: 'x', scopes: ['*', 'profile:read'] }, 'scopes'],
      [{ name: 'x', scopes: ['profile:read'], expires_at: 'tomorrow' }, 'expires_at'],
      [{ name: 'x', scopes: ['profile:read'], expires_at: '2001-01-01T00:00:00Z' }, 'expires_at'],
      [{ name: 'x', scopes: ['profile:read'], rate_limit_per_minute: 0 }, 'rate_limit_per_minute'],
      [{ name: 'x', scopes: ['profile:read'], rate_limit_per_minute: 1.5 }, 'rate_limit_per_minute'],
      [{ name: 'x', scopes: ['profile:read'], rate_limit_per_minute: '10' }, 'rate_limit_per_minute'],
      [{ name: 'x', scopes: ['profile:read'], org_id: tenant.orgId }, '(body)'],
    ];
    for (const [body, field] of invalid) {
      const res = await tenant.as('POST', KEYS, { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
      expect(Object.keys(res.body.error.details.fields).join(','), JSON.stringify(body)).toContain(field);
    }
    const malformed = await tenant.as('POST', KEYS, {
      rawBody: '{"name":',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('MALFORMED_JSON');
  });

  it('a higher plan allows a higher per-key limit', async () => {
    const tenant = await createTenant({ plan: 'pro' });
    const limits = loadConfig(env).rateLimits;
    const res = await tenant.as('POST', KEYS, {
      body: { name: 'x', scopes: ['profile:read'], rate_limit_per_minute: limits.free.per_minute + 1 },
    });
    expect(res.status).toBe(201);
    expect(res.body.data.rate_limit_per_minute).toBe(limits.free.per_minute + 1);
  });
});
