import { describe, expect, it } from 'vitest';
import { makeEncryptedPdf } from '../helpers/files';
import { env, expectError, expectOk, type TestTenant } from '../helpers/harness';
import { eventually, openFeed } from '../jobs/helpers';
import {
  addPage,
  BOOKS,
  bookletObjects,
  createTenant,
  customerWith,
  downloadFile,
  generateBooklet,
  labelledPdf,
  makeForm,
  makeWorkbook,
  readBooklet,
  upload,
} from './helpers';

const squash = (text: string) => text.replace(/\s+/g, ' ');

/** A book with every page type: cover, form, choosable offer, sheet, terms range; contents first. */
const setUp = async (tenant: TestTenant, options: { rows?: number; toc?: boolean } = {}) => {
  const cover = await upload(tenant, await labelledPdf('Cover', 2), 'Cover.pdf');
  const form = await upload(
    tenant,
    await makeForm(['customer_name', 'revenue', 'city', 'greeting', 'motto', 'welcome']),
    'Registration.pdf',
  );
  const gold = await upload(tenant, await labelledPdf('Gold offer'), 'Gold.pdf');
  const silver = await upload(tenant, await labelledPdf('Silver offer'), 'Silver.pdf');
  const terms = await upload(tenant, await labelledPdf('Terms', 4), 'Terms.pdf');
  const workbook = await upload(tenant, await makeWorkbook(options.rows ?? 3), 'figures.xlsx');
  const book = expectOk(
    await tenant.as('POST', BOOKS, { body: { name: 'Annual pack', table_of_contents: options.toc ?? true } }),
    201,
  ).body.data;
  await addPage(tenant, book.id, { type: 'static', order_index: 0, upload_id: cover.id, config: { pages: '1' } });
  await addPage(tenant, book.id, {
    type: 'pdf_form',
    order_index: 1,
    upload_id: form.id,
    config: {
      field_map: {
        customer_name: 'name',
        revenue: 'revenue',
        city: 'city',
        greeting: 'greeting',
        motto: 'motto',
        welcome: 'welcome',
        consent: 'consent',
        region: 'region',
        tier: 'tier',
      },
    },
  });
  await addPage(tenant, book.id, {
    type: 'choosable',
    order_index: 2,
    title: 'Your offer',
    config: { fallback: 'skip' },
    conditions: [
      { attribute_key: 'tier', attribute_value: 'gold', target_upload_id: gold.id },
      { attribute_key: 'tier', attribute_value: 'silver', target_upload_id: silver.id },
    ],
  });
  await addPage(tenant, book.id, { type: 'excel', order_index: 3, config: { sheet: 'Sales' } });
  await addPage(tenant, book.id, { type: 'static', order_index: 4, upload_id: terms.id, config: { pages: '2-3' } });
  return { book, cover, form, gold, silver, terms, workbook };
};

