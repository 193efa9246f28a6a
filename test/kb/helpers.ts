import { expect } from 'vitest';
import type { Env, JobMessage } from '../../workers/env';
import {
  type ApiResponse,
  type CallOptions,
  createTenant as createHarnessTenant,
  env,
  expectOk,
  fetchWith,
  readResponse,
  recordingEnv,
  type TestTenant,
  toRequest,
} from '../helpers/harness';
import { deliver, eventually, messageFor, readJob } from '../jobs/helpers';

/** Requests go through an env whose JOBS queue records messages; tests deliver them (`ingest`). */
const recording = recordingEnv();
export const sentMessages: JobMessage[] = recording.sent;
export const testEnv: Env = recording.env;

export const KB = '/api/v1/kb';

export const rawCall = (method: string, path: string, options: CallOptions = {}, workerEnv: Env = testEnv) =>
  fetchWith(toRequest(method, path, options), workerEnv);

/** The harness's `call`, through the recording env (or another one). */
export const call = async <T = any>(
  method: string,
  path: string,
  options: CallOptions = {},
  workerEnv: Env = testEnv,
): Promise<ApiResponse<T>> => readResponse<T>(await rawCall(method, path, options, workerEnv));

export const createTenant = async (options: { plan?: 'free' | 'pro' | 'enterprise' } = {}): Promise<TestTenant> => {
  const tenant = await createHarnessTenant(options);
  return {
    ...tenant,
    as: (method, path, options = {}) => call(method, path, { ...options, token: tenant.accessToken }),
  };
};

export const expectError = (res: { status: number; body: any }, status: number, code: string) => {
  if (res.status !== status || res.body?.success !== false || res.body?.error?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return res;
};

export const fileOf = (bytes: Uint8Array | string, name: string, type = 'application/octet-stream') =>
  new File([typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes], name, { type });

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

export interface ChunkRow {
  id: string;
  chunk_index: number;
  text: string;
  heading: string | null;
  page_number: number | null;
  start_offset: number;
  end_offset: number;
  token_count: number;
}

export const storedChunks = async (documentId: string): Promise<ChunkRow[]> =>
  (
    await env.DB.prepare(
      'SELECT id, chunk_index, text, heading, page_number, start_offset, end_offset, token_count FROM kb_chunks WHERE document_id = ? ORDER BY chunk_index',
    )
      .bind(documentId)
      .all<ChunkRow>()
  ).results;

export const ftsRows = async (documentId: string) =>
  (
    await env.DB.prepare('SELECT chunk_id, org_id, search_text FROM kb_chunks_fts WHERE document_id = ?')
      .bind(documentId)
      .all<{ chunk_id: string; org_id: string; search_text: string }>()
  ).results;

/** What the tenant's local vector index holds (its Durable Object, read directly). */
export const vectorStats = async (orgId: string) => env.VECTOR_INDEX.get(env.VECTOR_INDEX.idFromName(orgId)).stats();

export const r2Keys = async (orgId: string, documentId: string) =>
  (await env.FILES.list({ prefix: `tenants/${orgId}/kb/${documentId}/` })).objects.map((o) => o.key);

// ---------------------------------------------------------------------------------------------
// Files made in the tests

const utf8 = (text: string) => new TextEncoder().encode(text);

/** A PDF with a heading (24 pt) and lines of text (12 pt) per page, in Helvetica. */
export const makePdf = async (pages: { heading?: string; lines: string[] }[], title?: string) => {
  const { PDFDocument, StandardFonts } = await import('pdf-lib');
  const doc = await PDFDocument.create();
  if (title) doc.setTitle(title);
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const spec of pages) {
    const page = doc.addPage([595, 842]);
    let y = 780;
    if (spec.heading) {
      page.drawText(spec.heading, { x: 50, y, size: 24, font });
      y -= 44;
    }
    for (const line of spec.lines) {
      page.drawText(line, { x: 50, y, size: 12, font });
      y -= 15;
    }
  }
  return doc.save();
};

/** One page with a drawn rectangle and no text: what a scan without OCR looks like. */
export const makeImageOnlyPdf = async () => {
  const { PDFDocument, rgb } = await import('pdf-lib');
  const doc = await PDFDocument.create();
  doc.addPage([595, 842]).drawRectangle({ x: 50, y: 50, width: 300, height: 200, color: rgb(0.2, 0.4, 0.8) });
  return doc.save();
};

/** A PDF written object by object, with a correct cross-reference table. */
const rawPdf = (objects: string[], trailer: string) => {
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) out += `${String(offset).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R ${trailer} >>\nstartxref\n${xref}\n%%EOF\n`;
  return utf8(out);
};

/** Password-protected (standard security handler whose check fails for the empty password). */
export const makeEncryptedPdf = () => {
  const stream = 'BT /F1 12 Tf 50 700 Td (Secret text) Tj ET';
  return rawPdf(
    [
      '<< /Type /Catalog /Pages 2 0 R >>',
      '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
      '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
      `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
      '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
      `<< /Filter /Standard /V 1 /R 2 /O <${'ab'.repeat(32)}> /U <${'cd'.repeat(32)}> /P -4 >>`,
    ],
    `/Encrypt 6 0 R /ID [<${'01'.repeat(16)}> <${'01'.repeat(16)}>]`,
  );
};

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

/** A real 1×1 PNG. */
export const PNG = Uint8Array.from(
  atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='),
  (c) => c.charCodeAt(0),
);

/** A unique word per test, so assertions never see another test's documents by accident. */
export const marker = (label = 'zq') => `${label}${crypto.randomUUID().replaceAll('-', '').slice(0, 10)}`;

export type { TestTenant };
export { env, expectOk };
