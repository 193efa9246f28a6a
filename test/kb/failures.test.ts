import { type AiProvider, AiProviderError, createLocalProvider } from '@flowspark/ai';
import { afterEach, describe, expect, it } from 'vitest';
import type { Env } from '../../workers/env';
import { setAiProviderFactory } from '../../workers/lib/ai';
import { addMember } from '../helpers/harness';
import { deliver, readJob } from '../jobs/helpers';
import {
  createTenant,
  env,
  expectError,
  expectOk,
  fileOf,
  ftsRows,
  ingest,
  KB,
  makeCorruptPdf,
  makeEmptyPdf,
  makeEncryptedPdf,
  makeImageOnlyPdf,
  makePdf,
  PNG,
  r2Keys,
  sentMessages,
  storedChunks,
  testEnv,
  textAccepted,
  upload,
  uploadAccepted,
  vectorStats,
} from './helpers';

const countDocuments = async (orgId: string) =>
  (await env.DB.prepare('SELECT count(*) AS n FROM kb_documents WHERE org_id = ?').bind(orgId).first<{ n: number }>())!
    .n;
const countJobs = async (orgId: string) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM jobs WHERE org_id = ? AND type = 'kb.ingest'")
    .bind(orgId)
    .first<{ n: number }>())!.n;

afterEach(() => setAiProviderFactory(null));

