import { expect } from 'vitest';
import type { JobMessage } from '../../workers/env';
import { openZip } from '../helpers/files';
import { type ApiResponse, env, expectOk, fetchWith, recordingClient, type TestTenant } from '../helpers/harness';
import { deliver, eventually, messageFor, readJob } from '../jobs/helpers';

/** Requests go through an env whose JOBS queue records messages; tests deliver them (runToEnd). */
const client = recordingClient();
export const sentMessages: JobMessage[] = client.sent;
export const { call, createTenant } = client;

const fetchWorker = (request: Request): Promise<Response> => fetchWith(request, client.env);

export const DOCUMENTS = '/api/v1/documents';
export const PRESENTATIONS = '/api/v1/presentations';

export const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
export const PPTX_TYPE = 'application/vnd.openxmlformats-officedocument.presentationml.presentation';

type Kind = 'documents' | 'presentations';
const base = (kind: Kind) => (kind === 'documents' ? DOCUMENTS : PRESENTATIONS);

/** POST …/generate as the tenant's owner; expects 202 and returns the document. */
export const generate = async (tenant: TestTenant, body: Record<string, unknown>, kind: Kind = 'documents') =>
  expectOk(await tenant.as('POST', `${base(kind)}/generate`, { body }), 202).body.data;

/** Runs the document's job to its end: delivers its recorded message to the consumer, then reads the result. */
export const runToEnd = async (tenant: TestTenant, doc: { id: string; job_id: string }, kind: Kind = 'documents') => {
  const message = sentMessages.find((m) => m.job_id === doc.job_id);
  if (!message) throw new Error(`no queue message was sent for ${doc.job_id}`);
  expect(message).toEqual(messageFor({ id: doc.job_id, orgId: tenant.orgId }));
  await deliver(message);
  return eventually(async () => {
    const job = await readJob(doc.job_id);
    if (!['done', 'error', 'cancelled'].includes(job.status)) return undefined;
    const res = expectOk(await tenant.as('GET', `${base(kind)}/${doc.id}`));
    const current = res.body.data;
    return current.status === 'completed' || current.status === 'failed' ? { doc: current, job } : undefined;
  }, 15_000);
};

/** Generates and waits for completion, failing the test with the document's error otherwise. */
export const generateDone = async (tenant: TestTenant, body: Record<string, unknown>, kind: Kind = 'documents') => {
  const created = await generate(tenant, body, kind);
  const { doc, job } = await runToEnd(tenant, created, kind);
  if (doc.status !== 'completed') throw new Error(`generation failed: ${JSON.stringify(doc)} ${JSON.stringify(job)}`);
  return doc;
};

export interface Download {
  status: number;
  headers: Headers;
  bytes: Uint8Array;
  body?: any;
}

/** GET a download as raw bytes (the harness's `call` reads text). */
export const download = async (
  token: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<Download> => {
  const res = await fetchWorker(
    new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${token}`, ...headers } }),
  );
  const bytes = new Uint8Array(await res.arrayBuffer());
  const isJson = (res.headers.get('content-type') ?? '').includes('json');
  return {
    status: res.status,
    headers: res.headers,
    bytes,
    body: isJson ? JSON.parse(new TextDecoder().decode(bytes)) : undefined,
  };
};

export const downloadOk = async (token: string, path: string) => {
  const res = await download(token, path);
  if (res.status !== 200) throw new Error(`download ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res;
};

// ---------------------------------------------------------------------------------------------
// Parsers: tests read the files, not just their sizes.

/** The text of a PDF as a reader gets it (pdf.js through unpdf). */
export const pdfText = async (bytes: Uint8Array) => {
  const { extractText, getDocumentProxy } = await import('unpdf');
  const proxy = await getDocumentProxy(bytes.slice());
  const { text } = await extractText(proxy, { mergePages: true });
  return { pages: proxy.numPages, text: text as unknown as string };
};

const decodeXml = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

/** Paragraph texts of a DOCX body: the <w:t> runs of each <w:p>, joined. */
export const docxParagraphs = async (bytes: Uint8Array): Promise<string[]> => {
  const xml = await (await openZip(bytes)).read('word/document.xml');
  return [...xml.matchAll(/<w:p[ >][\s\S]*?<\/w:p>/g)]
    .map((p) => [...p[0].matchAll(/<w:t(?:\s[^>]*)?>([^<]*)<\/w:t>/g)].map((m) => decodeXml(m[1]!)).join(''))
    .filter((text) => text.length > 0);
};

/** Slides and their notes, in order, as lists of text runs. */
export const openDeck = async (bytes: Uint8Array) => {
  const zip = await openZip(bytes);
  const count = zip.names.filter((n) => /^ppt\/slides\/slide\d+\.xml$/.test(n)).length;
  const runs = (xml: string) => [...xml.matchAll(/<a:t>([^<]*)<\/a:t>/g)].map((m) => decodeXml(m[1]!));
  const slides: string[][] = [];
  const notes: string[][] = [];
  for (let i = 1; i <= count; i++) {
    slides.push(runs(await zip.read(`ppt/slides/slide${i}.xml`)));
    notes.push(runs(await zip.read(`ppt/notesSlides/notesSlide${i}.xml`)));
  }
  return { slides, notes };
};

export const loadWorkbook = async (bytes: Uint8Array) => {
  const mod: any = await import('exceljs');
  const ExcelJS = mod.default ?? mod;
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes);
  return workbook;
};

// ---------------------------------------------------------------------------------------------
// Stored state

export const r2Keys = async (orgId: string, area: Kind, id: string) =>
  (await env.FILES.list({ prefix: `tenants/${orgId}/${area}/${id}/` })).objects.map((o) => o.key);

export const countRows = async (table: 'documents' | 'jobs' | 'document_versions', column: string, value: string) => {
  const row = await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${column} = ?`)
    .bind(value)
    .first<{ n: number }>();
  return row?.n ?? 0;
};

export { expectError } from '../helpers/harness';
export type { ApiResponse };
export { openZip };
