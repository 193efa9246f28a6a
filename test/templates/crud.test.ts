import { describe, expect, it } from 'vitest';
import { addMember, call, createTenant, env, expectOk } from '../helpers/harness';
import { createModelTemplate, expectError, invoiceBody, invoiceVariables, TEMPLATES, uniqueName } from './fixtures';

const TEMPLATE_KEYS = [
  'body',
  'created_at',
  'description',
  'file',
  'format',
  'id',
  'is_public',
  'kind',
  'name',
  'owner',
  'prompt_template',
  'updated_at',
  'usage_count',
  'variables',
];

describe('POST /api/v1/templates', () => {
  it('creates a model template with defaults applied, readable through GET', async () => {
    const tenant = await createTenant();
    const name = uniqueName('Invoice');
    const res = expectOk(
      await tenant.as('POST', TEMPLATES, {
        body: {
          name,
          description: 'Monthly invoice',
          format: 'docx',
          variables: invoiceVariables(),
          body: invoiceBody(),
          prompt_template: 'Write a friendly note to {{client}}.',
        },
      }),
      201,
    );
    const created = res.body.data;
    expect(Object.keys(created).sort()).toEqual(TEMPLATE_KEYS);
    expect(created).toMatchObject({
      name,
      description: 'Monthly invoice',
      format: 'docx',
      kind: 'model',
      is_public: false,
      usage_count: 0,
      owner: 'own',
      file: null,
      prompt_template: 'Write a friendly note to {{client}}.',
    });
    expect(created.id).toMatch(/^tpl_[0-9a-f]{32}$/);
    expect(created.variables).toEqual([
      { name: 'client', type: 'string', required: true, description: 'Who pays' },
      { name: 'due_date', type: 'date', required: false },
      { name: 'item', type: 'string', required: true, default: 'Consulting' },
    ]);
    // The body is stored parsed: the model's defaults are filled in, placeholders kept.
    expect(created.body).toMatchObject({ title: 'Invoice for {{client}}', metadata: {} });
    expect(created.body.sections[0]).toMatchObject({ level: 1, heading: 'Summary' });

    const row = await env.DB.prepare('SELECT org_id, created_by, kind, variables FROM templates WHERE id = ?')
      .bind(created.id)
      .first<{ org_id: string; created_by: string; kind: string; variables: string }>();
    expect(row).toMatchObject({ org_id: tenant.orgId, created_by: tenant.userId, kind: 'model' });
    expect(JSON.parse(row!.variables)).toHaveLength(3);

    const got = expectOk(await tenant.as('GET', `${TEMPLATES}/${created.id}`));
    expect(got.body.data).toEqual(created);
  });

  it('accepts a prompt-only template and an API key with templates:write', async () => {
    const tenant = await createTenant();
    const res = expectOk(
      await call('POST', TEMPLATES, {
        token: tenant.apiKey,
        body: {
          name: uniqueName(),
          format: 'pptx',
          variables: [{ name: 'topic', type: 'string' }],
          prompt_template: 'A deck about {{topic}}',
        },
      }),
      201,
    );
    expect(res.body.data).toMatchObject({ body: null, format: 'pptx', prompt_template: 'A deck about {{topic}}' });
  });

  it('refuses bad variable names, duplicates, bad defaults, bad formats and unknown fields, naming each', async () => {
    const tenant = await createTenant();
    const post = (body: Record<string, unknown>) =>
      tenant.as('POST', TEMPLATES, { body: { name: uniqueName(), format: 'pdf', body: invoiceBody(), ...body } });

    const badName = await post({ variables: [{ name: '1st client', type: 'string' }] });
    expectError(badName, 400, 'VALIDATION_ERROR');
    expect(badName.body.error.details.fields).toHaveProperty(['variables.0.name']);

    const duplicate = await post({
      variables: [...invoiceVariables(), { name: 'client', type: 'number' }],
    });
    expectError(duplicate, 400, 'VALIDATION_ERROR');
    expect(duplicate.body.error.details.fields['variables.3.name']).toEqual(['Duplicate variable name "client"']);

    const badDefault = await post({
      variables: [...invoiceVariables().slice(0, 2), { name: 'item', type: 'integer', default: 'ten' }],
    });
    expectError(badDefault, 400, 'VALIDATION_ERROR');
    expect(badDefault.body.error.details.fields['variables.2.default']).toEqual([
      'Default does not fit integer: Expected an integer',
    ]);

    const badType = await post({ variables: [{ name: 'x', type: 'text' }] });
    expect(badType.body.error.details.fields).toHaveProperty(['variables.0.type']);

    const badFormat = await post({ variables: invoiceVariables(), format: 'odt' });
    expectError(badFormat, 400, 'VALIDATION_ERROR');
    expect(badFormat.body.error.details.fields).toHaveProperty(['format']);

    const unknown = await post({ variables: invoiceVariables(), org_id: 'org_x' });
    expectError(unknown, 400, 'VALIDATION_ERROR');
    expect(unknown.body.error.details.fields['(body)']).toEqual(['Unknown field(s): org_id']);

    const badModel = await post({
      variables: invoiceVariables(),
      body: { title: 'x', sections: [{ blocks: [{ type: 'video' }] }] },
    });
    expectError(badModel, 400, 'VALIDATION_ERROR');

    const wrongTypes = await tenant.as('POST', TEMPLATES, { body: { name: 42, format: 'pdf', variables: 'client' } });
    expect(Object.keys(wrongTypes.body.error.details.fields).sort()).toEqual(['name', 'variables']);

    const malformed = await tenant.as('POST', TEMPLATES, {
      rawBody: '{"name": ',
      headers: { 'content-type': 'application/json' },
    });
    expectError(malformed, 400, 'MALFORMED_JSON');

    const count = await env.DB.prepare('SELECT COUNT(*) AS n FROM templates WHERE org_id = ?')
      .bind(tenant.orgId)
      .first<{ n: number }>();
    expect(count?.n).toBe(0);
  });

  it('refuses placeholders the variables do not declare, naming them', async () => {
    const tenant = await createTenant();
    const inBody = await tenant.as('POST', TEMPLATES, {
      body: { name: uniqueName(), format: 'pdf', variables: [{ name: 'client', type: 'string' }], body: invoiceBody() },
    });
    expectError(inBody, 400, 'VALIDATION_ERROR');
    expect(inBody.body.error.details.fields.body[0]).toContain('due_date, item');

    const inPrompt = await tenant.as('POST', TEMPLATES, {
      body: { name: uniqueName(), format: 'pdf', variables: [], prompt_template: 'About {{ topic }}' },
    });
    expectError(inPrompt, 400, 'VALIDATION_ERROR');
    expect(inPrompt.body.error.details.fields.prompt_template[0]).toContain('topic');

    const neither = await tenant.as('POST', TEMPLATES, {
      body: { name: uniqueName(), format: 'pdf', variables: [] },
    });
    expectError(neither, 400, 'VALIDATION_ERROR');
    expect(neither.body.error.details.fields).toHaveProperty('body');
  });

  it('needs authentication and the templates:write scope', async () => {
    const tenant = await createTenant();
    const body = { name: uniqueName(), format: 'pdf', variables: invoiceVariables(), body: invoiceBody() };
    expectError(await call('POST', TEMPLATES, { body }), 401, 'UNAUTHENTICATED');
    const viewer = await addMember(tenant, 'viewer');
    const res = await call('POST', TEMPLATES, { token: viewer.accessToken, body });
    expectError(res, 403, 'INSUFFICIENT_SCOPE');
    expect(res.body.error.details).toEqual({ required_scope: 'templates:write' });
    // A read-only key of the owner cannot write either.
    const key = expectOk(
      await tenant.as('POST', '/api/v1/api-keys', { body: { name: 'ro', scopes: ['templates:read'] } }),
      201,
    );
    expectError(await call('POST', TEMPLATES, { token: key.body.data.key, body }), 403, 'INSUFFICIENT_SCOPE');
  });

  it('lets owners and admins publish, not members', async () => {
    const tenant = await createTenant();
    const member = await addMember(tenant, 'member');
    const admin = await addMember(tenant, 'admin');
    const refused = await call('POST', TEMPLATES, {
      token: member.accessToken,
      body: { name: uniqueName(), format: 'pdf', variables: invoiceVariables(), body: invoiceBody(), is_public: true },
    });
    expectError(refused, 403, 'FORBIDDEN');
    expect(refused.body.error.message).toBe('Only owners and admins can make a template public');
    const mine = await createModelTemplate(member.accessToken);
    expect(mine).toMatchObject({ is_public: false, owner: 'own' });
    const published = await createModelTemplate(admin.accessToken, { is_public: true });
    expect(published.is_public).toBe(true);
  });
});

