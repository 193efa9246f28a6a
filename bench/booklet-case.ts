// The booklet bench case (bench/workerd-render): a book of 50 source PDFs (10 pages each), 10 PDF
// forms and 5 sheet pages, with a table of contents, built for one customer. The sources are made
// here, in memory, by the same libraries a team's files would come from.
import type { PageWithConditions } from '@flowspark/booklet/books';
import type { BookletInput } from '@flowspark/booklet/generate';
import type { UploadFacts } from '@flowspark/booklet/pages';

const SOURCES = 50;
const SOURCE_PAGES = 10;
const FORMS = 10;
const SHEETS = 5;

const page = (i: number, type: PageWithConditions['type'], uploadId: string | null, config: Record<string, unknown>) =>
  ({
    id: `bpg_${String(i).padStart(32, '0')}`,
    orgId: 'org_bench',
    bookId: 'bok_bench',
    type,
    orderIndex: i,
    title: null,
    uploadId,
    config,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    conditions: [],
  }) satisfies PageWithConditions;

/** The book, its uploads (bytes in memory) and the customer: everything but the fonts. */
export const buildBookletCase = async (): Promise<Omit<BookletInput, 'fonts'>> => {
  const { PDFDocument, StandardFonts } = await import('pdf-lib');
  const files = new Map<string, Uint8Array>();
  const uploads = new Map<string, UploadFacts>();
  const pages: PageWithConditions[] = [];
  for (let s = 0; s < SOURCES; s += 1) {
    const doc = await PDFDocument.create();
    const font = await doc.embedFont(StandardFonts.Helvetica);
    for (let p = 0; p < SOURCE_PAGES; p += 1) {
      const pdfPage = doc.addPage([595, 842]);
      for (let line = 0; line < 40; line += 1) {
        pdfPage.drawText(`Source ${s + 1}, page ${p + 1}, line ${line + 1}: the terms of the agreement.`, {
          x: 50,
          y: 780 - line * 18,
          size: 10,
          font,
        });
      }
    }
    const id = `upl_src${s}`;
    files.set(id, await doc.save());
    uploads.set(id, {
      id,
      kind: 'pdf',
      filename: `Section ${s + 1}.pdf`,
      info: { kind: 'pdf', page_count: SOURCE_PAGES, form_fields: [] },
    });
  }
  for (let f = 0; f < FORMS; f += 1) {
    const doc = await PDFDocument.create();
    const pdfPage = doc.addPage([595, 842]);
    const form = doc.getForm();
    const names = ['name', 'city', 'plan', 'revenue'];
    names.forEach((name, i) => {
      form.createTextField(name).addToPage(pdfPage, { x: 50, y: 700 - i * 40, width: 300, height: 24 });
    });
    form.createCheckBox('consent').addToPage(pdfPage, { x: 50, y: 500, width: 15, height: 15 });
    const id = `upl_form${f}`;
    files.set(id, await doc.save());
    uploads.set(id, {
      id,
      kind: 'pdf',
      filename: `Form ${f + 1}.pdf`,
      info: {
        kind: 'pdf',
        page_count: 1,
        form_fields: [...names.map((name) => ({ name, type: 'text' as const })), { name: 'consent', type: 'checkbox' }],
      },
    });
  }
  const ExcelJS = (await import('exceljs')).default;
  const workbook = new ExcelJS.Workbook();
  for (let w = 0; w < SHEETS; w += 1) {
    const sheet = workbook.addWorksheet(`Sheet ${w + 1}`);
    sheet.columns = [
      { header: 'Region', width: 24 },
      { header: 'Amount', width: 12, style: { numFmt: '#,##0.00' } },
      { header: 'Share', width: 10, style: { numFmt: '0.0%' } },
    ];
    for (let r = 0; r < 40; r += 1) sheet.addRow([`Region ${r + 1}`, 1000 + r * 12.5, r / 40]);
  }
  files.set('upl_book', new Uint8Array(await workbook.xlsx.writeBuffer()));
  uploads.set('upl_book', {
    id: 'upl_book',
    kind: 'xlsx',
    filename: 'figures.xlsx',
    info: { kind: 'xlsx', sheets: Array.from({ length: SHEETS }, (_, w) => ({ name: `Sheet ${w + 1}` })) },
  });

  // Sources, with a form after every fifth and a sheet after every tenth.
  let order = 0;
  for (let s = 0; s < SOURCES; s += 1) {
    pages.push(page(order++, 'static', `upl_src${s}`, {}));
    if (s % 5 === 4) {
      pages.push(
        page(order++, 'pdf_form', `upl_form${(s - 4) / 5}`, {
          field_map: { name: 'name', city: 'city', plan: 'plan', revenue: 'revenue', consent: 'consent' },
          on_missing: 'blank',
        }),
      );
    }
    if (s % 10 === 9) pages.push(page(order++, 'excel', null, { sheet: `Sheet ${(s - 9) / 10 + 1}`, header: true }));
  }
  return {
    book: { name: 'Bench booklet', tableOfContents: true },
    customer: { name: 'Ada Lovelace', externalId: 'C-1' },
    pages,
    attributes: [
      { key: 'name', value: 'Ada Lovelace', year: null, quarter: null },
      { key: 'city', value: 'London', year: null, quarter: null },
      { key: 'plan', value: 'Enterprise', year: null, quarter: null },
      { key: 'revenue', value: '1,250,000', year: 2025, quarter: 4 },
      { key: 'consent', value: 'true', year: null, quarter: null },
    ],
    uploads,
    spreadsheetUploadId: 'upl_book',
    read: async (id) => files.get(id) ?? null,
  };
};
