import { env } from 'cloudflare:workers';
import { type AiProvider, AiProviderError, createLocalProvider } from '@flowspark/ai';
import { createDb } from '@flowspark/db';
import { type GenerationRequest, startGeneration, updateDocument } from '@flowspark/documents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XLSX_MAX_SHEETS } from '../../packages/docgen/src/render/xlsx';
import { setAiProviderFactory } from '../../workers/lib/ai';
import { expectOk, type TestTenant } from '../helpers/harness';
import { deliver, eventually, gate, messageFor, readJob, sleep } from '../jobs/helpers';
import {
  countRows,
  createTenant,
  DOCUMENTS,
  download,
  downloadOk,
  generate,
  pdfText,
  r2Keys,
  runToEnd,
} from './helpers';

/**
 * A provider that misbehaves only for prompts carrying a marker, and is the offline provider for
 * everything else: other tests' jobs that land in this isolate are unaffected.
 */
const GARBAGE = 'ANSWER-WITH-GARBAGE';
const FLAKY = 'FAIL-ONCE-';
const GATED = 'WAIT-AT-GATE-';
const calls = new Map<string, number>();

const markerIn = (text: string, prefix: string) => new RegExp(`${prefix}[A-Za-z0-9-]+`).exec(text)?.[0];

const fakeProvider = (): AiProvider => {
  const local = createLocalProvider();
  return {
    ...local,
    name: 'local',
    async chat(req) {
      const text = req.messages.map((m) => m.content).join('\n');
      const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, estimated: false };
      if (text.includes(GARBAGE)) {
        calls.set(GARBAGE, (calls.get(GARBAGE) ?? 0) + 1);
        return { text: 'Sure! Here is your <b>document</b>.', model: 'fake-1', provider: 'fake', usage };
      }
      const flaky = markerIn(text, FLAKY);
      if (flaky) {
        const seen = (calls.get(flaky) ?? 0) + 1;
        calls.set(flaky, seen);
        if (seen === 1) throw new AiProviderError('The provider answered 503', { provider: 'fake', retryable: true });
      }
      const gated = markerIn(text, GATED);
      if (gated) {
        const entry = gates.get(gated);
        if (entry) {
          entry.entered = true;
          await entry.promise;
        }
      }
      return local.chat(req);
    },
  };
};
const gates = new Map<string, ReturnType<typeof gate>>();

beforeAll(() => setAiProviderFactory(() => fakeProvider()));
afterAll(() => setAiProviderFactory(null));

/**
 * Creates the document and its job the way the route does, without sending the queue message, so
 * only this test's deliveries run it (in this isolate, with the fake provider).
 */
const startQuietly = async (tenant: TestTenant, request: Omit<GenerationRequest, 'kind'>) => {
  const { document, job } = await startGeneration(
    createDb(env.DB),
    { orgId: tenant.orgId, userId: tenant.userId },
    { kind: 'document', ...request },
  );
  return { id: document.id, job_id: job.id, job };
};

const getDoc = async (tenant: TestTenant, id: string) =>
  expectOk(await tenant.as('GET', `${DOCUMENTS}/${id}`)).body.data;

