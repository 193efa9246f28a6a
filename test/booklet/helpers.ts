import { expect } from 'vitest';
import type { JobMessage } from '../../workers/env';
import { makePdf } from '../helpers/files';
import { env, expectOk, fetchWith, recordingClient, type TestTenant } from '../helpers/harness';
import { deliver, eventually, readJob } from '../jobs/helpers';

/** Requests through an env whose queue records messages; tests deliver them (runJob). */
const client = recordingClient();
export const sent: JobMessage[] = client.sent;
export const { createTenant } = client;

export const BOOKS = '/api/v1/books';

export const upload = async (tenant: TestTenant, bytes: Uint8Array, name: string) => {
  const form = new FormData();
  form.append('file', new File([bytes], name));
  return expectOk(await tenant.as('POST', '/api/v1/uploads', { rawBody: form }), 201).body.data as {
    id: string;
    [key: string]: unknown;
  };
};

/** A PDF of `pages` pages whose text says `label` and the page number. */
export const labelledPdf = (label: string, pages = 1) =>
  makePdf(Array.from({ length: pages }, (_, i) => ({ lines: [`${label} page ${i + 1}`] })));

/**
 * A one-page PDF form: a text field per name in `texts`, a checkbox `consent`, a dropdown `region`
 * (North, South) and a radio group `tier` (gold, silver).
 */
export const makeForm = async (texts: string[] = ['customer_name']) => {
  const { PDFDocument, StandardFonts } = await import('pdf-lib');
  const doc = await PDFDocument.create();
  const page = doc.addPage([595, 842]);
  const font = await doc.embedFont(StandardFonts.Helvetica);
  page.drawText('Registration form', { x: 50, y: 780, size: 16, font });
  const form = doc.getForm();
  texts.forEach((name, i) => {
    form.createTextField(name).addToPage(page, { x: 50, y: 700 - i * 40, width: 300, height: 24 });
  });
  form.createCheckBox('consent').addToPage(page, { x: 50, y: 400, width: 15, height: 15 });
  const dropdown = form.createDropdown('region');
  dropdown.addOptions(['North', 'South']);
  dropdown.addToPage(page, { x: 50, y: 350, width: 120, height: 20 });
  const radio = form.createRadioGroup('tier');
  radio.addOptionToPage('gold', page, { x: 50, y: 300, width: 15, height: 15 });
  radio.addOptionToPage('silver', page, { x: 80, y: 300, width: 15, height: 15 });
  return doc.save();
};

/**
 * A workbook: "Sales" (a header and `rows` rows: region, amount with #,##0.00, share with 0.0%,
 * date), "Notes" (two cells), "Hidden" (for ranges).
 */
export const makeWorkbook = async (rows = 3) => {
  const ExcelJS = (await import('exceljs')).default;
  const workbook = new ExcelJS.Workbook();
  const sales = workbook.addWorksheet('Sales');
  sales.columns = [
    { header: 'Region', key: 'region', width: 30 },
    { header: 'Amount', key: 'amount', width: 14, style: { numFmt: '#,##0.00' } },
    { header: 'Share', key: 'share', width: 10, style: { numFmt: '0.0%' } },
    { header: 'Closed', key: 'closed', width: 12, style: { numFmt: 'yyyy-mm-dd' } },
  ];
  for (let i = 0; i < rows; i += 1) {
    sales.addRow({
      region: i === 0 ? 'Zürich Ελλάδα Москва 東京' : i === 1 ? '서울 नमस्ते दुनिया' : `Region ${i + 1}`,
      amount: 1234.5 + i,
      share: 0.125,
      closed: new Date(Date.UTC(2025, 2, 31)),
    });
  }
  const notes = workbook.addWorksheet('Notes');
  notes.addRow(['Note', 'Owner']);
  notes.addRow(['Quarterly close', 'Finance']);
  return new Uint8Array(await workbook.xlsx.writeBuffer());
};

export const addPage = async (tenant: TestTenant, bookId: string, body: Record<string, unknown>) =>
  expectOk(await tenant.as('POST', `${BOOKS}/${bookId}/pages`, { body }), 201).body.data;

export const customerWith = async (
  tenant: TestTenant,
  name: string,
  attributes: { key: string; value: unknown; year?: number; quarter?: number }[],
) => {
  const customer = expectOk(await tenant.as('POST', '/api/v1/customers', { body: { name } }), 201).body.data;
  for (const body of attributes) {
    expectOk(await tenant.as('POST', `/api/v1/customers/${customer.id}/attributes`, { body }));
  }
  return customer as { id: string; name: string };
};

/** POST /books/{id}/generate, delivers its message, and waits for the job to end. */
export const generateBooklet = async (tenant: TestTenant, bookId: string, body: Record<string, unknown>) => {
  const job = expectOk(await tenant.as('POST', `${BOOKS}/${bookId}/generate`, { body }), 202).body.data.job;
  const message = sent.find((m) => m.job_id === job.id);
  expect(message).toBeDefined();
  await deliver(message);
  return eventually(async () => {
    const row = await readJob(job.id);
    if (!['done', 'error', 'cancelled'].includes(row.status)) return undefined;
    return expectOk(await tenant.as('GET', `/api/v1/jobs/${job.id}`)).body.data;
  }, 60_000);
};

export const downloadFile = async (tenant: TestTenant, fileId: string) => {
  const res = await fetchWith(
    new Request(`http://localhost/api/v1/downloads/${fileId}`, {
      headers: { authorization: `Bearer ${tenant.accessToken}` },
    }),
    client.env,
  );
  return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) };
};

/** Each page's text, the outline (title → page number from 1) and the document info. */
export const readBooklet = async (bytes: Uint8Array) => {
  const { extractText, getDocumentProxy } = await import('unpdf');
  const proxy = await getDocumentProxy(bytes.slice());
  const { text } = await extractText(proxy, { mergePages: false });
  const outline = await Promise.all(
    ((await proxy.getOutline()) ?? []).map(async (item: { title: string; dest: unknown }) => {
      const dest = (typeof item.dest === 'string' ? await proxy.getDestination(item.dest) : item.dest) as [unknown];
      return { title: item.title, page: (await proxy.getPageIndex(dest[0] as never)) + 1 };
    }),
  );
  const { info } = (await proxy.getMetadata()) as unknown as { info: Record<string, string> };
  return { pages: text as string[], outline, info };
};

/** What a booklet leaves in R2 for the tenant. */
export const bookletObjects = async (orgId: string) =>
  (await env.FILES.list({ prefix: `tenants/${orgId}/booklets/` })).objects.map((o) => o.key);
