import { describe, expect, it } from 'vitest';
import { addMember, call, createTenant, env, expectOk } from '../helpers/harness';
import {
  buildDocx,
  createModelTemplate,
  expectError,
  fileOf,
  storedFiles,
  TEMPLATES,
  uniqueName,
  upload,
} from './fixtures';

const CHANGE_REFUSED =
  'Only owners and admins can change a public template: every organization sees it. Copy it to make a private version';
const DELETE_REFUSED = 'Only owners and admins can delete a public template: every organization sees it';

const keyOf = async (token: string, scopes: string[]) =>
  expectOk(await call('POST', '/api/v1/api-keys', { token, body: { name: 'script', scopes } }), 201).body.data
    .key as string;

const copy = (token: string, id: string, body?: Record<string, unknown>) =>
  call('POST', `${TEMPLATES}/${id}/copy`, body === undefined ? { token } : { token, body });

describe('public templates: changing one is publishing', () => {
  it('a member (or their API key) cannot change, unpublish or delete a public template; admins can', async () => {
    const tenant = await createTenant();
    const member = await addMember(tenant, 'member');
    const admin = await addMember(tenant, 'admin');
    const shared = await createModelTemplate(tenant.accessToken, { is_public: true });
    const path = `${TEMPLATES}/${shared.id}`;
    const memberKey = await keyOf(member.accessToken, ['templates:read', 'templates:write']);

    for (const token of [member.accessToken, memberKey]) {
      const renamed = await call('PUT', path, { token, body: { name: 'Changed for everyone' } });
      expectError(renamed, 403, 'FORBIDDEN');
      expect(renamed.body.error.message).toBe(CHANGE_REFUSED);
      expectError(await call('PUT', path, { token, body: { is_public: false } }), 403, 'FORBIDDEN');
      const deleted = await call('DELETE', path, { token });
      expectError(deleted, 403, 'FORBIDDEN');
      expect(deleted.body.error.message).toBe(DELETE_REFUSED);
    }
    expect(expectOk(await tenant.as('GET', path)).body.data).toEqual(shared);

    // A member still edits and deletes the organization's private templates.
    const own = await createModelTemplate(member.accessToken);
    expect(
      expectOk(await call('PUT', `${TEMPLATES}/${own.id}`, { token: memberKey, body: { name: 'Mine' } })).body.data,
    ).toMatchObject({ name: 'Mine', is_public: false });
    expect((await call('DELETE', `${TEMPLATES}/${own.id}`, { token: member.accessToken })).status).toBe(204);

    // Admins change it, unpublish it and delete it.
    const changed = expectOk(await call('PUT', path, { token: admin.accessToken, body: { name: 'Edited by admin' } }));
    expect(changed.body.data).toMatchObject({ name: 'Edited by admin', is_public: true });
    expect(
      expectOk(await call('PUT', path, { token: admin.accessToken, body: { is_public: false } })).body.data.is_public,
    ).toBe(false);
    // Private again, the member may edit it like any private template.
    expectOk(await call('PUT', path, { token: member.accessToken, body: { description: 'Now private' } }));
    expectOk(await tenant.as('PUT', path, { body: { is_public: true } }));
    expect((await call('DELETE', path, { token: admin.accessToken })).status).toBe(204);
    expectError(await tenant.as('GET', path), 404, 'NOT_FOUND');
  });
});