describe('generation failures', () => {
  it('invalid structured output twice: AI_INVALID_OUTPUT on job and document, not retried, nothing downloadable', async () => {
    const tenant = await createTenant();
    calls.delete(GARBAGE);
    const doc = await startQuietly(tenant, { title: 'Broken', format: 'pdf', prompt: `Write it. ${GARBAGE}` });

    const outcome = await deliver(messageFor({ id: doc.job_id, orgId: tenant.orgId }));
    expect(outcome).toEqual({ acked: true, retried: false, delaySeconds: undefined });
    // One answer and one repair turn: no retry storm.
    expect(calls.get(GARBAGE)).toBe(2);
    const job = await readJob(doc.job_id);
    expect(job).toMatchObject({
      status: 'error',
      attempts: 1,
      error_code: 'AI_INVALID_OUTPUT',
      error_message: 'The AI provider returned invalid structured output twice',
    });
    const failed = await getDoc(tenant, doc.id);
    expect(failed).toMatchObject({
      status: 'failed',
      current_version: 0,
      error_code: 'AI_INVALID_OUTPUT',
      error_message: 'The AI provider returned invalid structured output twice',
      download_url: null,
      file_size_bytes: 0,
    });
    const res = await download(tenant.accessToken, `${DOCUMENTS}/${doc.id}/download`);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toBe('The document is not ready');
    expect(await r2Keys(tenant.orgId, 'documents', doc.id)).toEqual([]);
    expect(await countRows('document_versions', 'document_id', doc.id)).toBe(0);
    // A redelivery of the message does not run it again.
    expect(await deliver(messageFor({ id: doc.job_id, orgId: tenant.orgId }), { attempts: 2 })).toMatchObject({
      acked: true,
    });
    expect(calls.get(GARBAGE)).toBe(2);
  });

  it('a transient provider error is retried with backoff, then the document completes', async () => {
    const tenant = await createTenant();
    const marker = `${FLAKY}${crypto.randomUUID()}`;
    const doc = await startQuietly(tenant, { title: 'Flaky', format: 'docx', prompt: `Status update. ${marker}` });
    const first = await deliver(messageFor({ id: doc.job_id, orgId: tenant.orgId }));
    expect(first).toMatchObject({ acked: false, retried: true });
    expect(first.delaySeconds).toBeGreaterThanOrEqual(5);
    expect(await readJob(doc.job_id)).toMatchObject({ status: 'queued', attempts: 1, error_code: 'AI_PROVIDER_ERROR' });
    // The document waits for the retry: not failed, nothing to download yet.
    expect(await getDoc(tenant, doc.id)).toMatchObject({ status: 'processing', error_code: null, current_version: 0 });

    expect(await deliver(messageFor({ id: doc.job_id, orgId: tenant.orgId }), { attempts: 2 })).toMatchObject({
      acked: true,
    });
    expect(await readJob(doc.job_id)).toMatchObject({ status: 'done', attempts: 2, error_code: null });
    expect(await getDoc(tenant, doc.id)).toMatchObject({ status: 'completed', current_version: 1 });
    expect(calls.get(marker)).toBe(2);
  });

  it('a renderer over its cap fails the job with its code at once (not retried) and leaves no file', async () => {
    const tenant = await createTenant();
    // One sheet per table: one table more than a workbook may hold (a small request, a hard cap).
    const tables = Array.from({ length: XLSX_MAX_SHEETS + 1 }, (_, i) => ({
      type: 'table',
      sheet_name: `T${i}`,
      columns: ['a'],
      rows: [[i]],
    }));
    const created = await generate(tenant, {
      title: 'Too many sheets',
      format: 'xlsx',
      content: { title: 'Huge', sections: [{ blocks: tables }] },
    });
    const { doc, job } = await runToEnd(tenant, created);
    expect(job).toMatchObject({ status: 'error', attempts: 1, error_code: 'PAYLOAD_TOO_LARGE' });
    expect(job.error_message).toBe(
      `An XLSX workbook holds at most ${XLSX_MAX_SHEETS} tables (one sheet each); this document has ${XLSX_MAX_SHEETS + 1}`,
    );
    expect(doc).toMatchObject({ status: 'failed', error_code: 'PAYLOAD_TOO_LARGE', download_url: null });
    expect(doc.error_message).toBe(job.error_message);
    const blocked = await download(tenant.accessToken, `${DOCUMENTS}/${doc.id}/download`);
    expect(blocked.status).toBe(409);
    expect(blocked.body.error.code).toBe('CONFLICT');
    expect(await r2Keys(tenant.orgId, 'documents', doc.id)).toEqual([]);
  });

  it('a redelivered message after completion makes no second version or file', async () => {
    const tenant = await createTenant();
    const created = await generate(tenant, { title: 'Once', format: 'pdf', prompt: 'Exactly one file.' });
    const { doc } = await runToEnd(tenant, created);
    const keys = await r2Keys(tenant.orgId, 'documents', doc.id);
    const before = await env.FILES.head(keys[0]!);
    const jobBefore = await readJob(created.job_id);

    expect(await deliver(messageFor({ id: created.job_id, orgId: tenant.orgId }), { attempts: 2 })).toMatchObject({
      acked: true,
      retried: false,
    });
    expect(await readJob(created.job_id)).toEqual(jobBefore);
    expect(await getDoc(tenant, doc.id)).toEqual(doc);
    expect(await countRows('document_versions', 'document_id', doc.id)).toBe(1);
    expect(await r2Keys(tenant.orgId, 'documents', doc.id)).toEqual(keys);
    expect((await env.FILES.head(keys[0]!))?.uploaded.getTime()).toBe(before?.uploaded.getTime());
  });

  it('a delivery after the version was committed but before the job was marked done does not render again', async () => {
    const tenant = await createTenant();
    const created = await generate(tenant, { title: 'Committed', format: 'pdf', prompt: 'Committed once.' });
    const { doc } = await runToEnd(tenant, created);
    const [key] = await r2Keys(tenant.orgId, 'documents', doc.id);
    const uploaded = (await env.FILES.head(key!))?.uploaded.getTime();
    // As if the worker died between committing the version and completing the job.
    await env.DB.prepare("UPDATE jobs SET status = 'queued', finished_at = NULL WHERE id = ?")
      .bind(created.job_id)
      .run();
    await sleep(5);
    expect(await deliver(messageFor({ id: created.job_id, orgId: tenant.orgId }), { attempts: 2 })).toMatchObject({
      acked: true,
    });
    const job = await readJob(created.job_id);
    expect(job).toMatchObject({ status: 'done', attempts: 2 });
    expect(JSON.parse(job.result)).toMatchObject({
      document_id: doc.id,
      version: 1,
      file_size_bytes: doc.file_size_bytes,
    });
    expect(await countRows('document_versions', 'document_id', doc.id)).toBe(1);
    expect((await env.FILES.head(key!))?.uploaded.getTime()).toBe(uploaded);
    expect(await getDoc(tenant, doc.id)).toMatchObject({ status: 'completed', current_version: 1 });
  });

  it('cancelling a queued generation marks the document failed (CANCELLED) and never runs it', async () => {
    const tenant = await createTenant();
    const doc = await startQuietly(tenant, { title: 'Never', format: 'pdf', prompt: 'Not needed after all.' });
    const res = expectOk(await tenant.as('POST', `/api/v1/jobs/${doc.job_id}/cancel`), 200);
    expect(res.body.data.status).toBe('cancelled');
    expect(await getDoc(tenant, doc.id)).toMatchObject({
      status: 'failed',
      error_code: 'CANCELLED',
      error_message: 'The generation was cancelled',
      download_url: null,
    });
    expect(await deliver(messageFor({ id: doc.job_id, orgId: tenant.orgId }))).toMatchObject({ acked: true });
    expect((await readJob(doc.job_id)).status).toBe('cancelled');
    expect((await download(tenant.accessToken, `${DOCUMENTS}/${doc.id}/download`)).status).toBe(409);
    expect(await r2Keys(tenant.orgId, 'documents', doc.id)).toEqual([]);
  });

  it('cancelling a running generation stops it before anything is stored', async () => {
    const tenant = await createTenant();
    const marker = `${GATED}${crypto.randomUUID()}`;
    const entry = gate(marker);
    gates.set(marker, entry);
    const doc = await startQuietly(tenant, { title: 'Stopped', format: 'pdf', prompt: `Long one. ${marker}` });
    const delivery = deliver(messageFor({ id: doc.job_id, orgId: tenant.orgId }));
    await eventually(() => (entry.entered ? true : undefined));
    expect(await getDoc(tenant, doc.id)).toMatchObject({ status: 'processing' });
    expectOk(await tenant.as('POST', `/api/v1/jobs/${doc.job_id}/cancel`), 202);
    entry.release();
    expect(await delivery).toMatchObject({ acked: true });
    expect((await readJob(doc.job_id)).status).toBe('cancelled');
    expect(await getDoc(tenant, doc.id)).toMatchObject({
      status: 'failed',
      error_code: 'CANCELLED',
      current_version: 0,
    });
    expect(await r2Keys(tenant.orgId, 'documents', doc.id)).toEqual([]);
    expect(await countRows('document_versions', 'document_id', doc.id)).toBe(0);
  });

  it('a failed re-render keeps the previous version current and downloadable', async () => {
    const tenant = await createTenant();
    const first = await startQuietly(tenant, { title: 'Stable', format: 'pdf', prompt: 'Version one is fine.' });
    await deliver(messageFor({ id: first.job_id, orgId: tenant.orgId }));
    expect(await getDoc(tenant, first.id)).toMatchObject({ status: 'completed', current_version: 1 });

    const { job } = await updateDocument(createDb(env.DB), { orgId: tenant.orgId, userId: tenant.userId }, first.id, {
      prompt: `Version two. ${GARBAGE}`,
    });
    await deliver(messageFor({ id: job!.id, orgId: tenant.orgId }));
    const doc = await getDoc(tenant, first.id);
    expect(doc).toMatchObject({
      status: 'failed',
      error_code: 'AI_INVALID_OUTPUT',
      current_version: 1,
      download_url: `${DOCUMENTS}/${first.id}/download`,
    });
    const file = await downloadOk(tenant.accessToken, doc.download_url);
    expect(file.headers.get('x-document-version')).toBe('1');
    expect((await pdfText(file.bytes)).text).toContain('Version one is fine.');
    expect(await r2Keys(tenant.orgId, 'documents', first.id)).toEqual([
      `tenants/${tenant.orgId}/documents/${first.id}/v1.pdf`,
    ]);
    expect((await download(tenant.accessToken, `${DOCUMENTS}/${first.id}/download?version=2`)).status).toBe(404);
    // After the failure a new change is accepted again.
    expectOk(await tenant.as('PUT', `${DOCUMENTS}/${first.id}`, { body: { prompt: 'Version two, properly.' } }), 202);
  });
});
