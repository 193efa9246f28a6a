import { describe, expect, it } from 'vitest';
import { makeEncryptedPdf, makePdf, makeZip } from '../helpers/files';
import { call, createTenant, env, expectError, expectOk, type TestTenant } from '../helpers/harness';

const UPLOADS = '/api/v1/uploads';

const upload = (tenant: TestTenant, bytes: Uint8Array | string, name: string) => {
  const form = new FormData();
  form.append('file', new File([bytes], name));
  return call('POST', UPLOADS, { token: tenant.accessToken, rawBody: form });
};

/** A one-page PDF form with a text field, a checkbox, a dropdown and a radio group. */
const makeForm = async () => {
  const { PDFDocument } = await import('pdf-lib');
  const doc = await PDFDocument.create();
  const page = doc.addPage([595, 842]);
  doc.addPage([595, 842]);
  const form = doc.getForm();
  form.createTextField('customer.name').addToPage(page, { x: 50, y: 700, width: 200, height: 20 });
  form.createCheckBox('consent').addToPage(page, { x: 50, y: 650, width: 15, height: 15 });
  const dropdown = form.createDropdown('region');
  dropdown.addOptions(['North', 'South']);
  dropdown.addToPage(page, { x: 50, y: 600, width: 100, height: 20 });
  const radio = form.createRadioGroup('tier');
  radio.addOptionToPage('gold', page, { x: 50, y: 550, width: 15, height: 15 });
  radio.addOptionToPage('silver', page, { x: 80, y: 550, width: 15, height: 15 });
  return doc.save();
};

const makeWorkbook = async (sheets: string[]) => {
  const ExcelJS = (await import('exceljs')).default;
  const workbook = new ExcelJS.Workbook();
  for (const name of sheets) workbook.addWorksheet(name).addRow(['Year', 'Revenue']);
  return new Uint8Array(await workbook.xlsx.writeBuffer());
};

describe('POST /uploads', () => {
  it('a PDF form: its pages and form fields; stored in R2 with its SHA-256', async () => {
    const tenant = await createTenant();
    const bytes = await makeForm();
    const created = expectOk(await upload(tenant, bytes, 'intake form.pdf'), 201).body.data;
    expect(created).toMatchObject({
      kind: 'pdf',
      filename: 'intake form.pdf',
      size_bytes: bytes.byteLength,
      page_count: 2,
      sheets: null,
      form_fields: [
        { name: 'customer.name', type: 'text' },
        { name: 'consent', type: 'checkbox' },
        { name: 'region', type: 'dropdown' },
        { name: 'tier', type: 'radio' },
      ],
    });
    const digest = [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))]
      .map((b) => b.toString(16).padStart(2, '0'))
      .join('');
    expect(created.sha256).toBe(digest);
    const stored = await env.FILES.get(`tenants/${tenant.orgId}/uploads/${created.id}/original.pdf`);
    expect(new Uint8Array(await stored!.arrayBuffer())).toEqual(bytes);
    expect(expectOk(await tenant.as('GET', `${UPLOADS}/${created.id}`)).body.data).toEqual(created);

    const plain = expectOk(await upload(tenant, await makePdf([{ lines: ['Terms'] }]), 'terms.pdf'), 201).body.data;
    expect(plain).toMatchObject({ page_count: 1, form_fields: [] });
  });

  it('an XLSX workbook: its sheets, whatever its name says', async () => {
    const tenant = await createTenant();
    const created = expectOk(await upload(tenant, await makeWorkbook(['Revenue', 'Costs & "fees"']), 'data.bin'), 201)
      .body.data;
    expect(created).toMatchObject({
      kind: 'xlsx',
      page_count: null,
      form_fields: null,
      sheets: [{ name: 'Revenue' }, { name: 'Costs & "fees"' }],
    });
  });

  it('refuses what is not a PDF or a workbook (415), and what cannot be read (422), with the reason', async () => {
    const tenant = await createTenant();
    expectError(await upload(tenant, 'just some text', 'notes.pdf'), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectError(
      await upload(tenant, await makeZip({ 'readme.txt': 'hello' }), 'book.xlsx'),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    const broken = expectError(await upload(tenant, '%PDF-1.7\n1 0 obj garbage', 'broken.pdf'), 422, 'UNPROCESSABLE');
    expect(broken.body.error.details.reason).toBe('INVALID_PDF');
    const encrypted = expectError(await upload(tenant, makeEncryptedPdf(), 'secret.pdf'), 422, 'UNPROCESSABLE');
    expect(encrypted.body.error.details.reason).toBe('PDF_ENCRYPTED');
    expectError(await upload(tenant, '', 'empty.pdf'), 400, 'VALIDATION_ERROR');
    // Not multipart at all.
    expectError(await call('POST', UPLOADS, { token: tenant.accessToken, body: {} }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(expectOk(await tenant.as('GET', UPLOADS)).body.data).toEqual([]);
  });
});

describe('GET /uploads and DELETE /uploads/{id}', () => {
  it('lists newest first with a kind filter, deletes file and row, and another organization’s uploads are 404', async () => {
    const tenant = await createTenant();
    const pdf = expectOk(await upload(tenant, await makePdf([{ lines: ['A'] }]), 'a.pdf'), 201).body.data;
    const xlsx = expectOk(await upload(tenant, await makeWorkbook(['S']), 's.xlsx'), 201).body.data;
    const all = expectOk(await tenant.as('GET', `${UPLOADS}?page_size=1`)).body;
    expect(all.data.map((u: any) => u.id)).toEqual([xlsx.id]);
    expect(all.pagination.total).toBe(2);
    expect(expectOk(await tenant.as('GET', `${UPLOADS}?kind=pdf`)).body.data.map((u: any) => u.id)).toEqual([pdf.id]);

    const stranger = await createTenant();
    expectError(await stranger.as('GET', `${UPLOADS}/${pdf.id}`), 404, 'NOT_FOUND');
    expectError(await stranger.as('DELETE', `${UPLOADS}/${pdf.id}`), 404, 'NOT_FOUND');
    expect(expectOk(await stranger.as('GET', UPLOADS)).body.data).toEqual([]);

    expect((await tenant.as('DELETE', `${UPLOADS}/${pdf.id}`)).status).toBe(204);
    expectError(await tenant.as('GET', `${UPLOADS}/${pdf.id}`), 404, 'NOT_FOUND');
    expect(await env.FILES.get(`tenants/${tenant.orgId}/uploads/${pdf.id}/original.pdf`)).toBeNull();
  });
});