describe('POST /books/{id}/generate', () => {
  it('builds one merged PDF per customer: pages chosen by attributes, forms filled and flattened, sheets as tables, contents, bookmarks, page numbers', async () => {
    const tenant = await createTenant();
    const { book, workbook, gold, silver } = await setUp(tenant);
    const alice = await customerWith(tenant, 'Ελένη Иванова 王芳', [
      { key: 'name', value: 'Ελένη Ιωάννου Иванова' },
      { key: 'city', value: '東京 北京' },
      { key: 'greeting', value: '안녕하세요' },
      { key: 'motto', value: 'नमस्ते दुनिया' },
      { key: 'welcome', value: 'مرحبا' },
      { key: 'revenue', value: '100', year: 2024, quarter: 4 },
      { key: 'revenue', value: '250', year: 2025, quarter: 1 },
      { key: 'consent', value: true },
      { key: 'region', value: 'South' },
      { key: 'tier', value: 'gold' },
    ]);
    const bob = await customerWith(tenant, 'Bob Stone', [
      { key: 'name', value: 'Bob Stone' },
      { key: 'revenue', value: '75' },
      { key: 'tier', value: 'silver' },
    ]);
    const carol = await customerWith(tenant, 'Carol', [{ key: 'name', value: 'Carol' }]);

    const job = await generateBooklet(tenant, book.id, { customer_id: alice.id, spreadsheet_upload_id: workbook.id });
    expect(job).toMatchObject({ status: 'done', type: 'booklet.generate', resource_id: book.id });
    const { result } = job;
    // Contents (1) + cover (1) + form (1) + offer (1) + sheet (1) + terms 2–3 (2).
    expect(result).toMatchObject({ page_count: 7, filename: 'Annual-pack-Ελένη-Иванова-王芳.pdf' });
    expect(result.entries.map((e: any) => [e.title, e.start_page, e.page_count])).toEqual([
      ['Cover', 2, 1],
      ['Registration', 3, 1],
      ['Your offer', 4, 1],
      ['Sales', 5, 1],
      ['Terms', 6, 2],
    ]);
    expect(result.entries[2].chosen_upload_id).toBe(gold.id);

    const file = await downloadFile(tenant, result.file_id);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('application/pdf');
    expect(Number(file.headers.get('content-length'))).toBe(file.bytes.byteLength);
    const { pages, outline, info } = await readBooklet(file.bytes);
    expect(pages).toHaveLength(7);
    pages.forEach((text, i) => {
      expect(squash(text)).toContain(`${i + 1} / 7`);
    });
    expect(squash(pages[0])).toMatch(/Contents.*Cover 2.*Registration 3.*Your offer 4.*Sales 5.*Terms 6/);
    expect(pages[1]).toContain('Cover page 1');
    expect(pages[1]).not.toContain('Cover page 2');
    expect(pages[2]).toContain('Registration form');
    expect(pages[2]).toContain('Ελένη Ιωάννου Иванова');
    expect(pages[2]).toContain('東京 北京');
    expect(pages[2]).toContain('안녕하세요');
    // Devanagari is shaped: the vowel sign ि is drawn (and so read back) before its consonant.
    expect(pages[2].replace(/\s/g, '')).toContain('नमस्तेदुिनया');
    // Arabic is drawn shaped, right to left: its letters are all there (marks map to U+034F).
    const arabic = pages[2].replace(/\u034F/g, '');
    for (const letter of 'مرحبا') expect(arabic).toContain(letter);
    expect(pages[2]).not.toMatch(/[?\uFFFD]/);
    expect(pages[2]).toContain('250'); // the latest period
    expect(pages[2]).not.toContain('100');
    expect(pages[2]).toContain('South');
    expect(pages[3]).toContain('Gold offer');
    expect(squash(pages[4])).toContain('Region Amount Share Closed');
    expect(squash(pages[4])).toContain('Zürich Ελλάδα Москва 東京 1,234.50 12.5% 2025-03-31');
    expect(pages[4].replace(/\s/g, '')).toContain('서울नमस्तेदुिनया');
    expect(pages[4]).not.toMatch(/[?\uFFFD]/);
    expect(pages[5]).toContain('Terms page 2');
    expect(pages[6]).toContain('Terms page 3');
    expect(outline).toEqual([
      { title: 'Contents', page: 1 },
      { title: 'Cover', page: 2 },
      { title: 'Registration', page: 3 },
      { title: 'Your offer', page: 4 },
      { title: 'Sales', page: 5 },
      { title: 'Terms', page: 6 },
    ]);
    expect(info.Title).toBe('Annual pack — Ελένη Иванова 王芳');
    expect(info.Subject).toContain('Ελένη Иванова 王芳');

    // No form is left: no fields, no widget annotations; the checkbox and radio are drawn in.
    const { PDFDocument, PDFName, PDFDict } = await import('pdf-lib');
    const merged = await PDFDocument.load(file.bytes);
    expect(merged.getForm().getFields()).toHaveLength(0);
    for (const page of merged.getPages()) {
      const annots = page.node.Annots();
      const widgets = (annots?.asArray() ?? []).filter((ref) => {
        const annot = merged.context.lookup(ref);
        return annot instanceof PDFDict && annot.get(PDFName.of('Subtype'))?.toString() === '/Widget';
      });
      expect(widgets).toHaveLength(0);
    }

    // Bob: the silver offer; Carol: no tier, so the offer is skipped (fallback skip), blank form fields.
    const bobJob = await generateBooklet(tenant, book.id, { customer_id: bob.id, spreadsheet_upload_id: workbook.id });
    const bobFile = await readBooklet((await downloadFile(tenant, bobJob.result.file_id)).bytes);
    expect(bobFile.pages[3]).toContain('Silver offer');
    expect(bobJob.result.entries[2].chosen_upload_id).toBe(silver.id);
    expect(bobFile.pages[2]).toContain('Bob Stone');
    const carolJob = await generateBooklet(tenant, book.id, {
      customer_id: carol.id,
      spreadsheet_upload_id: workbook.id,
    });
    expect(carolJob.status).toBe('done');
    expect(carolJob.result.page_count).toBe(6);
    expect(carolJob.result.skipped).toEqual([{ page_id: expect.any(String), title: 'Your offer' }]);
    const carolFile = await readBooklet((await downloadFile(tenant, carolJob.result.file_id)).bytes);
    expect(carolFile.outline.map((o) => o.title)).toEqual(['Contents', 'Cover', 'Registration', 'Sales', 'Terms']);
    expect(carolFile.pages.join(' ')).not.toMatch(/Gold offer|Silver offer/);

    // Files are listed, and another organization cannot see or download them.
    const listed = expectOk(await tenant.as('GET', `/api/v1/downloads?book_id=${book.id}`)).body;
    expect(listed.pagination.total).toBe(3);
    const other = await createTenant();
    expect((await downloadFile(other, result.file_id)).status).toBe(404);
    expect(expectOk(await other.as('GET', '/api/v1/downloads')).body.pagination.total).toBe(0);
  });

  it('reports progress per page on the job feed', async () => {
    const tenant = await createTenant();
    const { book, workbook } = await setUp(tenant, { toc: false });
    const customer = await customerWith(tenant, 'Dana', [{ key: 'tier', value: 'gold' }]);
    const feed = await openFeed({ authorization: `Bearer ${tenant.accessToken}` });
    const job = await generateBooklet(tenant, book.id, {
      customer_id: customer.id,
      spreadsheet_upload_id: workbook.id,
    });
    expect(job.status).toBe('done');
    await feed.waitFor(() => feed.events().some((e) => e.job_id === job.id && e.status === 'done'));
    const progress = feed.events().filter((e) => e.job_id === job.id && e.type === 'job.progress');
    expect(progress.map((e) => e.message)).toEqual([
      'Building 5 page(s)',
      'Page 1 of 5 done: Cover',
      'Page 2 of 5 done: Registration',
      'Page 3 of 5 done: Your offer',
      'Page 4 of 5 done: Sales',
      'Page 5 of 5 done: Terms',
      'Merged 6 PDF page(s)',
    ]);
    // The one who asked is told, in the app (and subscribed endpoints get booklet.ready).
    const notified = await eventually(async () => {
      const list = expectOk(await tenant.as('GET', '/api/v1/notifications')).body.data;
      return list.find((n: any) => n.type === 'booklet.ready');
    });
    expect(notified.title).toBe('Your booklet is ready');
    const percents = progress.map((e) => e.progress);
    expect([...percents].sort((a, b) => a - b)).toEqual(percents);
    feed.ws.close();
  });

  it('a long sheet becomes several table pages with the header repeated', async () => {
    const tenant = await createTenant();
    const { book, workbook } = await setUp(tenant, { rows: 120, toc: false });
    const customer = await customerWith(tenant, 'Eve', [{ key: 'tier', value: 'gold' }]);
    const job = await generateBooklet(tenant, book.id, {
      customer_id: customer.id,
      spreadsheet_upload_id: workbook.id,
    });
    const sheet = job.result.entries.find((e: any) => e.title === 'Sales');
    expect(sheet.page_count).toBeGreaterThan(1);
    const { pages } = await readBooklet((await downloadFile(tenant, job.result.file_id)).bytes);
    const tablePages = pages.slice(sheet.start_page - 1, sheet.start_page - 1 + sheet.page_count);
    for (const text of tablePages) expect(squash(text)).toContain('Region Amount Share Closed');
    expect(tablePages.join(' ')).toContain('Region 120');
    expect(pages.length).toBe(job.result.page_count);
  });

  it('checks the book before queueing: 400 naming the page (missing upload, missing sheet, no spreadsheet)', async () => {
    const tenant = await createTenant();
    const { book, workbook, terms } = await setUp(tenant);
    const customer = await customerWith(tenant, 'Fay', []);
    const noSheet = expectError(
      await tenant.as('POST', `${BOOKS}/${book.id}/generate`, { body: { customer_id: customer.id } }),
      400,
      'VALIDATION_ERROR',
    ).body.error;
    expect(noSheet.message).toMatch(/^Page 4 \(excel, order_index 3\): .*spreadsheet_upload_id/);
    expect(noSheet.details.fields.spreadsheet_upload_id).toBeDefined();

    const notes = await upload(tenant, await makeWorkbook(), 'other.xlsx');
    await env.DB.prepare(
      'UPDATE uploads SET info = json_set(info, \'$.sheets\', json(\'[{"name":"Notes"}]\')) WHERE id = ?',
    )
      .bind(notes.id)
      .run();
    const missingSheet = expectError(
      await tenant.as('POST', `${BOOKS}/${book.id}/generate`, {
        body: { customer_id: customer.id, spreadsheet_upload_id: notes.id },
      }),
      400,
      'VALIDATION_ERROR',
    ).body.error;
    expect(missingSheet.message).toBe(
      'Page 4 (excel, order_index 3): The workbook has no sheet "Sales" (it has "Notes")',
    );

    expect((await tenant.as('DELETE', `/api/v1/uploads/${terms.id}`)).status).toBe(204);
    const gone = expectError(
      await tenant.as('POST', `${BOOKS}/${book.id}/generate`, {
        body: { customer_id: customer.id, spreadsheet_upload_id: workbook.id },
      }),
      400,
      'VALIDATION_ERROR',
    ).body.error;
    expect(gone.message).toBe(`Page 5 (static, order_index 4): Upload ${terms.id} not found`);
    expect(gone.details).toMatchObject({ position: 5, order_index: 4 });

    expectError(
      await tenant.as('POST', `${BOOKS}/${book.id}/generate`, {
        body: { customer_id: 'cst_00000000000000000000000000000000' },
      }),
      404,
      'NOT_FOUND',
    );
    const other = await createTenant();
    const stranger = await customerWith(other, 'Stranger', []);
    expectError(
      await other.as('POST', `${BOOKS}/${book.id}/generate`, { body: { customer_id: stranger.id } }),
      404,
      'NOT_FOUND',
    );
  });

  it('ends the job in error naming the page for a broken or encrypted source or no matching condition; nothing is left', async () => {
    const tenant = await createTenant();
    const { book, workbook, cover, terms } = await setUp(tenant);
    const customer = await customerWith(tenant, 'Gil', []);
    const keyOf = async (id: string) =>
      (await env.DB.prepare('SELECT file_key FROM uploads WHERE id = ?').bind(id).first<{ file_key: string }>())!
        .file_key;

    // The choosable page with fallback error and no match.
    const offer = expectOk(await tenant.as('GET', `${BOOKS}/${book.id}/pages`)).body.data[2];
    expectOk(
      await tenant.as('PUT', `${BOOKS}/${book.id}/pages/${offer.id}`, {
        body: { type: 'choosable', order_index: 2, title: 'Your offer', config: { fallback: 'error' } },
      }),
    );
    const unmatched = await generateBooklet(tenant, book.id, {
      customer_id: customer.id,
      spreadsheet_upload_id: workbook.id,
    });
    expect(unmatched).toMatchObject({ status: 'error', error_code: 'NO_MATCHING_CONDITION' });
    expect(unmatched.error_message).toBe(
      `Page 3 (choosable "Your offer", order_index 2): no condition matches the customer's attributes ("tier") and the fallback is "error"`,
    );
    expectOk(
      await tenant.as('PUT', `${BOOKS}/${book.id}/pages/${offer.id}`, {
        body: { type: 'choosable', order_index: 2, title: 'Your offer', config: { fallback: 'skip' } },
      }),
    );

    await env.FILES.put(await keyOf(terms.id), new TextEncoder().encode('%PDF-1.7 this is not a PDF'));
    const broken = await generateBooklet(tenant, book.id, {
      customer_id: customer.id,
      spreadsheet_upload_id: workbook.id,
    });
    expect(broken).toMatchObject({ status: 'error', error_code: 'SOURCE_PDF_INVALID' });
    expect(broken.error_message).toBe('Page 5 (static, order_index 4): the PDF is damaged and cannot be read');

    await env.FILES.put(await keyOf(cover.id), makeEncryptedPdf());
    const encrypted = await generateBooklet(tenant, book.id, {
      customer_id: customer.id,
      spreadsheet_upload_id: workbook.id,
    });
    expect(encrypted).toMatchObject({ status: 'error', error_code: 'SOURCE_PDF_ENCRYPTED' });
    expect(encrypted.error_message).toMatch(/^Page 1 \(static, order_index 0\): the PDF is encrypted/);

    expect(await bookletObjects(tenant.orgId)).toEqual([]);
    const rows = await env.DB.prepare('SELECT count(*) AS n FROM booklet_files WHERE org_id = ?')
      .bind(tenant.orgId)
      .first<{ n: number }>();
    expect(rows!.n).toBe(0);
  });

  it('a form with on_missing error fails naming the attribute; a specific period is taken when the page asks for it', async () => {
    const tenant = await createTenant();
    const form = await upload(tenant, await makeForm(['customer_name', 'revenue']), 'Form.pdf');
    const book = expectOk(await tenant.as('POST', BOOKS, { body: { name: 'Forms' } }), 201).body.data;
    const page = await addPage(tenant, book.id, {
      type: 'pdf_form',
      order_index: 0,
      upload_id: form.id,
      config: { field_map: { revenue: 'revenue' }, period: { year: 2024, quarter: 4 }, on_missing: 'error' },
    });
    const customer = await customerWith(tenant, 'Hal', [
      { key: 'revenue', value: '111', year: 2024, quarter: 4 },
      { key: 'revenue', value: '222', year: 2025, quarter: 2 },
    ]);
    const job = await generateBooklet(tenant, book.id, { customer_id: customer.id });
    expect(job.status).toBe('done');
    const { pages } = await readBooklet((await downloadFile(tenant, job.result.file_id)).bytes);
    expect(pages[0]).toContain('111');
    expect(pages[0]).not.toContain('222');

    expectOk(
      await tenant.as('PUT', `${BOOKS}/${book.id}/pages/${page.id}`, {
        body: {
          type: 'pdf_form',
          order_index: 0,
          upload_id: form.id,
          config: { field_map: { revenue: 'revenue' }, period: { year: 2023 }, on_missing: 'error' },
        },
      }),
    );
    const failed = await generateBooklet(tenant, book.id, { customer_id: customer.id });
    expect(failed).toMatchObject({ status: 'error', error_code: 'ATTRIBUTE_MISSING' });
    expect(failed.error_message).toBe(
      'Page 1 (pdf_form, order_index 0): the customer has no attribute "revenue" for 2023 (form field "revenue")',
    );
  });
});