describe('GET /api/v1/templates/{id}', () => {
  it('is 404 for an unknown id, 400 for a malformed one, 401 without auth', async () => {
    const tenant = await createTenant();
    expectError(await tenant.as('GET', `${TEMPLATES}/tpl_${'0'.repeat(32)}`), 404, 'NOT_FOUND');
    expectError(await tenant.as('GET', `${TEMPLATES}/nope`), 400, 'VALIDATION_ERROR');
    const created = await createModelTemplate(tenant.accessToken);
    expectError(await call('GET', `${TEMPLATES}/${created.id}`), 401, 'UNAUTHENTICATED');
    const viewer = await addMember(tenant, 'viewer');
    expectOk(await call('GET', `${TEMPLATES}/${created.id}`, { token: viewer.accessToken }));
  });
});

describe('GET /api/v1/templates', () => {
  it('pages newest first and filters by format, kind, visibility and name', async () => {
    const tenant = await createTenant();
    const tag = uniqueName('List');
    const a = await createModelTemplate(tenant.accessToken, { name: `${tag} alpha`, format: 'pdf' });
    const b = await createModelTemplate(tenant.accessToken, { name: `${tag} beta 100%`, format: 'docx' });
    const c = await createModelTemplate(tenant.accessToken, { name: `${tag} gamma`, format: 'docx', is_public: true });
    const q = encodeURIComponent(tag);

    const all = expectOk(await tenant.as('GET', `${TEMPLATES}?q=${q}`));
    expect(all.body.data.map((t: { id: string }) => t.id)).toEqual([c.id, b.id, a.id]);
    expect(all.body.pagination).toMatchObject({ total: 3, page: 1, page_size: 20, total_pages: 1 });

    const page2 = expectOk(await tenant.as('GET', `${TEMPLATES}?q=${q}&page=2&page_size=2`));
    expect(page2.body.data.map((t: { id: string }) => t.id)).toEqual([a.id]);
    expect(page2.body.pagination).toMatchObject({ total: 3, total_pages: 2, has_previous: true, has_next: false });

    const docx = expectOk(await tenant.as('GET', `${TEMPLATES}?q=${q}&format=docx`));
    expect(docx.body.data.map((t: { id: string }) => t.id)).toEqual([c.id, b.id]);
    const pub = expectOk(await tenant.as('GET', `${TEMPLATES}?q=${q}&visibility=public`));
    expect(pub.body.data.map((t: { id: string }) => t.id)).toEqual([c.id]);
    const own = expectOk(await tenant.as('GET', `${TEMPLATES}?visibility=own`));
    expect(own.body.pagination.total).toBe(3);
    const files = expectOk(await tenant.as('GET', `${TEMPLATES}?q=${q}&kind=pdf_form`));
    expect(files.body.data).toEqual([]);
    // LIKE wildcards in q are literal: "%" matches only a real percent sign.
    const percent = expectOk(await tenant.as('GET', `${TEMPLATES}?visibility=own&q=${encodeURIComponent('100%')}`));
    expect(percent.body.data.map((t: { id: string }) => t.id)).toEqual([b.id]);
    const underscore = expectOk(await tenant.as('GET', `${TEMPLATES}?visibility=own&q=_`));
    expect(underscore.body.data).toEqual([]);
  });

  it('refuses unknown filters and values; needs authentication', async () => {
    const tenant = await createTenant();
    expectError(await tenant.as('GET', `${TEMPLATES}?visibility=everyone`), 400, 'VALIDATION_ERROR');
    expectError(await tenant.as('GET', `${TEMPLATES}?format=odt`), 400, 'VALIDATION_ERROR');
    expectError(await tenant.as('GET', `${TEMPLATES}?owner=me`), 400, 'VALIDATION_ERROR');
    expectError(await tenant.as('GET', `${TEMPLATES}?page_size=101`), 400, 'VALIDATION_ERROR');
    expectError(await call('GET', TEMPLATES), 401, 'UNAUTHENTICATED');
  });
});

