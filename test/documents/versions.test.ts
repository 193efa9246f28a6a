import { describe, expect, it } from 'vitest';
import { addMember, env, expectOk, type TestTenant } from '../helpers/harness';
import { deliver, readJob } from '../jobs/helpers';
import {
  call,
  countRows,
  createTenant,
  DOCUMENTS,
  docxParagraphs,
  download,
  downloadOk,
  expectError,
  generate,
  generateDone,
  pdfText,
  r2Keys,
  runToEnd,
  sentMessages,
} from './helpers';

const letter = (name: string) => ({
  title: 'Letter',
  format: 'docx',
  input_data: { name },
  content: { title: 'Hello {{name}}', sections: [{ blocks: [{ type: 'paragraph', text: 'Dear {{name}}.' }] }] },
});

const rerender = async (tenant: TestTenant, id: string, body: Record<string, unknown>) => {
  const res = expectOk(await tenant.as('PUT', `${DOCUMENTS}/${id}`, { body }), 202);
  return res.body.data;
};

describe('PUT /documents/{id} and versions', () => {
  it('renders a new version on new input_data; the old version stays downloadable with its old content', async () => {
    const tenant = await createTenant();
    const v1 = await generateDone(tenant, letter('Ada'));
    const started = await rerender(tenant, v1.id, { input_data: { name: 'Grace 東京' } });
    expect(started).toMatchObject({ status: 'processing', current_version: 1, input_data: { name: 'Grace 東京' } });
    expect(started.job_id).not.toBe(v1.job_id);
    // While the new version renders, the current one is still served.
    expect((await downloadOk(tenant.accessToken, v1.download_url)).headers.get('x-document-version')).toBe('1');
    expect(JSON.parse((await readJob(started.job_id)).input)).toEqual({ document_id: v1.id, version: 2 });

    const { doc: v2 } = await runToEnd(tenant, started);
    expect(v2).toMatchObject({ status: 'completed', current_version: 2 });

    const current = await downloadOk(tenant.accessToken, v2.download_url);
    expect(current.headers.get('x-document-version')).toBe('2');
    expect(await docxParagraphs(current.bytes)).toEqual(['Hello Grace 東京', 'Dear Grace 東京.']);
    const old = await downloadOk(tenant.accessToken, `${DOCUMENTS}/${v1.id}/download?version=1`);
    expect(old.headers.get('x-document-version')).toBe('1');
    expect(await docxParagraphs(old.bytes)).toEqual(['Hello Ada', 'Dear Ada.']);
    const explicit = await downloadOk(tenant.accessToken, `${DOCUMENTS}/${v1.id}/download?version=2`);
    expect(explicit.bytes).toEqual(current.bytes);

    const versions = expectOk(await tenant.as('GET', `${DOCUMENTS}/${v1.id}/versions`));
    expect(versions.body.data.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expect(versions.body.data[1]).toMatchObject({
      version: 1,
      file_size_bytes: old.bytes.byteLength,
      tokens_used: 0,
      model_used: null,
      download_url: `${DOCUMENTS}/${v1.id}/download?version=1`,
    });
    expect(versions.body.pagination).toMatchObject({ total: 2 });
    const page = expectOk(await tenant.as('GET', `${DOCUMENTS}/${v1.id}/versions?page_size=1&page=2`));
    expect(page.body.data.map((v: { version: number }) => v.version)).toEqual([1]);
    expect((await r2Keys(tenant.orgId, 'documents', v1.id)).sort()).toEqual([
      `tenants/${tenant.orgId}/documents/${v1.id}/v1.docx`,
      `tenants/${tenant.orgId}/documents/${v1.id}/v2.docx`,
    ]);
    // Each version row keeps what it was made from.
    const rows = await env.DB.prepare(
      'SELECT version, input_data, content FROM document_versions WHERE document_id = ? ORDER BY version',
    )
      .bind(v1.id)
      .all<{ version: number; input_data: string; content: string }>();
    expect(rows.results.map((r) => JSON.parse(r.input_data))).toEqual([{ name: 'Ada' }, { name: 'Grace 東京' }]);
    expect(JSON.parse(rows.results[1]!.content).title).toBe('Hello Grace 東京');
  });

  it('a new prompt re-asks the AI; new content replaces the prompt', async () => {
    const tenant = await createTenant();
    const first = await generateDone(tenant, { title: 'Memo', format: 'pdf', prompt: 'The office closes on Friday.' });
    const { doc: second } = await runToEnd(
      tenant,
      await rerender(tenant, first.id, { prompt: 'The office opens on Monday.' }),
    );
    expect(second).toMatchObject({ current_version: 2, prompt: 'The office opens on Monday.' });
    expect((await pdfText((await downloadOk(tenant.accessToken, second.download_url)).bytes)).text).toContain(
      'The office opens on Monday.',
    );
    const { doc: third } = await runToEnd(
      tenant,
      await rerender(tenant, first.id, { content: { title: 'Memo', sections: [{ heading: 'Closed for good' }] } }),
    );
    expect(third).toMatchObject({ current_version: 3, prompt: null, tokens_used: 0, model_used: null });
    const text = (await pdfText((await downloadOk(tenant.accessToken, third.download_url)).bytes)).text;
    expect(text).toContain('Closed for good');
    expect(text).not.toContain('Monday');
  });

  it('title and description alone change the row: 200, no new job or version', async () => {
    const tenant = await createTenant();
    const doc = await generateDone(tenant, letter('Ada'));
    const res = expectOk(
      await tenant.as('PUT', `${DOCUMENTS}/${doc.id}`, { body: { title: 'Renamed', description: 'Now with text' } }),
      200,
    );
    expect(res.body.data).toMatchObject({
      title: 'Renamed',
      description: 'Now with text',
      status: 'completed',
      current_version: 1,
      job_id: doc.job_id,
    });
    expect(await countRows('jobs', 'org_id', tenant.orgId)).toBe(1);
    const file = await downloadOk(tenant.accessToken, doc.download_url);
    expect(file.headers.get('content-disposition')).toContain('filename="Renamed.docx"');
  });

  it('refuses a change while a render is running (409) and invalid bodies (400)', async () => {
    const tenant = await createTenant();
    const doc = await generate(tenant, letter('Ada'));
    const busy = expectError(
      await tenant.as('PUT', `${DOCUMENTS}/${doc.id}`, { body: { input_data: { name: 'B' } } }),
      409,
      'CONFLICT',
    );
    expect(busy.body.error.details).toMatchObject({ job_id: doc.job_id });
    // Renaming is fine meanwhile.
    expectOk(await tenant.as('PUT', `${DOCUMENTS}/${doc.id}`, { body: { title: 'Still rendering' } }), 200);
    await runToEnd(tenant, doc);

    const put = (body: unknown) => tenant.as('PUT', `${DOCUMENTS}/${doc.id}`, { body });
    expectError(await put({}), 400, 'VALIDATION_ERROR');
    expectError(await put({ format: 'pdf' }), 400, 'VALIDATION_ERROR');
    expectError(await put({ input_data: [1, 2] }), 400, 'VALIDATION_ERROR');
    expectError(await put({ prompt: 'p', content: { title: 't', sections: [] } }), 400, 'VALIDATION_ERROR');
    expectError(await put({ prompt: 'x'.repeat(20_001) }), 413, 'PAYLOAD_TOO_LARGE');
    expectError(
      await tenant.as('PUT', `${DOCUMENTS}/${doc.id}`, {
        rawBody: '{',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'MALFORMED_JSON',
    );
    expect(await countRows('jobs', 'org_id', tenant.orgId)).toBe(1);
  });

  it('download: 409 before the first render, 404 for an unknown version, 400 for a bad one', async () => {
    const tenant = await createTenant();
    const doc = await generate(tenant, letter('Ada'));
    const early = await download(tenant.accessToken, `${DOCUMENTS}/${doc.id}/download`);
    expect(early.status).toBe(409);
    expect(early.body.error).toMatchObject({ code: 'CONFLICT', message: 'The document is not ready' });
    await runToEnd(tenant, doc);
    const missing = await download(tenant.accessToken, `${DOCUMENTS}/${doc.id}/download?version=2`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('NOT_FOUND');
    expect((await download(tenant.accessToken, `${DOCUMENTS}/${doc.id}/download?version=0`)).status).toBe(400);
    expect((await download(tenant.accessToken, `${DOCUMENTS}/${doc.id}/download?v=1`)).status).toBe(400);
  });
});

describe('DELETE /documents/{id}', () => {
  it('deletes the row, every version and every file under its prefix', async () => {
    const tenant = await createTenant();
    const doc = await generateDone(tenant, letter('Ada'));
    await runToEnd(tenant, await rerender(tenant, doc.id, { input_data: { name: 'Bob' } }));
    expect(await r2Keys(tenant.orgId, 'documents', doc.id)).toHaveLength(2);

    const res = await tenant.as('DELETE', `${DOCUMENTS}/${doc.id}`);
    expect(res.status).toBe(204);
    expect(await r2Keys(tenant.orgId, 'documents', doc.id)).toEqual([]);
    expect(await countRows('documents', 'id', doc.id)).toBe(0);
    expect(await countRows('document_versions', 'document_id', doc.id)).toBe(0);
    expectError(await tenant.as('GET', `${DOCUMENTS}/${doc.id}`), 404, 'NOT_FOUND');
    expect((await download(tenant.accessToken, `${DOCUMENTS}/${doc.id}/download?version=1`)).status).toBe(404);
    expectError(await tenant.as('DELETE', `${DOCUMENTS}/${doc.id}`), 404, 'NOT_FOUND');
  });

  it('cancels a generation that has not run yet; its message is then dropped', async () => {
    const tenant = await createTenant();
    const doc = await generate(tenant, letter('Ada'));
    expect((await tenant.as('DELETE', `${DOCUMENTS}/${doc.id}`)).status).toBe(204);
    expect(await readJob(doc.job_id)).toMatchObject({ status: 'cancelled', cancel_requested: 1 });
    const message = sentMessages.find((m) => m.job_id === doc.job_id)!;
    expect(await deliver(message)).toMatchObject({ acked: true, retried: false });
    expect(await readJob(doc.job_id)).toMatchObject({ status: 'cancelled', attempts: 0 });
    expect(await r2Keys(tenant.orgId, 'documents', doc.id)).toEqual([]);
    expect(await countRows('documents', 'id', doc.id)).toBe(0);
  });
});

describe('documents across tenants and roles', () => {
  it("another tenant's document is 404 on get, put, delete, download and versions", async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const doc = await generateDone(tenant, letter('Ada'));
    const paths: [string, string, unknown?][] = [
      ['GET', `${DOCUMENTS}/${doc.id}`],
      ['PUT', `${DOCUMENTS}/${doc.id}`, { title: 'Mine now' }],
      ['PUT', `${DOCUMENTS}/${doc.id}`, { input_data: { name: 'Eve' } }],
      ['DELETE', `${DOCUMENTS}/${doc.id}`],
      ['GET', `${DOCUMENTS}/${doc.id}/download`],
      ['GET', `${DOCUMENTS}/${doc.id}/download?version=1`],
      ['GET', `${DOCUMENTS}/${doc.id}/versions`],
    ];
    for (const [method, path, body] of paths) {
      for (const token of [other.accessToken, other.apiKey]) {
        const res = await call(method, path, { token, body });
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(res.body.error.code).toBe('NOT_FOUND');
      }
    }
    const still = expectOk(await tenant.as('GET', `${DOCUMENTS}/${doc.id}`)).body.data;
    expect(still).toMatchObject({ title: 'Letter', current_version: 1, job_id: doc.job_id });
    expect(await r2Keys(tenant.orgId, 'documents', doc.id)).toHaveLength(1);
  });

  it('viewers read and download but cannot change or delete; no token is 401', async () => {
    const tenant = await createTenant();
    const doc = await generateDone(tenant, letter('Ada'));
    const viewer = await addMember(tenant, 'viewer');
    const token = viewer.accessToken;
    expectOk(await call('GET', `${DOCUMENTS}/${doc.id}`, { token }));
    expectOk(await call('GET', `${DOCUMENTS}/${doc.id}/versions`, { token }));
    expect((await download(token, doc.download_url)).status).toBe(200);
    expectError(
      await call('PUT', `${DOCUMENTS}/${doc.id}`, { token, body: { title: 'x' } }),
      403,
      'INSUFFICIENT_SCOPE',
    );
    expectError(await call('DELETE', `${DOCUMENTS}/${doc.id}`, { token }), 403, 'INSUFFICIENT_SCOPE');
    for (const [method, path] of [
      ['GET', `${DOCUMENTS}/${doc.id}/versions`],
      ['GET', `${DOCUMENTS}/${doc.id}/download`],
      ['PUT', `${DOCUMENTS}/${doc.id}`],
      ['DELETE', `${DOCUMENTS}/${doc.id}`],
    ] as const) {
      expectError(
        await call(method, path, { body: method === 'PUT' ? { title: 'x' } : undefined }),
        401,
        'UNAUTHENTICATED',
      );
    }
    expect(expectOk(await tenant.as('GET', `${DOCUMENTS}/${doc.id}`)).body.data.title).toBe('Letter');
  });
});