describe('POST /api/v1/templates/{id}/copy', () => {
  it("copies another organization's public template into a private one it can change; the original stays", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const name = uniqueName('Shared invoice');
    const shared = await createModelTemplate(a.accessToken, {
      name,
      is_public: true,
      prompt_template: 'Thank {{client}}.',
    });
    // Any writer of B may copy: a member here, with no body at all.
    const member = await addMember(b, 'member');
    const res = expectOk(await copy(member.accessToken, shared.id), 201);
    const copied = res.body.data;
    expect(copied.id).not.toBe(shared.id);
    expect(copied.id).toMatch(/^tpl_[0-9a-f]{32}$/);
    expect(copied).toMatchObject({
      name: `${name} (copy)`,
      description: shared.description,
      format: shared.format,
      kind: 'model',
      variables: shared.variables,
      body: shared.body,
      prompt_template: 'Thank {{client}}.',
      is_public: false,
      usage_count: 0,
      owner: 'own',
      file: null,
    });
    expect(expectOk(await b.as('GET', `${TEMPLATES}/${copied.id}`)).body.data).toEqual(copied);
    const row = await env.DB.prepare('SELECT org_id, created_by FROM templates WHERE id = ?')
      .bind(copied.id)
      .first<{ org_id: string; created_by: string }>();
    expect(row).toEqual({ org_id: b.orgId, created_by: member.userId });

    // The copy is B's to change; the original is not, and stays as it was.
    const edited = expectOk(
      await call('PUT', `${TEMPLATES}/${copied.id}`, { token: member.accessToken, body: { name: 'Our invoice' } }),
    );
    expect(edited.body.data.name).toBe('Our invoice');
    expectError(await b.as('PUT', `${TEMPLATES}/${shared.id}`, { body: { name: 'x' } }), 403, 'FORBIDDEN');
    expect(expectOk(await a.as('GET', `${TEMPLATES}/${shared.id}`)).body.data).toEqual(shared);
    // A's organization never sees B's private copy.
    expectError(await a.as('GET', `${TEMPLATES}/${copied.id}`), 404, 'NOT_FOUND');

    // A name may be given; a tenant may also copy its own templates.
    const named = expectOk(await copy(b.accessToken, shared.id, { name: 'Invoice, our way' }), 201).body.data;
    expect(named).toMatchObject({ name: 'Invoice, our way', is_public: false, owner: 'own' });
    const again = expectOk(await copy(b.accessToken, copied.id), 201).body.data;
    expect(again.name).toBe('Our invoice (copy)');
  });

  it('copies a file template with its file, under the new organization; deleting the copy keeps the original', async () => {
    const a = await createTenant();
    const b = await createTenant();
    const bytes = await buildDocx();
    const shared = expectOk(
      await upload(a.accessToken, { file: fileOf(bytes, 'letter.docx'), name: uniqueName(), is_public: 'true' }),
      201,
    ).body.data;
    const copied = expectOk(await copy(b.apiKey, shared.id, { name: 'Our letter' }), 201).body.data;
    expect(copied).toMatchObject({
      name: 'Our letter',
      kind: 'docx_file',
      format: 'docx',
      variables: shared.variables,
      file: shared.file,
      is_public: false,
      owner: 'own',
    });
    const keys = await storedFiles(b, copied.id);
    expect(keys).toEqual([`tenants/${b.orgId}/templates/${copied.id}/letter.docx`]);
    const object = await env.FILES.get(keys[0]!);
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(bytes);
    expect(object!.httpMetadata?.contentType).toBe(
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    );

    expect((await b.as('DELETE', `${TEMPLATES}/${copied.id}`)).status).toBe(204);
    expect(await storedFiles(b, copied.id)).toEqual([]);
    expect(await storedFiles(a, shared.id)).toEqual([`tenants/${a.orgId}/templates/${shared.id}/letter.docx`]);
  });

  it("is 404 for another organization's private template, needs auth and the write scope, and is strict", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const secret = await createModelTemplate(a.accessToken);
    expectError(await copy(b.accessToken, secret.id), 404, 'NOT_FOUND');
    expectError(await copy(b.accessToken, `tpl_${'0'.repeat(32)}`), 404, 'NOT_FOUND');
    expectError(await copy(b.accessToken, 'nope'), 400, 'VALIDATION_ERROR');

    const shared = await createModelTemplate(a.accessToken, { is_public: true });
    expectError(await call('POST', `${TEMPLATES}/${shared.id}/copy`), 401, 'UNAUTHENTICATED');
    const viewer = await addMember(b, 'viewer');
    expectError(await copy(viewer.accessToken, shared.id), 403, 'INSUFFICIENT_SCOPE');
    expectError(await copy(await keyOf(b.accessToken, ['templates:read']), shared.id), 403, 'INSUFFICIENT_SCOPE');
    const unknown = await copy(b.accessToken, shared.id, { name: 'x', is_public: true });
    expectError(unknown, 400, 'VALIDATION_ERROR');
    expectError(await copy(b.accessToken, shared.id, { name: '' }), 400, 'VALIDATION_ERROR');
    const count = await env.DB.prepare('SELECT count(*) AS n FROM templates WHERE org_id = ?')
      .bind(b.orgId)
      .first<{ n: number }>();
    expect(count?.n).toBe(0);
  });

  it('is in the OpenAPI document', async () => {
    const doc = expectOk(await call('GET', '/openapi.json')).body as { paths: Record<string, any> };
    const operation = doc.paths['/api/v1/templates/{id}/copy']?.post;
    expect(operation?.operationId).toBe('copyTemplate');
    expect(operation?.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '404']));
    expect(operation.requestBody.required).toBe(false);
  });
});