describe('PUT /api/v1/templates/{id}', () => {
  it('changes only the given fields and checks the merged template', async () => {
    const tenant = await createTenant();
    const created = await createModelTemplate(tenant.accessToken, { prompt_template: 'Note for {{client}}' });
    const res = expectOk(
      await tenant.as('PUT', `${TEMPLATES}/${created.id}`, {
        body: { name: 'Renamed', body: null, variables: [{ name: 'client', type: 'string' }] },
      }),
    );
    expect(res.body.data).toMatchObject({
      id: created.id,
      name: 'Renamed',
      body: null,
      prompt_template: 'Note for {{client}}',
      format: 'pdf',
      variables: [{ name: 'client', type: 'string', required: true }],
    });
    expect(res.body.data.updated_at >= created.updated_at).toBe(true);
    expect(expectOk(await tenant.as('GET', `${TEMPLATES}/${created.id}`)).body.data).toEqual(res.body.data);

    // Dropping the last content, or a variable still used, is refused and changes nothing.
    const empty = await tenant.as('PUT', `${TEMPLATES}/${created.id}`, { body: { prompt_template: null } });
    expectError(empty, 400, 'VALIDATION_ERROR');
    const uncovered = await tenant.as('PUT', `${TEMPLATES}/${created.id}`, { body: { variables: [] } });
    expectError(uncovered, 400, 'VALIDATION_ERROR');
    expect(uncovered.body.error.details.fields.prompt_template[0]).toContain('client');
    const body = await tenant.as('PUT', `${TEMPLATES}/${created.id}`, { body: { body: invoiceBody() } });
    expectError(body, 400, 'VALIDATION_ERROR');
    expect(body.body.error.details.fields.body[0]).toContain('due_date, item');
    expect(expectOk(await tenant.as('GET', `${TEMPLATES}/${created.id}`)).body.data).toEqual(res.body.data);
  });

  it('is strict, needs the write scope, and members cannot publish', async () => {
    const tenant = await createTenant();
    const created = await createModelTemplate(tenant.accessToken);
    const path = `${TEMPLATES}/${created.id}`;
    expectError(await tenant.as('PUT', path, { body: { format: 'docx' } }), 400, 'VALIDATION_ERROR');
    expectError(await tenant.as('PUT', path, { body: { usage_count: 99 } }), 400, 'VALIDATION_ERROR');
    expectError(await tenant.as('PUT', path, { body: { name: '' } }), 400, 'VALIDATION_ERROR');
    expectError(await call('PUT', path, { body: { name: 'x' } }), 401, 'UNAUTHENTICATED');
    const viewer = await addMember(tenant, 'viewer');
    expectError(await call('PUT', path, { token: viewer.accessToken, body: { name: 'x' } }), 403, 'INSUFFICIENT_SCOPE');
    const member = await addMember(tenant, 'member');
    expectError(await call('PUT', path, { token: member.accessToken, body: { is_public: true } }), 403, 'FORBIDDEN');
    const renamed = expectOk(await call('PUT', path, { token: member.accessToken, body: { name: 'By member' } }));
    expect(renamed.body.data).toMatchObject({ name: 'By member', is_public: false });
    expect(expectOk(await tenant.as('PUT', path, { body: { is_public: true } })).body.data.is_public).toBe(true);
  });
});

describe('DELETE /api/v1/templates/{id}', () => {
  it('deletes the template; a second delete is 404', async () => {
    const tenant = await createTenant();
    const created = await createModelTemplate(tenant.accessToken);
    const viewer = await addMember(tenant, 'viewer');
    expectError(
      await call('DELETE', `${TEMPLATES}/${created.id}`, { token: viewer.accessToken }),
      403,
      'INSUFFICIENT_SCOPE',
    );
    expectError(await call('DELETE', `${TEMPLATES}/${created.id}`), 401, 'UNAUTHENTICATED');
    const res = await tenant.as('DELETE', `${TEMPLATES}/${created.id}`);
    expect(res.status).toBe(204);
    expect(res.body).toBe('');
    expectError(await tenant.as('GET', `${TEMPLATES}/${created.id}`), 404, 'NOT_FOUND');
    expectError(await tenant.as('DELETE', `${TEMPLATES}/${created.id}`), 404, 'NOT_FOUND');
    const row = await env.DB.prepare('SELECT id FROM templates WHERE id = ?').bind(created.id).first();
    expect(row).toBeNull();
  });
});
