import { describe, expect, it } from 'vitest';
import { addMember, env, expectOk } from '../helpers/harness';
import { openFeed, readJob } from '../jobs/helpers';
import {
  call,
  countRows,
  createTenant,
  DOCUMENTS,
  DOCX_TYPE,
  docxParagraphs,
  download,
  downloadOk,
  expectError,
  generate,
  generateDone,
  loadWorkbook,
  pdfText,
  r2Keys,
  runToEnd,
  sentMessages,
  XLSX_TYPE,
} from './helpers';

const PROMPT =
  'Our Crème brûlée sold well in 東京 this quarter 🚀. Sales grew by 12 percent over the summer. ' +
  'We will open a second shop in the spring.';

describe('POST /documents/generate', () => {
  it('answers 202 with the pending document and its job, then renders a PDF a reader can read', async () => {
    const tenant = await createTenant();
    const res = expectOk(
      await tenant.as('POST', `${DOCUMENTS}/generate`, {
        body: { title: 'Dessert report', description: 'For the board', format: 'pdf', prompt: PROMPT },
      }),
      202,
    );
    const created = res.body.data;
    expect(created).toMatchObject({
      title: 'Dessert report',
      description: 'For the board',
      format: 'pdf',
      status: 'pending',
      template_id: null,
      prompt: PROMPT,
      input_data: {},
      current_version: 0,
      file_size_bytes: 0,
      content_type: null,
      tokens_used: 0,
      error_code: null,
      download_url: null,
    });
    expect(created.id).toMatch(/^doc_[0-9a-f]{32}$/);
    expect(created.job_id).toMatch(/^job_[0-9a-f]{32}$/);
    const job = await readJob(created.job_id);
    expect(job).toMatchObject({ type: 'document.generate', resource_type: 'document', resource_id: created.id });
    expect(JSON.parse(job.input)).toEqual({
      document_id: created.id,
      version: 1,
      reservation_id: expect.stringMatching(/^rsv_[0-9a-f]{32}$/),
    });

    const feed = await openFeed({ authorization: `Bearer ${tenant.accessToken}` });
    const { doc, job: ended } = await runToEnd(tenant, created);
    expect(ended).toMatchObject({ status: 'done', progress: 100, attempts: 1 });
    // Progress reached the tenant's job feed: loaded, writing, generated, rendered, stored, done.
    await feed.waitFor(() => feed.events().some((e) => e.job_id === created.job_id && e.status === 'done'));
    const events = feed.events().filter((e) => e.job_id === created.job_id);
    expect(events.filter((e) => e.type === 'job.progress').map((e) => e.progress)).toEqual([10, 15, 40, 80, 90]);
    expect(events.at(-1)).toMatchObject({
      type: 'job.status',
      status: 'done',
      resource_type: 'document',
      resource_id: created.id,
    });
    feed.ws.close();
    expect(JSON.parse(ended.result)).toMatchObject({ document_id: created.id, version: 1 });
    expect(doc).toMatchObject({
      status: 'completed',
      current_version: 1,
      content_type: 'application/pdf',
      model_used: 'local-extractive-v1',
      error_code: null,
      error_message: null,
      download_url: `${DOCUMENTS}/${created.id}/download`,
    });
    expect(doc.tokens_used).toBe(1057);
    expect(doc.file_size_bytes).toBeGreaterThan(1000);
    expect(doc.generation_time_ms).toBeGreaterThanOrEqual(0);

    const file = await downloadOk(tenant.accessToken, doc.download_url);
    expect(file.headers.get('content-type')).toBe('application/pdf');
    expect(file.headers.get('content-disposition')).toBe(
      `attachment; filename="Dessert report.pdf"; filename*=UTF-8''Dessert%20report.pdf`,
    );
    expect(file.headers.get('content-length')).toBe(String(file.bytes.byteLength));
    expect(file.bytes.byteLength).toBe(doc.file_size_bytes);
    expect(file.headers.get('etag')).toMatch(/^"[0-9a-f]+"$/);
    expect(file.headers.get('x-document-version')).toBe('1');
    expect(new TextDecoder().decode(file.bytes.slice(0, 5))).toBe('%PDF-');

    const { text } = await pdfText(file.bytes);
    expect(text).toContain('Dessert report');
    expect(text).toContain('Overview');
    expect(text).toContain('Sales grew by 12 percent over the summer.');
    expect(text).toContain('Crème brûlée');
    expect(text).toContain('東京');
    expect(text).toContain('🚀');

    // The file lives under the tenant's prefix, one object for version 1.
    expect(await r2Keys(tenant.orgId, 'documents', created.id)).toEqual([
      `tenants/${tenant.orgId}/documents/${created.id}/v1.pdf`,
    ]);
    // A conditional request with the ETag is answered without the body.
    const again = await download(tenant.accessToken, doc.download_url, {
      'if-none-match': file.headers.get('etag')!,
    });
    expect(again.status).toBe(304);
    expect(again.bytes.byteLength).toBe(0);
  });

  it('renders given content as DOCX without AI, filling {{variables}} from input_data', async () => {
    const tenant = await createTenant();
    const doc = await generateDone(tenant, {
      title: 'Welcome letter',
      format: 'docx',
      input_data: { name: 'Zoë', city: '東京' },
      content: {
        title: 'Welcome, {{name}}',
        subtitle: 'Onboarding pack',
        sections: [
          {
            heading: 'Your first week',
            blocks: [
              { type: 'paragraph', text: 'Dear {{name}}, we are glad to see you in our {{city}} office.' },
              { type: 'bullets', items: ['Meet the team', 'Set up your laptop 💻'] },
            ],
          },
        ],
      },
    });
    expect(doc).toMatchObject({ content_type: DOCX_TYPE, tokens_used: 0, model_used: null, prompt: null });
    const file = await downloadOk(tenant.apiKey, doc.download_url);
    expect(file.headers.get('content-type')).toBe(DOCX_TYPE);
    expect(file.headers.get('content-disposition')).toContain('filename="Welcome letter.docx"');
    const paragraphs = await docxParagraphs(file.bytes);
    expect(paragraphs).toEqual(
      expect.arrayContaining([
        'Welcome, Zoë',
        'Onboarding pack',
        'Your first week',
        'Dear Zoë, we are glad to see you in our 東京 office.',
        'Meet the team',
        'Set up your laptop 💻',
      ]),
    );
  });

  it('renders XLSX: each table of the content becomes a sheet with typed cells', async () => {
    const tenant = await createTenant();
    const doc = await generateDone(tenant, {
      title: 'Orders',
      format: 'xlsx',
      content: {
        title: 'Orders Q3',
        sections: [
          {
            heading: 'Orders',
            blocks: [
              {
                type: 'table',
                sheet_name: 'Orders',
                columns: ['Customer', 'City', 'Amount', 'Paid'],
                rows: [
                  ['Ada', 'Zürich', 120.5, true],
                  ['Hiroshi', '東京', 80, false],
                ],
              },
            ],
          },
        ],
      },
    });
    const file = await downloadOk(tenant.accessToken, doc.download_url);
    expect(file.headers.get('content-type')).toBe(XLSX_TYPE);
    const workbook = await loadWorkbook(file.bytes);
    const names = workbook.worksheets.map((sheet: { name: string }) => sheet.name);
    expect(names).toContain('Orders');
    const sheet = workbook.getWorksheet('Orders');
    expect(sheet.getRow(1).values.slice(1)).toEqual(['Customer', 'City', 'Amount', 'Paid']);
    expect(sheet.getRow(2).values.slice(1)).toEqual(['Ada', 'Zürich', 120.5, true]);
    expect(sheet.getRow(3).values.slice(1)).toEqual(['Hiroshi', '東京', 80, false]);
  });

  it('renders a table filled past 1 MB of text, which the version row does not keep', async () => {
    const tenant = await createTenant();
    const note = `Zürich 東京 ${'n'.repeat(240)}`;
    const rows = Array.from({ length: 5_000 }, (_, i) => [i + 1, '{{note}}', i % 2 === 0]);
    const doc = await generateDone(tenant, {
      title: 'Notes',
      format: 'xlsx',
      input_data: { note },
      content: {
        title: 'Notes',
        sections: [{ blocks: [{ type: 'table', sheet_name: 'Notes', columns: ['N', 'Note', 'Even'], rows }] }],
      },
    });
    const sheet = (await loadWorkbook((await downloadOk(tenant.accessToken, doc.download_url)).bytes)).getWorksheet(
      'Notes',
    );
    expect(sheet.rowCount).toBe(5_001);
    expect(sheet.getRow(2).values.slice(1)).toEqual([1, note, true]);
    expect(sheet.getRow(5_001).values.slice(1)).toEqual([5_000, note, false]);
    // 5,000 × 252 characters once filled: more than the 1 MB a version row keeps of its content.
    const version = await env.DB.prepare('SELECT content FROM document_versions WHERE document_id = ?')
      .bind(doc.id)
      .first<{ content: string | null }>();
    expect(version).toEqual({ content: null });
  });

  it('writes an XLSX from a prompt with a table the offline provider drafts', async () => {
    const tenant = await createTenant();
    const doc = await generateDone(tenant, {
      title: 'Plan',
      format: 'xlsx',
      prompt: 'Hire two engineers. Open the Lisbon office. Ship version two.',
      input_data: { budget: 120000 },
    });
    const workbook = await loadWorkbook((await downloadOk(tenant.accessToken, doc.download_url)).bytes);
    const points = workbook.getWorksheet('Key points');
    expect(points.getRow(2).values.slice(1)).toEqual([1, 'Hire two engineers.']);
    expect(points.getRow(4).values.slice(1)).toEqual([3, 'Ship version two.']);
    expect(workbook.getWorksheet('Input data').getRow(2).values.slice(1)).toEqual(['budget', '120000']);
  });

  it('refuses unsupported formats, naming the allowed ones (pptx points to /presentations)', async () => {
    const tenant = await createTenant();
    const pptx = expectError(
      await tenant.as('POST', `${DOCUMENTS}/generate`, { body: { title: 'x', format: 'pptx', prompt: 'p' } }),
      400,
      'VALIDATION_ERROR',
    );
    expect(pptx.body.error.details.fields.format[0]).toContain('/presentations/generate');
    const odt = expectError(
      await tenant.as('POST', `${DOCUMENTS}/generate`, { body: { title: 'x', format: 'odt', prompt: 'p' } }),
      400,
      'VALIDATION_ERROR',
    );
    expect(odt.body.error.details.fields.format[0]).toBe('Unsupported format: use one of docx, pdf, xlsx');
    expect(await countRows('documents', 'org_id', tenant.orgId)).toBe(0);
  });

  it('validates the body: source, types, unknown fields, malformed JSON', async () => {
    const tenant = await createTenant();
    const post = (body: unknown) => tenant.as('POST', `${DOCUMENTS}/generate`, { body });
    const none = expectError(await post({ title: 'x', format: 'pdf' }), 400, 'VALIDATION_ERROR');
    expect(none.body.error.details.fields.prompt[0]).toBe('Give a prompt, a template_id or content (a document model)');
    const both = expectError(
      await post({ title: 'x', format: 'pdf', prompt: 'p', content: { title: 't', sections: [] } }),
      400,
      'VALIDATION_ERROR',
    );
    expect(both.body.error.details.fields.content).toEqual(['content cannot be combined with prompt or template_id']);
    const types = expectError(
      await post({ title: 42, format: 'pdf', prompt: ['a'], input_data: 'x' }),
      400,
      'VALIDATION_ERROR',
    );
    expect(Object.keys(types.body.error.details.fields).sort()).toEqual(['input_data', 'prompt', 'title']);
    const unknown = expectError(
      await post({ title: 'x', format: 'pdf', prompt: 'p', owner: 'me' }),
      400,
      'VALIDATION_ERROR',
    );
    expect(unknown.body.error.details.fields['(body)'][0]).toContain('owner');
    expectError(await post({ title: '', format: 'pdf', prompt: 'p' }), 400, 'VALIDATION_ERROR');
    expectError(await post({ title: 'x'.repeat(256), format: 'pdf', prompt: 'p' }), 400, 'VALIDATION_ERROR');
    const badContent = expectError(
      await post({ title: 'x', format: 'pdf', content: { title: 't', sections: [{ blocks: [{ type: 'video' }] }] } }),
      400,
      'VALIDATION_ERROR',
    );
    expect(Object.keys(badContent.body.error.details.fields)[0]).toMatch(/^content\.sections\.0\.blocks\.0/);
    expectError(await post({ title: 'x', format: 'pdf', template_id: 'tpl_nope' }), 400, 'VALIDATION_ERROR');
    expectError(
      await tenant.as('POST', `${DOCUMENTS}/generate`, {
        rawBody: '{"title": "x",',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'MALFORMED_JSON',
    );
    expect(await countRows('documents', 'org_id', tenant.orgId)).toBe(0);
  });

  it('refuses an oversized prompt or input_data with 413 and writes nothing', async () => {
    const tenant = await createTenant();
    const long = expectError(
      await tenant.as('POST', `${DOCUMENTS}/generate`, {
        body: { title: 'x', format: 'pdf', prompt: 'a'.repeat(20_001) },
      }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    expect(long.body.error.details).toEqual({ limit: 20_000, actual: 20_001, field: 'prompt' });
    // Exactly at the limit is fine.
    expectOk(
      await tenant.as('POST', `${DOCUMENTS}/generate`, {
        body: { title: 'x', format: 'pdf', prompt: 'word '.repeat(4_000) },
      }),
      202,
    );
    const data = expectError(
      await tenant.as('POST', `${DOCUMENTS}/generate`, {
        body: { title: 'x', format: 'pdf', prompt: 'p', input_data: { blob: 'x'.repeat(70_000) } },
      }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    // {"blob":"…"}: 9 + 70,000 + 2 bytes.
    expect(data.body.error.details).toEqual({ limit: 65_536, actual: 70_011 });
    expect(await countRows('documents', 'org_id', tenant.orgId)).toBe(1);
    expect(await countRows('jobs', 'org_id', tenant.orgId)).toBe(1);
  });

  it('needs authentication and documents:write (viewers and read-only keys cannot generate)', async () => {
    const tenant = await createTenant();
    const body = { title: 'x', format: 'pdf', prompt: 'p' };
    expectError(await call('POST', `${DOCUMENTS}/generate`, { body }), 401, 'UNAUTHENTICATED');
    const viewer = await addMember(tenant, 'viewer');
    expectError(
      await call('POST', `${DOCUMENTS}/generate`, { token: viewer.accessToken, body }),
      403,
      'INSUFFICIENT_SCOPE',
    );
    const readKey = expectOk(
      await tenant.as('POST', '/api/v1/api-keys', { body: { name: 'reader', scopes: ['documents:read'] } }),
      201,
    ).body.data.key;
    expectError(await call('POST', `${DOCUMENTS}/generate`, { token: readKey, body }), 403, 'INSUFFICIENT_SCOPE');
    expect(await countRows('documents', 'org_id', tenant.orgId)).toBe(0);
    // A member may generate.
    const member = await addMember(tenant, 'member');
    expectOk(await call('POST', `${DOCUMENTS}/generate`, { token: member.accessToken, body }), 202);
  });

  it('replays an Idempotency-Key instead of starting a second generation', async () => {
    const tenant = await createTenant();
    const headers = { 'idempotency-key': `gen-${crypto.randomUUID()}` };
    const body = { title: 'Once', format: 'docx', prompt: 'Only one, please.' };
    const first = expectOk(await tenant.as('POST', `${DOCUMENTS}/generate`, { body, headers }), 202);
    const second = expectOk(await tenant.as('POST', `${DOCUMENTS}/generate`, { body, headers }), 202);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body.data.id).toBe(first.body.data.id);
    expect(sentMessages.filter((m) => m.job_id === first.body.data.job_id)).toEqual([
      { job_id: first.body.data.job_id, org_id: tenant.orgId },
    ]);
    expect(await countRows('documents', 'org_id', tenant.orgId)).toBe(1);
    expect(await countRows('jobs', 'org_id', tenant.orgId)).toBe(1);
  });
});

describe('GET /documents and /documents/{id}', () => {
  it('lists newest first with status and format filters and pagination', async () => {
    const tenant = await createTenant();
    const a = await generate(tenant, { title: 'A', format: 'pdf', prompt: 'First.' });
    const b = await generate(tenant, { title: 'B', format: 'docx', prompt: 'Second.' });
    const c = await generate(tenant, { title: 'C', format: 'pdf', prompt: 'Third.' });
    await runToEnd(tenant, b);
    // A presentation is not a document.
    await generate(tenant, { title: 'Deck', prompt: 'Slides.' }, 'presentations');

    const all = expectOk(await tenant.as('GET', DOCUMENTS));
    expect(all.body.data.map((d: { id: string }) => d.id)).toEqual([c.id, b.id, a.id]);
    expect(all.body.pagination).toMatchObject({ total: 3, page: 1, page_size: 20, has_next: false });
    const pdfs = expectOk(await tenant.as('GET', `${DOCUMENTS}?format=pdf`));
    expect(pdfs.body.data.map((d: { id: string }) => d.id)).toEqual([c.id, a.id]);
    const done = expectOk(await tenant.as('GET', `${DOCUMENTS}?status=completed`));
    expect(done.body.data.map((d: { id: string }) => d.id)).toEqual([b.id]);
    expect(done.body.data[0].download_url).toBe(`${DOCUMENTS}/${b.id}/download`);
    const page2 = expectOk(await tenant.as('GET', `${DOCUMENTS}?page=2&page_size=2`));
    expect(page2.body.data.map((d: { id: string }) => d.id)).toEqual([a.id]);
    expect(page2.body.pagination).toMatchObject({ total: 3, total_pages: 2, has_previous: true });

    expectError(await tenant.as('GET', `${DOCUMENTS}?status=done`), 400, 'VALIDATION_ERROR');
    expectError(await tenant.as('GET', `${DOCUMENTS}?format=pptx`), 400, 'VALIDATION_ERROR');
    expectError(await tenant.as('GET', `${DOCUMENTS}?page_size=101`), 400, 'VALIDATION_ERROR');

    // Another tenant sees none of them; a viewer reads them.
    const other = await createTenant();
    expect(expectOk(await other.as('GET', DOCUMENTS)).body.data).toEqual([]);
    const viewer = await addMember(tenant, 'viewer');
    expect(expectOk(await call('GET', DOCUMENTS, { token: viewer.accessToken })).body.pagination.total).toBe(3);
    expectError(await call('GET', DOCUMENTS), 401, 'UNAUTHENTICATED');
  });

  it("returns one document; another tenant's, a presentation or an unknown id is 404", async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const doc = await generate(tenant, { title: 'Mine', format: 'pdf', prompt: 'Hello.' });
    const got = expectOk(await tenant.as('GET', `${DOCUMENTS}/${doc.id}`));
    expect(got.body.data).toEqual(doc);
    expectError(await other.as('GET', `${DOCUMENTS}/${doc.id}`), 404, 'NOT_FOUND');
    const deck = await generate(tenant, { title: 'Deck', prompt: 'Slides.' }, 'presentations');
    expectError(await tenant.as('GET', `${DOCUMENTS}/${deck.id}`), 404, 'NOT_FOUND');
    expectError(await tenant.as('GET', `${DOCUMENTS}/doc_${'0'.repeat(32)}`), 404, 'NOT_FOUND');
    expectError(await tenant.as('GET', `${DOCUMENTS}/not-an-id`), 400, 'VALIDATION_ERROR');
    expectError(await call('GET', `${DOCUMENTS}/${doc.id}`), 401, 'UNAUTHENTICATED');
    const noScope = expectOk(
      await tenant.as('POST', '/api/v1/api-keys', { body: { name: 'jobs only', scopes: ['jobs:read'] } }),
      201,
    ).body.data.key;
    expectError(await call('GET', `${DOCUMENTS}/${doc.id}`, { token: noScope }), 403, 'INSUFFICIENT_SCOPE');
  });
});
