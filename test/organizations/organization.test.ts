import { describe, expect, it } from 'vitest';
import { addMember, call, createTenant, env, expectError, expectOk } from '../helpers/harness';

describe('GET /api/v1/organizations/current', () => {
  it("returns the caller's organization with its member count", async () => {
    const tenant = await createTenant();
    const first = expectOk(await tenant.as('GET', '/api/v1/organizations/current'));
    expect(first.body.data).toMatchObject({
      id: tenant.orgId,
      name: 'Acme Test',
      slug: tenant.organization.slug,
      plan: 'free',
      member_count: 1,
    });
    expect(first.body.data.slug).toMatch(/^[a-z0-9-]+$/);
    await addMember(tenant, 'viewer');
    const second = expectOk(await tenant.as('GET', '/api/v1/organizations/current'));
    expect(second.body.data.member_count).toBe(2);
  });

  it('works with an API key and for every role', async () => {
    const tenant = await createTenant();
    const byKey = expectOk(await call('GET', '/api/v1/organizations/current', { token: tenant.apiKey }));
    expect(byKey.body.data.id).toBe(tenant.orgId);
    const viewer = await addMember(tenant, 'viewer');
    const byViewer = expectOk(await call('GET', '/api/v1/organizations/current', { token: viewer.accessToken }));
    expect(byViewer.body.data.id).toBe(tenant.orgId);
  });

  it('needs authentication', async () => {
    expectError(await call('GET', '/api/v1/organizations/current'), 401, 'UNAUTHENTICATED');
    expectError(await call('GET', '/api/v1/organizations/current', { token: 'not-a-token' }), 401, 'INVALID_TOKEN');
  });

  it('two tenants each see only their own organization', async () => {
    const a = await createTenant();
    const b = await createTenant();
    expect(expectOk(await a.as('GET', '/api/v1/organizations/current')).body.data.id).toBe(a.orgId);
    expect(expectOk(await b.as('GET', '/api/v1/organizations/current')).body.data.id).toBe(b.orgId);
  });
});

describe('PUT /api/v1/organizations/current', () => {
  it('renames the organization and keeps the slug', async () => {
    const tenant = await createTenant();
    const res = expectOk(await tenant.as('PUT', '/api/v1/organizations/current', { body: { name: '  Renamed Inc ' } }));
    expect(res.body.data).toMatchObject({ id: tenant.orgId, name: 'Renamed Inc', slug: tenant.organization.slug });
    expect(Date.parse(res.body.data.updated_at)).toBeGreaterThanOrEqual(Date.parse(res.body.data.created_at));
    const row = await env.DB.prepare('SELECT name, slug FROM organizations WHERE id = ?').bind(tenant.orgId).first();
    expect(row).toEqual({ name: 'Renamed Inc', slug: tenant.organization.slug });
  });

  it('is allowed to admins and refused to members and viewers', async () => {
    const tenant = await createTenant();
    const admin = await addMember(tenant, 'admin');
    expectOk(
      await call('PUT', '/api/v1/organizations/current', { token: admin.accessToken, body: { name: 'By Admin' } }),
    );
    for (const role of ['member', 'viewer'] as const) {
      const user = await addMember(tenant, role);
      const res = await call('PUT', '/api/v1/organizations/current', { token: user.accessToken, body: { name: 'X' } });
      expectError(res, 403, 'INSUFFICIENT_SCOPE');
    }
    const row = await env.DB.prepare('SELECT name FROM organizations WHERE id = ?').bind(tenant.orgId).first();
    expect(row).toEqual({ name: 'By Admin' });
  });

  it('refuses unknown fields (the slug and plan cannot be set), empty bodies and bad names', async () => {
    const tenant = await createTenant();
    const put = (body: unknown) => tenant.as('PUT', '/api/v1/organizations/current', { body });
    const unknown = await put({ name: 'Ok', plan: 'enterprise', slug: 'mine' });
    expectError(unknown, 400, 'VALIDATION_ERROR');
    expect(JSON.stringify(unknown.body.error.details)).toContain('plan');
    expectError(await put({}), 400, 'VALIDATION_ERROR');
    expectError(await put({ name: '   ' }), 400, 'VALIDATION_ERROR');
    expectError(await put({ name: 'x'.repeat(101) }), 400, 'VALIDATION_ERROR');
    const wrongType = await put({ name: 42 });
    expectError(wrongType, 400, 'VALIDATION_ERROR');
    expect(Object.keys(wrongType.body.error.details.fields)).toContain('name');
    const malformed = await tenant.as('PUT', '/api/v1/organizations/current', {
      rawBody: '{"name": ',
      headers: { 'content-type': 'application/json' },
    });
    expectError(malformed, 400, 'MALFORMED_JSON');
    const row = await env.DB.prepare('SELECT name, plan FROM organizations WHERE id = ?').bind(tenant.orgId).first();
    expect(row).toEqual({ name: 'Acme Test', plan: 'free' });
  });

  it('needs authentication', async () => {
    expectError(await call('PUT', '/api/v1/organizations/current', { body: { name: 'X' } }), 401, 'UNAUTHENTICATED');
  });

  it("renaming one tenant leaves another tenant's organization alone", async () => {
    const a = await createTenant();
    const b = await createTenant();
    expectOk(await a.as('PUT', '/api/v1/organizations/current', { body: { name: 'Only A' } }));
    expect(expectOk(await b.as('GET', '/api/v1/organizations/current')).body.data.name).toBe('Acme Test');
  });
});
