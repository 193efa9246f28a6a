import { describe, expect, it } from 'vitest';
import { call, createTenant, env, expectOk } from '../helpers/harness';
import { createModelTemplate, expectError, TEMPLATES, uniqueName } from './fixtures';

describe('templates across tenants', () => {
  it("shows another tenant's public template read-only and hides its private one", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const tag = uniqueName('Shared');
    const shared = await createModelTemplate(a.accessToken, { name: `${tag} public`, is_public: true });
    const secret = await createModelTemplate(a.accessToken, { name: `${tag} private` });
    const q = encodeURIComponent(tag);

    // B lists and reads the public one, marked as someone else's, with no trace of A's ids.
    const listed = expectOk(await b.as('GET', `${TEMPLATES}?q=${q}`));
    expect(listed.body.data.map((t: { id: string }) => t.id)).toEqual([shared.id]);
    expect(listed.body.data[0]).toMatchObject({ owner: 'public', is_public: true });
    const got = expectOk(await b.as('GET', `${TEMPLATES}/${shared.id}`));
    expect(got.body.data).toEqual({ ...shared, owner: 'public' });
    expect(JSON.stringify(got.body)).not.toContain(a.orgId);
    expect(JSON.stringify(got.body)).not.toContain(a.userId);
    expect(expectOk(await b.as('GET', `${TEMPLATES}?q=${q}&visibility=own`)).body.data).toEqual([]);
    expect(expectOk(await b.as('GET', `${TEMPLATES}?q=${q}&visibility=public`)).body.data).toHaveLength(1);
    // A's own listing marks both as its own.
    const mine = expectOk(await a.as('GET', `${TEMPLATES}?q=${q}`));
    expect(mine.body.data.map((t: { owner: string }) => t.owner)).toEqual(['own', 'own']);

    // B may not change or delete the public one (visible, so 403) ...
    const put = await b.as('PUT', `${TEMPLATES}/${shared.id}`, { body: { name: 'Hijacked' } });
    expectError(put, 403, 'FORBIDDEN');
    expect(put.body.error.message).toBe('Public templates can only be changed by the organization that owns them');
    expectError(await b.as('DELETE', `${TEMPLATES}/${shared.id}`), 403, 'FORBIDDEN');
    expectError(await call('DELETE', `${TEMPLATES}/${shared.id}`, { token: b.apiKey }), 403, 'FORBIDDEN');

    // ... and A's private one does not exist for B at all.
    expectError(await b.as('GET', `${TEMPLATES}/${secret.id}`), 404, 'NOT_FOUND');
    expectError(await b.as('PUT', `${TEMPLATES}/${secret.id}`, { body: { name: 'x' } }), 404, 'NOT_FOUND');
    expectError(await b.as('DELETE', `${TEMPLATES}/${secret.id}`), 404, 'NOT_FOUND');

    const rows = await env.DB.prepare('SELECT name FROM templates WHERE id IN (?, ?) ORDER BY name')
      .bind(shared.id, secret.id)
      .all<{ name: string }>();
    expect(rows.results.map((r) => r.name)).toEqual([`${tag} private`, `${tag} public`]);
  });

  it('a template made private again disappears for other tenants', async () => {
    const a = await createTenant();
    const b = await createTenant();
    const shared = await createModelTemplate(a.accessToken, { is_public: true });
    expectOk(await b.as('GET', `${TEMPLATES}/${shared.id}`));
    expectOk(await a.as('PUT', `${TEMPLATES}/${shared.id}`, { body: { is_public: false } }));
    expectError(await b.as('GET', `${TEMPLATES}/${shared.id}`), 404, 'NOT_FOUND');
  });
});
