import type { Chunk } from '@flowspark/rag';
import { expect } from 'vitest';
import type { Env, JobMessage } from '../../workers/env';
import { rawPdf, utf8 } from '../helpers/files';
import { env, expectOk, recordingClient, type TestTenant } from '../helpers/harness';
import { deliver, eventually, messageFor, readJob } from '../jobs/helpers';

/** Requests go through an env whose JOBS queue records messages; tests deliver them (`ingest`). */
const client = recordingClient();
export const sentMessages: JobMessage[] = client.sent;
export const testEnv: Env = client.env;
export const { rawCall, call, createTenant } = client;

export const KB = '/api/v1/kb';

/** POST /kb/documents/upload (multipart) with a token. */
export const upload = (
  token: string | undefined,
  fields: Record<string, string | Blob>,
  workerEnv: Env = testEnv,
  headers: Record<string, string> = {},
) => {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  return call('POST', `${KB}/documents/upload`, { token, rawBody: form, headers }, workerEnv);
};

export interface Accepted {
  document: { id: string; [key: string]: any };
  job_id: string;
  duplicate: boolean;
}

export const uploadAccepted = async (
  tenant: TestTenant,
  fields: Record<string, string | Blob>,
  token = tenant.accessToken,
): Promise<Accepted> => expectOk(await upload(token, fields), 202).body.data;

export const textAccepted = async (tenant: TestTenant, body: Record<string, unknown>): Promise<Accepted> =>
  expectOk(await tenant.as('POST', `${KB}/documents/text`, { body }), 202).body.data;

/** Delivers the document's recorded job message and waits until the job and the document have ended. */
export const ingest = async (tenant: TestTenant, accepted: { document: { id: string }; job_id: string }) => {
  const message = sentMessages.find((m) => m.job_id === accepted.job_id);
  if (!message) throw new Error(`no queue message was sent for ${accepted.job_id}`);
  expect(message).toEqual(messageFor({ id: accepted.job_id, orgId: tenant.orgId }));
  const delivery = await deliver(message);
  return eventually(async () => {
    const job = await readJob(accepted.job_id);
    if (!['done', 'error', 'cancelled'].includes(job.status)) return undefined;
    const doc = expectOk(await tenant.as('GET', `${KB}/documents/${accepted.document.id}`)).body.data;
    return doc.status === 'indexed' || doc.status === 'failed' ? { doc, job, delivery } : undefined;
  }, 15_000);
};

/** Adds and indexes a document, failing the test with its error otherwise. */
export const indexed = async (tenant: TestTenant, accepted: Accepted) => {
  const { doc, job } = await ingest(tenant, accepted);
  if (doc.status !== 'indexed') throw new Error(`indexing failed: ${JSON.stringify(doc)} ${JSON.stringify(job)}`);
  return doc;
};

export const addText = async (tenant: TestTenant, body: Record<string, unknown>) =>
  indexed(tenant, await textAccepted(tenant, body));

export const search = async (tenant: TestTenant, params: Record<string, string | number>, token?: string) => {
  const query = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();
  const res = await call('GET', `${KB}/search?${query}`, { token: token ?? tenant.accessToken });
  return expectOk(res).body.data as { hits: Record<string, any>[]; mode: string; timings: { retrieval_ms: number } };
};

/** A stored chunk as its row reads: the chunker's fields, with its id and index as stored. */
export type ChunkRow = Omit<Chunk, 'index'> & { id: string; chunk_index: number };

export const storedChunks = async (documentId: string): Promise<ChunkRow[]> =>
  (
    await env.DB.prepare(
      'SELECT id, chunk_index, text, heading, page_number, start_offset, end_offset, token_count FROM kb_chunks WHERE document_id = ? ORDER BY chunk_index',
    )
      .bind(documentId)
      .all<ChunkRow>()
  ).results;

/** The document's rows in the tenant's keyword index (its Durable Object, read directly). */
export const ftsRows = async (orgId: string, documentId: string) => keywordIndexOf(orgId).rows(documentId);

export const keywordIndexOf = (orgId: string) => env.KEYWORD_INDEX.get(env.KEYWORD_INDEX.idFromName(orgId));
export const keywordStats = async (orgId: string) => keywordIndexOf(orgId).stats();

/** What the tenant's local vector index holds (its Durable Object, read directly). */
export const vectorStats = async (orgId: string) => env.VECTOR_INDEX.get(env.VECTOR_INDEX.idFromName(orgId)).stats();

export const r2Keys = async (orgId: string, documentId: string) =>
  (await env.FILES.list({ prefix: `tenants/${orgId}/kb/${documentId}/` })).objects.map((o) => o.key);

// ---------------------------------------------------------------------------------------------
// Files made in the tests (the shared makers are in test/helpers/files.ts)

/** A PDF whose page tree holds no page. */
export const makeEmptyPdf = () =>
  rawPdf(['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [] /Count 0 >>'], '');

export const makeCorruptPdf = () =>
  utf8('%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R >>\ngarbage that is not a PDF\n');

/** A DOCX with a title, headings of two levels and paragraphs. */
export const makeDocx = async () => {
  const { Document, HeadingLevel, Packer, Paragraph, TextRun } = await import('docx');
  const doc = new Document({
    sections: [
      {
        children: [
          new Paragraph({ text: 'Employee Handbook', heading: HeadingLevel.TITLE }),
          new Paragraph({ text: 'Vacation policy', heading: HeadingLevel.HEADING_1 }),
          new Paragraph({
            children: [
              new TextRun('Every employee receives twenty-five vacation days per calendar year. '),
              new TextRun({ text: 'Unused days expire on March 31 of the following year.', bold: true }),
            ],
          }),
          new Paragraph({ text: 'Remote work', heading: HeadingLevel.HEADING_2 }),
          new Paragraph('Remote work is allowed three days per week after the probation period.'),
          new Paragraph({ text: 'Expenses', heading: HeadingLevel.HEADING_1 }),
          new Paragraph('Travel expenses are reimbursed within fourteen days when the receipts are submitted.'),
        ],
      },
    ],
  });
  return new Uint8Array(await (await Packer.toBlob(doc)).arrayBuffer());
};

export const HTML_PAGE = `<!doctype html>
<html lang="en">
<head>
  <title>Router setup guide</title>
  <style>body { color: red; } .hidden-style-marker { display: none; }</style>
  <script>var trackingSecret = "script-marker-should-not-be-indexed";</script>
</head>
<body>
  <nav>Home | Products | Support</nav>
  <main>
    <h1>Router setup</h1>
    <p>To reset the router, hold the reset button for ten seconds until the lights blink orange.</p>
    <h2>Wireless settings</h2>
    <p>The default wireless network name is printed on the label under the device.</p>
    <script>document.write("another-script-marker");</script>
  </main>
</body>
</html>`;

/** A unique word per test, so assertions never see another test's documents by accident. */
export const marker = (label = 'zq') => `${label}${crypto.randomUUID().replaceAll('-', '').slice(0, 10)}`;

export { fileOf, makeEncryptedPdf, makeImageOnlyPdf, makePdf, PNG } from '../helpers/files';
export { expectError } from '../helpers/harness';
export type { TestTenant };
export { env, expectOk };
