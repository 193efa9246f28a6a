import { describe, expect, it } from 'vitest';
import { pastApiKeyCache } from '../helpers/clock';
import { addMember, call, createTenant, env, expectOk, pagination, type TestUser } from '../helpers/harness';

const KEYS = '/api/v1/api-keys';
const UNKNOWN_ID = `key_${'0'.repeat(32)}`;

const createKey = async (user: Pick<TestUser, 'accessToken'>, body: Record<string, unknown> = {}) =>
  expectOk(
    await call('POST', KEYS, { token: user.accessToken, body: { name: 'key', scopes: ['api_keys:read'], ...body } }),
    201,
  ).body.data as { id: string; key: string; name: string };

const listIds = async (token: string) =>
  (expectOk(await call('GET', `${KEYS}?page_size=100`, { token })).body.data as { id: string }[]).map((k) => k.id);

describe('GET /api-keys', () => {
  it('lists live keys newest first, paginated', async () => {
    const tenant = await createTenant();
    const a = await createKey(tenant, { name: 'a' });
    const b = await createKey(tenant, { name: 'b' });
    const c = await createKey(tenant, { name: 'c' });
    // Distinct creation times, so the order does not hinge on requests landing in different milliseconds.
    const base = Date.now() - 60_000;
    for (const [i, id] of [tenant.apiKeyId, a.id, b.id, c.id].entries()) {
      await env.DB.prepare('UPDATE api_keys SET created_at = ? WHERE id = ?')
        .bind(new Date(base + i * 1000).toISOString(), id)
        .run();
    }
    const first = expectOk(await tenant.as('GET', `${KEYS}?page_size=2`));
    expect(first.body.data.map((k: { id: string }) => k.id)).toEqual([c.id, b.id]);
    expect(first.body.pagination).toEqual(pagination(4, 1, 2));
    const second = expectOk(await tenant.as('GET', `${KEYS}?page_size=2&page=2`));
    expect(second.body.data.map((k: { id: string }) => k.id)).toEqual([a.id, tenant.apiKeyId]);
    for (const query of ['page=0', 'page_size=101', 'page=x', 'sort=name']) {
      const res = await tenant.as('GET', `${KEYS}?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
    }
  });

  it("members and viewers see only their own keys; admins and owners see the tenant's", async () => {
    const tenant = await createTenant();
    const admin = await addMember(tenant, 'admin');
    const member = await addMember(tenant, 'member');
    const other = await addMember(tenant, 'member');
    const viewer = await addMember(tenant, 'viewer');
    const mine = await createKey(member);
    const theirs = await createKey(other);
    const adminKey = await createKey(admin);

    expect(await listIds(member.accessToken)).toEqual([mine.id]);
    expect(await listIds(viewer.accessToken)).toEqual([]);
    const all = [adminKey.id, theirs.id, mine.id, tenant.apiKeyId].sort();
    expect((await listIds(admin.accessToken)).sort()).toEqual(all);
    expect((await listIds(tenant.accessToken)).sort()).toEqual(all);
    // A key lists what its creator may see.
    expect(await listIds(mine.key)).toEqual([mine.id]);
  });

  it("never shows another tenant's keys", async () => {
    const tenant = await createTenant();
    const stranger = await createTenant();
    expect(await listIds(stranger.accessToken)).toEqual([stranger.apiKeyId]);
    expect(await listIds(tenant.accessToken)).toEqual([tenant.apiKeyId]);
  });

  it('needs authentication and the api_keys:read scope', async () => {
    const tenant = await createTenant();
    expect((await call('GET', KEYS)).status).toBe(401);
    const narrow = await createKey(tenant, { scopes: ['profile:read'] });
    const res = await call('GET', KEYS, { token: narrow.key });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'INSUFFICIENT_SCOPE', details: { required_scope: 'api_keys:read' } });
  });
});

describe('API key authentication', () => {
  it('a per-key rate limit applies: the 4th quick request of a 3/minute key is 429', async () => {
    const tenant = await createTenant();
    const { key } = await createKey(tenant, { rate_limit_per_minute: 3 });
    for (let i = 0; i < 3; i += 1) {
      const res = await call('GET', KEYS, { token: key });
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-limit')).toBe('3');
      expect(res.headers.get('ratelimit-remaining')).toBe(String(2 - i));
    }
    const limited = await call('GET', KEYS, { token: key });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get('ratelimit-limit')).toBe('3');
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    expect(Number(limited.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(1);
    // The key's bucket is its own: the owner is not limited.
    expectOk(await tenant.as('GET', KEYS));
  });

  it('an expired key is refused', async () => {
    const tenant = await createTenant();
    const { id, key } = await createKey(tenant);
    expectOk(await call('GET', KEYS, { token: key }));
    await env.DB.prepare('UPDATE api_keys SET expires_at = ? WHERE id = ?')
      .bind(new Date(Date.now() - 1000).toISOString(), id)
      .run();
    // A change made straight in D1 reaches an isolate that verified the key within the cache bound.
    const res = await pastApiKeyCache(() => call('GET', KEYS, { token: key }));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('INVALID_TOKEN');
  });

  it('a key stops working when its creator leaves the organization', async () => {
    const tenant = await createTenant();
    const member = await addMember(tenant, 'member');
    const { key } = await createKey(member);
    expectOk(await call('GET', KEYS, { token: key }));
    await env.DB.prepare('DELETE FROM memberships WHERE org_id = ? AND user_id = ?')
      .bind(tenant.orgId, member.userId)
      .run();
    const res = await pastApiKeyCache(() => call('GET', KEYS, { token: key }));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('INVALID_TOKEN');
  });
});

describe('DELETE /api-keys/{id}', () => {
  it('revokes at once: the key is refused and no longer listed', async () => {
    const tenant = await createTenant();
    const { id, key } = await createKey(tenant);
    expectOk(await call('GET', KEYS, { token: key }));
    const res = await tenant.as('DELETE', `${KEYS}/${id}`);
    expect(res.status).toBe(204);
    expect(res.body).toBe('');
    const row = await env.DB.prepare('SELECT revoked_at FROM api_keys WHERE id = ?')
      .bind(id)
      .first<{ revoked_at: string }>();
    expect(row!.revoked_at).toEqual(expect.any(String));
    const refused = await call('GET', KEYS, { token: key });
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('INVALID_TOKEN');
    expect(await listIds(tenant.accessToken)).not.toContain(id);
    // Revoking twice: the key is gone.
    expect((await tenant.as('DELETE', `${KEYS}/${id}`)).status).toBe(404);
  });

  it("another tenant's key or an unknown id is 404, and the key keeps working", async () => {
    const tenant = await createTenant();
    const stranger = await createTenant();
    const res = await tenant.as('DELETE', `${KEYS}/${stranger.apiKeyId}`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    expectOk(await call('GET', KEYS, { token: stranger.apiKey }));
    expect((await tenant.as('DELETE', `${KEYS}/${UNKNOWN_ID}`)).status).toBe(404);
    const malformed = await tenant.as('DELETE', `${KEYS}/not-an-id`);
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('VALIDATION_ERROR');
  });

  it("a member revokes only their own keys; an admin revokes anyone's", async () => {
    const tenant = await createTenant();
    const admin = await addMember(tenant, 'admin');
    const member = await addMember(tenant, 'member');
    const other = await addMember(tenant, 'member');
    const theirs = await createKey(other);
    const mine = await createKey(member);

    const denied = await call('DELETE', `${KEYS}/${theirs.id}`, { token: member.accessToken });
    expect(denied.status).toBe(404);
    expectOk(await call('GET', KEYS, { token: theirs.key }));
    const ownerKey = await call('DELETE', `${KEYS}/${tenant.apiKeyId}`, { token: member.accessToken });
    expect(ownerKey.status).toBe(404);

    expect((await call('DELETE', `${KEYS}/${mine.id}`, { token: member.accessToken })).status).toBe(204);
    expect((await call('DELETE', `${KEYS}/${theirs.id}`, { token: admin.accessToken })).status).toBe(204);
    expect((await call('GET', KEYS, { token: theirs.key })).status).toBe(401);
  });

  it('needs a signed-in user with api_keys:write', async () => {
    const tenant = await createTenant();
    const viewer = await addMember(tenant, 'viewer');
    const path = `${KEYS}/${tenant.apiKeyId}`;
    expect((await call('DELETE', path)).status).toBe(401);
    const byViewer = await call('DELETE', path, { token: viewer.accessToken });
    expect(byViewer.status).toBe(403);
    expect(byViewer.body.error.code).toBe('INSUFFICIENT_SCOPE');
    // A key cannot revoke keys, not even itself.
    const byKey = await call('DELETE', path, { token: tenant.apiKey });
    expect(byKey.status).toBe(403);
    expect(byKey.body.error.code).toBe('FORBIDDEN');
    expectOk(await call('GET', KEYS, { token: tenant.apiKey }));
  });
});