describe('knowledge-base uploads: duplicates, types and sizes', () => {
  it('answers the same content again with the existing document: no new row, no job', async () => {
    const tenant = await createTenant();
    const bytes = await makePdf([{ lines: ['Quarterly revenue grew by nine percent.'] }]);
    const first = await uploadAccepted(tenant, { file: fileOf(bytes, 'report.pdf') });
    const messages = sentMessages.length;
    const again = expectOk(
      await upload(tenant.accessToken, { file: fileOf(bytes, 'copy of report.pdf'), title: 'Other' }),
      200,
    );
    expect(again.body.data).toMatchObject({
      duplicate: true,
      job_id: first.job_id,
      document: { id: first.document.id, title: 'report' },
    });
    expect(sentMessages.length).toBe(messages);
    expect(await countDocuments(tenant.orgId)).toBe(1);
    expect(await countJobs(tenant.orgId)).toBe(1);

    // Texts too, by their bytes; another tenant's identical content is its own document.
    const text = await textAccepted(tenant, { title: 'Note', text: 'A note about anchors.' });
    const textAgain = expectOk(
      await tenant.as('POST', `${KB}/documents/text`, { body: { title: 'Renamed', text: 'A note about anchors.' } }),
      200,
    );
    expect(textAgain.body.data.document.id).toBe(text.document.id);
    const other = await createTenant();
    const theirs = await uploadAccepted(other, { file: fileOf(bytes, 'report.pdf') });
    expect(theirs.duplicate).toBe(false);
    expect(theirs.document.id).not.toBe(first.document.id);
    expect(theirs.document.sha256).toBe(first.document.sha256);
  });

  it('refuses content of another type with 415, naming the accepted types, and stores nothing', async () => {
    const tenant = await createTenant();
    const png = await upload(tenant.accessToken, { file: fileOf(PNG, 'notes.txt', 'text/plain') });
    expectError(png, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(png.body.error.message).toBe(
      'Unsupported file type: the knowledge base accepts PDF, DOCX, HTML, Markdown, plain text or CSV',
    );
    expect(png.body.error.details.accepted).toEqual(['pdf', 'docx', 'html', 'markdown', 'text', 'csv']);
    const json = await tenant.as('POST', `${KB}/documents/upload`, { body: { title: 'x' } });
    expect(json.status).toBeGreaterThanOrEqual(400);
    expect(await countDocuments(tenant.orgId)).toBe(0);
    expect((await env.FILES.list({ prefix: `tenants/${tenant.orgId}/` })).objects).toEqual([]);
  });

  it('refuses files over the cap with 413 (the configured cap, and 20 MB by default)', async () => {
    const tenant = await createTenant();
    const small = { ...testEnv, KB_MAX_UPLOAD_BYTES: '1000' } as unknown as Env;
    const over = await upload(tenant.accessToken, { file: fileOf('x'.repeat(1001), 'a.txt') }, small);
    expectError(over, 413, 'PAYLOAD_TOO_LARGE');
    expect(over.body.error.message).toBe('The document must be at most 1,000 bytes');
    expect(over.body.error.details).toEqual({ limit: 1000, actual: 1001 });
    const { call } = await import('./helpers');
    const text = await call(
      'POST',
      `${KB}/documents/text`,
      { token: tenant.accessToken, body: { title: 't', text: 'é'.repeat(600) } },
      small,
    );
    expectError(text, 413, 'PAYLOAD_TOO_LARGE');
    expectOk(await upload(tenant.accessToken, { file: fileOf('x'.repeat(1000), 'b.txt') }, small), 202);

    const justOver = new Uint8Array(20 * 1024 * 1024 + 1).fill(0x61);
    const big = await upload(tenant.accessToken, { file: fileOf(justOver, 'big.txt') });
    expectError(big, 413, 'PAYLOAD_TOO_LARGE');
    expect(big.body.error.message).toBe('The document must be at most 20 MB');
    // A body far beyond the route's limit is refused before it is read.
    const huge = await upload(tenant.accessToken, { file: fileOf(new Uint8Array(21 * 1024 * 1024), 'huge.txt') });
    expectError(huge, 413, 'PAYLOAD_TOO_LARGE');
    expect(await countDocuments(tenant.orgId)).toBe(1);
  });

  it('validates the form and the text body', async () => {
    const tenant = await createTenant();
    const file = () => fileOf('Some text about kites.', 'kites.txt');
    const cases: [Record<string, string | Blob>, string][] = [
      [{ title: 'no file' }, 'file'],
      [{ file: 'not a file' }, 'file'],
      [{ file: file(), colour: 'blue' }, '(body)'],
      [{ file: file(), tags: Array.from({ length: 21 }, (_, i) => `t${i}`).join(',') }, 'tags'],
      [{ file: file(), tags: 'x'.repeat(51) }, 'tags'],
      [{ file: file(), tags: '["a", 3]' }, 'tags'],
      [{ file: file(), category: 'é'.repeat(33) }, 'category'],
      [{ file: file(), title: ' ' }, 'title'],
      [{ file: fileOf(new Uint8Array(0), 'empty.txt') }, 'file'],
    ];
    for (const [fields, field] of cases) {
      const res = await upload(tenant.accessToken, fields);
      expectError(res, 400, 'VALIDATION_ERROR');
      expect(Object.keys(res.body.error.details.fields).join(','), JSON.stringify(Object.keys(fields))).toContain(
        field,
      );
    }
    const tags = await uploadAccepted(tenant, { file: file(), tags: '["Kites", " kites ", "Sky"]' });
    expect(tags.document.tags).toEqual(['kites', 'sky']);

    const textCases: [unknown, string][] = [
      [{ text: 'no title' }, 'title'],
      [{ title: 't', text: '   ' }, 'text'],
      [{ title: 't', text: 'x', format: 'pdf' }, 'format'],
      [{ title: 't', text: 'x', extra: true }, '(body)'],
      [{ title: 't', text: 'x', tags: 'a,b' }, 'tags'],
      [{ title: 't', text: 'x'.repeat(2_000_001) }, 'text'],
    ];
    for (const [body, field] of textCases) {
      const res = await tenant.as('POST', `${KB}/documents/text`, { body });
      expectError(res, 400, 'VALIDATION_ERROR');
      expect(Object.keys(res.body.error.details.fields).join(',')).toContain(field);
    }
    const malformed = await tenant.as('POST', `${KB}/documents/text`, {
      rawBody: '{"title": "t", "text": ',
      headers: { 'content-type': 'application/json' },
    });
    expectError(malformed, 400, 'MALFORMED_JSON');
  });

  it('needs authentication and the kb:write scope', async () => {
    const tenant = await createTenant();
    const file = fileOf('Notes about sailing.', 'sailing.txt');
    expectError(await upload(undefined, { file }), 401, 'UNAUTHENTICATED');
    const viewer = await addMember(tenant, 'viewer');
    expectError(await upload(viewer.accessToken, { file }), 403, 'INSUFFICIENT_SCOPE');
    const { call } = await import('./helpers');
    expectError(
      await call('POST', `${KB}/documents/text`, { token: viewer.accessToken, body: { title: 't', text: 'x' } }),
      403,
      'INSUFFICIENT_SCOPE',
    );
    const readKey = expectOk(
      await tenant.as('POST', '/api/v1/api-keys', { body: { name: 'reader', scopes: ['kb:read'] } }),
      201,
    ).body.data.key;
    expectError(await upload(readKey, { file }), 403, 'INSUFFICIENT_SCOPE');
    const member = await addMember(tenant, 'member');
    const accepted = expectOk(await upload(member.accessToken, { file }), 202).body.data;
    expect(accepted.document.status).toBe('uploading');
    expect(await countDocuments(tenant.orgId)).toBe(1);
  });
});

describe('knowledge-base ingestion failures', () => {
  it.each([
    ['corrupt', makeCorruptPdf, 'CORRUPT', 'The PDF is damaged or not a PDF'],
    ['encrypted', makeEncryptedPdf, 'ENCRYPTED', 'The PDF is password-protected'],
    ['empty', makeEmptyPdf, 'EMPTY', 'The PDF has no pages'],
    [
      'image-only',
      makeImageOnlyPdf,
      'NO_TEXT',
      'The PDF has no extractable text (scanned images need OCR, which is not supported)',
    ],
  ] as const)(
    'a %s PDF ends failed with a clear message; the job fails once, without retries',
    async (_, make, code, message) => {
      const tenant = await createTenant();
      const accepted = await uploadAccepted(tenant, { file: fileOf(await make(), 'file.pdf', 'application/pdf') });
      expect(accepted.document.detected_type).toBe('pdf');
      const { doc, job, delivery } = await ingest(tenant, accepted);
      expect(doc).toMatchObject({ status: 'failed', error_code: code, error_message: message, chunk_count: 0 });
      expect(job).toMatchObject({ status: 'error', error_code: code, error_message: message, attempts: 1 });
      expect(delivery).toMatchObject({ acked: true, retried: false });
      expect(await storedChunks(doc.id)).toEqual([]);
      expect((await vectorStats(tenant.orgId)).count).toBe(0);
      // The original stays (it can be downloaded or deleted); search never sees the document.
      expect(await r2Keys(tenant.orgId, doc.id)).toHaveLength(1);
    },
  );

  it('retries a transient embedding failure and then indexes once, without duplicates', async () => {
    let calls = 0;
    const local = createLocalProvider();
    const flaky: AiProvider = {
      ...local,
      embed: async (texts, opts) => {
        calls += 1;
        if (calls === 1)
          throw new AiProviderError('Provider answered 503', {
            provider: 'local',
            retryable: true,
            providerStatus: 503,
          });
        return local.embed(texts, opts);
      },
    };
    setAiProviderFactory(() => flaky);
    const tenant = await createTenant();
    const accepted = await textAccepted(tenant, { title: 'Tides', text: 'High tide comes twice a day on this coast.' });
    const message = sentMessages.find((m) => m.job_id === accepted.job_id)!;
    const first = await deliver(message);
    expect(first.retried).toBe(true);
    expect(await readJob(accepted.job_id)).toMatchObject({
      status: 'queued',
      attempts: 1,
      error_code: 'AI_PROVIDER_ERROR',
    });
    expect(expectOk(await tenant.as('GET', `${KB}/documents/${accepted.document.id}`)).body.data.status).toBe(
      'processing',
    );

    const { doc, job } = await ingest(tenant, accepted);
    expect(job).toMatchObject({ status: 'done', attempts: 2 });
    expect(doc.status).toBe('indexed');
    const chunks = await storedChunks(doc.id);
    expect(chunks).toHaveLength(doc.chunk_count);
    expect(await ftsRows(tenant.orgId, doc.id)).toHaveLength(chunks.length);
    expect((await vectorStats(tenant.orgId)).count).toBe(chunks.length);
  });

  it('a permanent provider failure fails the document and leaves no partial index', async () => {
    const local = createLocalProvider();
    setAiProviderFactory(() => ({
      ...local,
      embed: async () => {
        throw new AiProviderError('The embedding model refused the input', { provider: 'local', retryable: false });
      },
    }));
    const tenant = await createTenant();
    const accepted = await textAccepted(tenant, { title: 'Reefs', text: 'Coral reefs need warm, clear water.' });
    const { doc, job } = await ingest(tenant, accepted);
    expect(job).toMatchObject({ status: 'error', attempts: 1, error_code: 'AI_PROVIDER_ERROR' });
    expect(doc).toMatchObject({
      status: 'failed',
      error_code: 'AI_PROVIDER_ERROR',
      error_message: 'The embedding model refused the input',
    });
    expect(await storedChunks(doc.id)).toEqual([]);
    expect(await ftsRows(tenant.orgId, doc.id)).toEqual([]);
    expect((await vectorStats(tenant.orgId)).count).toBe(0);

    // Once the provider works again, a re-index recovers the document.
    setAiProviderFactory(null);
    const again = expectOk(await tenant.as('POST', `${KB}/documents/${doc.id}/reindex`), 202).body.data;
    expect(again.document).toMatchObject({ status: 'processing', error_code: null, error_message: null });
    const { doc: recovered } = await ingest(tenant, { document: doc, job_id: again.job_id });
    expect(recovered).toMatchObject({ status: 'indexed', error_code: null });
    expect((await vectorStats(tenant.orgId)).count).toBe(recovered.chunk_count);
  });
});
