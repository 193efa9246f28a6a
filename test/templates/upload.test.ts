import { describe, expect, it } from 'vitest';
import { makeZip } from '../helpers/files';
import { addMember, call, createTenant, env, expectOk } from '../helpers/harness';
import { buildDocx, buildPdfForm, expectError, fileOf, storedFiles, TEMPLATES, uniqueName, upload } from './fixtures';

const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const PNG_BYTES = Uint8Array.from([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
  0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89,
]);

describe('POST /api/v1/templates/upload', () => {
  it('stores a DOCX under the tenant and derives its placeholders as variables', async () => {
    const tenant = await createTenant();
    const bytes = await buildDocx();
    const name = uniqueName('Letter');
    const res = expectOk(
      await upload(tenant.accessToken, {
        file: fileOf(bytes, '../Lettre d’été.docx', DOCX_TYPE),
        name,
        description: 'A letter',
      }),
      201,
    );
    const created = res.body.data;
    expect(created).toMatchObject({
      name,
      description: 'A letter',
      kind: 'docx_file',
      format: 'docx',
      body: null,
      prompt_template: null,
      is_public: false,
      owner: 'own',
      file: { name: 'Lettre_d_ete.docx', size_bytes: bytes.byteLength },
    });
    expect(created.variables.map((v: { name: string }) => v.name).sort()).toEqual(['client_name', 'due_date']);
    for (const variable of created.variables) expect(variable).toMatchObject({ type: 'string', required: true });

    const keys = await storedFiles(tenant, created.id);
    expect(keys).toEqual([`tenants/${tenant.orgId}/templates/${created.id}/Lettre_d_ete.docx`]);
    const object = await env.FILES.get(keys[0]!);
    expect(object?.httpMetadata?.contentType).toBe(DOCX_TYPE);
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(bytes);
    expect(JSON.stringify(created)).not.toContain('tenants/');

    expect(expectOk(await tenant.as('GET', `${TEMPLATES}/${created.id}`)).body.data).toEqual(created);
    const listed = expectOk(await tenant.as('GET', `${TEMPLATES}?kind=docx_file&q=${encodeURIComponent(name)}`));
    expect(listed.body.data.map((t: { id: string }) => t.id)).toEqual([created.id]);
  });

  it('keeps declared variables when they cover every placeholder, and refuses them when not', async () => {
    const tenant = await createTenant();
    const bytes = await buildDocx();
    const declared = [
      { name: 'client_name', type: 'string', description: 'Client' },
      { name: 'due_date', type: 'date' },
    ];
    const ok = expectOk(
      await upload(tenant.accessToken, {
        file: fileOf(bytes, 'letter.docx'),
        name: uniqueName(),
        variables: JSON.stringify(declared),
      }),
      201,
    );
    expect(ok.body.data.variables).toEqual([
      { name: 'client_name', type: 'string', description: 'Client', required: true },
      { name: 'due_date', type: 'date', required: true },
    ]);

    const partial = await upload(tenant.accessToken, {
      file: fileOf(bytes, 'letter.docx'),
      name: uniqueName(),
      variables: JSON.stringify(declared.slice(0, 1)),
    });
    expectError(partial, 400, 'VALIDATION_ERROR');
    expect(partial.body.error.details.fields.variables[0]).toContain('due_date');

    const notJson = await upload(tenant.accessToken, { file: fileOf(bytes, 'a.docx'), name: 'x', variables: '[{' });
    expectError(notJson, 400, 'VALIDATION_ERROR');
    expect(notJson.body.error.details.fields.variables).toEqual(['Must be a JSON array of variables']);
    const badName = await upload(tenant.accessToken, {
      file: fileOf(bytes, 'a.docx'),
      name: 'x',
      variables: JSON.stringify([{ name: 'bad name', type: 'string' }]),
    });
    expectError(badName, 400, 'VALIDATION_ERROR');
    expect(badName.body.error.details.fields).toHaveProperty(['variables.0.name']);
    expect(
      (
        await env.DB.prepare('SELECT COUNT(*) AS n FROM templates WHERE org_id = ?')
          .bind(tenant.orgId)
          .first<{ n: number }>()
      )?.n,
    ).toBe(1);
  });

  it('an upload with an Idempotency-Key stores the file intact and replays on retry', async () => {
    const tenant = await createTenant();
    const bytes = await buildDocx();
    const send = () =>
      upload(
        tenant.accessToken,
        { file: fileOf(bytes, 'letter.docx', DOCX_TYPE), name: 'Idempotent letter' },
        { 'idempotency-key': 'upload-once' },
      );
    const first = expectOk(await send(), 201);
    const keys = await storedFiles(tenant, first.body.data.id);
    const object = await env.FILES.get(keys[0]!);
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(bytes);
    const again = expectOk(await send(), 201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.data.id).toBe(first.body.data.id);
  });

  it('turns a fillable PDF into a pdf_form template with its fields as variables', async () => {
    const tenant = await createTenant();
    const bytes = await buildPdfForm();
    const res = expectOk(
      await upload(tenant.accessToken, { file: fileOf(bytes, 'form.bin'), name: uniqueName() }),
      201,
    );
    const created = res.body.data;
    expect(created).toMatchObject({
      kind: 'pdf_form',
      format: 'pdf',
      file: { name: 'form.pdf', size_bytes: bytes.byteLength },
    });
    const byField = Object.fromEntries(
      created.variables.map((v: { name: string; field?: string }) => [v.field ?? v.name, v]),
    );
    expect(byField['First name']).toMatchObject({
      name: 'First_name',
      field: 'First name',
      type: 'string',
      required: false,
    });
    expect(byField.agree).toMatchObject({ name: 'agree', type: 'boolean', required: false });
    expect(byField.agree.field).toBeUndefined();
    expect(byField.country).toMatchObject({ name: 'country', type: 'string', required: false });
    expect(await storedFiles(tenant, created.id)).toEqual([`tenants/${tenant.orgId}/templates/${created.id}/form.pdf`]);

    // Declared variables must name fields the PDF has.
    const wrong = await upload(tenant.accessToken, {
      file: fileOf(bytes, 'form.pdf'),
      name: uniqueName(),
      variables: JSON.stringify([{ name: 'last_name', type: 'string' }]),
    });
    expectError(wrong, 400, 'VALIDATION_ERROR');
    expect(wrong.body.error.details.fields['variables.0']).toEqual(['The PDF has no form field named "last_name"']);
  });

  it('refuses content that is not a DOCX or a fillable PDF with 415, whatever its name', async () => {
    const tenant = await createTenant();
    const png = await upload(tenant.accessToken, { file: fileOf(PNG_BYTES, 'photo.docx', DOCX_TYPE), name: 'x' });
    expectError(png, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(png.body.error.message).toContain('read from the content');

    const notDocx = await upload(tenant.accessToken, {
      file: fileOf(await makeZip({ 'hello.txt': 'not a document' }, { compression: 'STORE' }), 'fake.docx'),
      name: 'x',
    });
    expectError(notDocx, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(notDocx.body.error.message).toContain('word/document.xml');

    const flat = await upload(tenant.accessToken, { file: fileOf(await buildPdfForm(false), 'flat.pdf'), name: 'x' });
    expectError(flat, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(flat.body.error.message).toContain('no fillable form fields');

    const json = await tenant.as('POST', `${TEMPLATES}/upload`, { body: { name: 'x' } });
    expectError(json, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect((await env.FILES.list({ prefix: `tenants/${tenant.orgId}/` })).objects).toEqual([]);
  });

  it('refuses files over 10 MB with 413, before and after reading the body', async () => {
    const tenant = await createTenant();
    const justOver = new Uint8Array(10 * 1024 * 1024 + 1);
    justOver.set([0x25, 0x50, 0x44, 0x46, 0x2d]);
    const file = await upload(tenant.accessToken, { file: fileOf(justOver, 'big.pdf'), name: 'x' });
    expectError(file, 413, 'PAYLOAD_TOO_LARGE');
    expect(file.body.error.message).toBe('The file must be at most 10 MB');
    const body = await upload(tenant.accessToken, {
      file: fileOf(new Uint8Array(12 * 1024 * 1024), 'huge.pdf'),
      name: 'x',
    });
    expectError(body, 413, 'PAYLOAD_TOO_LARGE');
    // Other routes keep the global 1 MB limit.
    const json = await tenant.as('POST', TEMPLATES, {
      rawBody: 'x'.repeat(2 * 1024 * 1024),
      headers: { 'content-type': 'application/json' },
    });
    expectError(json, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('validates the form, needs auth and the write scope; members cannot publish', async () => {
    const tenant = await createTenant();
    const bytes = await buildDocx();
    const missing = await upload(tenant.accessToken, { name: 'no file' });
    expectError(missing, 400, 'VALIDATION_ERROR');
    expect(missing.body.error.details.fields).toHaveProperty('file');
    const notFile = await upload(tenant.accessToken, { file: 'text', name: 'x' });
    expect(notFile.body.error.details.fields.file).toEqual(['Expected a file']);
    const unknown = await upload(tenant.accessToken, { file: fileOf(bytes, 'a.docx'), name: 'x', format: 'pdf' });
    expectError(unknown, 400, 'VALIDATION_ERROR');
    const badFlag = await upload(tenant.accessToken, { file: fileOf(bytes, 'a.docx'), name: 'x', is_public: 'yes' });
    expect(badFlag.body.error.details.fields).toHaveProperty('is_public');

    expectError(await upload(undefined, { file: fileOf(bytes, 'a.docx'), name: 'x' }), 401, 'UNAUTHENTICATED');
    const viewer = await addMember(tenant, 'viewer');
    expectError(
      await upload(viewer.accessToken, { file: fileOf(bytes, 'a.docx'), name: 'x' }),
      403,
      'INSUFFICIENT_SCOPE',
    );
    const member = await addMember(tenant, 'member');
    const publish = await upload(member.accessToken, { file: fileOf(bytes, 'a.docx'), name: 'x', is_public: 'true' });
    expectError(publish, 403, 'FORBIDDEN');
    const shared = expectOk(
      await upload(tenant.apiKey, { file: fileOf(bytes, 'a.docx'), name: 'x', is_public: 'true' }),
      201,
    );
    expect(shared.body.data.is_public).toBe(true);
    expect((await env.FILES.list({ prefix: `tenants/${tenant.orgId}/` })).objects).toHaveLength(1);
  });
});

describe('file templates after upload', () => {
  it('checks new variables against the file on PUT and refuses a body', async () => {
    const tenant = await createTenant();
    const created = expectOk(
      await upload(tenant.accessToken, { file: fileOf(await buildDocx(), 'l.docx'), name: 'l' }),
      201,
    ).body.data;
    const path = `${TEMPLATES}/${created.id}`;
    const dropped = await tenant.as('PUT', path, { body: { variables: [{ name: 'client_name', type: 'string' }] } });
    expectError(dropped, 400, 'VALIDATION_ERROR');
    expect(dropped.body.error.details.fields.variables[0]).toContain('due_date');
    const body = await tenant.as('PUT', path, { body: { body: { title: 'x', sections: [] } } });
    expectError(body, 400, 'VALIDATION_ERROR');
    const retyped = expectOk(
      await tenant.as('PUT', path, {
        body: {
          variables: [
            { name: 'client_name', type: 'string' },
            { name: 'due_date', type: 'date', required: false },
          ],
        },
      }),
    );
    expect(retyped.body.data.variables[1]).toEqual({ name: 'due_date', type: 'date', required: false });
    expect(retyped.body.data.kind).toBe('docx_file');
  });

  it('DELETE removes the R2 object; another tenant cannot delete it', async () => {
    const a = await createTenant();
    const b = await createTenant();
    const created = expectOk(
      await upload(a.accessToken, { file: fileOf(await buildPdfForm(), 'f.pdf'), name: 'f', is_public: 'true' }),
      201,
    ).body.data;
    const [key] = await storedFiles(a, created.id);
    expect((await env.FILES.head(key!))?.key).toBe(key);

    // B sees the public file template (without its location) but cannot delete it.
    expect(expectOk(await b.as('GET', `${TEMPLATES}/${created.id}`)).body.data).toMatchObject({
      owner: 'public',
      kind: 'pdf_form',
    });
    expectError(await b.as('DELETE', `${TEMPLATES}/${created.id}`), 403, 'FORBIDDEN');
    expect((await env.FILES.head(key!))?.key).toBe(key);

    expect((await a.as('DELETE', `${TEMPLATES}/${created.id}`)).status).toBe(204);
    expect(await env.FILES.head(key!)).toBeNull();
    expectError(await a.as('GET', `${TEMPLATES}/${created.id}`), 404, 'NOT_FOUND');
    expectError(await call('GET', `${TEMPLATES}/${created.id}`, { token: b.accessToken }), 404, 'NOT_FOUND');
  });
});
