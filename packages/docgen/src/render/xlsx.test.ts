import { AppError } from '@flowspark/core';
import { describe, expect, it } from 'vitest';
import { DocumentModel, type DocumentModelInput } from '../model';
import { buildSampleTable } from '../sample';
import { renderXlsx, sheetName, XLSX_MAX_CELLS, XLSX_MAX_ROWS_PER_SHEET } from './xlsx';

const loadWorkbook = async (bytes: Uint8Array) => {
  const mod: any = await import('exceljs');
  const ExcelJS = mod.default ?? mod;
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes);
  return workbook;
};

const loadZip = async (bytes: Uint8Array) => {
  const mod: any = await import('jszip');
  return (mod.default ?? mod).loadAsync(bytes);
};

const model = (input: DocumentModelInput) => DocumentModel.parse(input);

const report = model({
  title: 'Quarterly report — Zürich 東京 🚀',
  subtitle: 'Sales and operations',
  metadata: { author: 'Zoë Ångström', subject: 'Q3 figures', keywords: ['sales', 'q3'], language: 'en' },
  sections: [
    {
      heading: 'Summary',
      blocks: [
        { type: 'paragraph', text: 'Revenue grew 12 % in Q3.' },
        { type: 'bullets', items: ['First point', 'Second point'] },
        { type: 'bullets', items: ['Step one'], ordered: true },
      ],
    },
    {
      heading: 'Figures',
      blocks: [
        { type: 'heading', text: 'By city', level: 2 },
        {
          type: 'table',
          caption: 'Sales by city',
          sheet_name: 'Sales',
          columns: ['City', 'Revenue', 'Growth', 'Target met', 'Comment'],
          rows: [
            ['東京', 1250000, 0.125, true, '顧客満足度が高い'],
            ['Zürich', 830000.5, -0.02, false, 'Rocket launch 🚀'],
            ['São Paulo', 0, null, true, null],
          ],
        },
        { type: 'table', caption: 'Plan: Q4/Q1 [draft]?', columns: ['Item', 'Cost'], rows: [['Hiring', 12]] },
        { type: 'table', columns: ['A'], rows: [[1], [2]] },
        { type: 'table', sheet_name: 'SALES', columns: ['Dup'], rows: [['x']] },
        { type: 'image', data_base64: 'iVBORw0KGgo=', alt: 'A chart' },
      ],
    },
  ],
});

describe('renderXlsx', () => {
  it('writes an overview sheet and one sheet per table with typed cells and Unicode intact', async () => {
    const file = await renderXlsx(report);
    expect(file.extension).toBe('xlsx');
    expect(file.contentType).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');

    const wb = await loadWorkbook(file.bytes);
    expect(wb.worksheets.map((ws: any) => ws.name)).toEqual([
      'Overview',
      'Sales',
      'Plan Q4 Q1 draft',
      'Table 3',
      'SALES (2)',
    ]);
    expect(wb.title).toBe('Quarterly report — Zürich 東京 🚀');
    expect(wb.creator).toBe('Zoë Ångström');
    expect(wb.subject).toBe('Q3 figures');
    expect(wb.keywords).toBe('sales, q3');

    const sales = wb.getWorksheet('Sales');
    expect(sales.getRow(1).values.slice(1)).toEqual(['City', 'Revenue', 'Growth', 'Target met', 'Comment']);
    expect(sales.getCell('A1').font?.bold).toBe(true);
    expect(sales.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(sales.autoFilter).toBe('A1:E4');
    expect(sales.getCell('A2').value).toBe('東京');
    expect(sales.getCell('B2').value).toBe(1250000);
    expect(typeof sales.getCell('B3').value).toBe('number');
    expect(sales.getCell('B3').value).toBe(830000.5);
    expect(sales.getCell('C3').value).toBe(-0.02);
    expect(sales.getCell('D2').value).toBe(true);
    expect(sales.getCell('D3').value).toBe(false);
    expect(sales.getCell('C4').value).toBeNull();
    expect(sales.getCell('E2').value).toBe('顧客満足度が高い');
    expect(sales.getCell('E3').value).toBe('Rocket launch 🚀');
    expect(sales.rowCount).toBe(4);
    // Widths follow content: the CJK comment column is wider than the short boolean one.
    expect(sales.getColumn(5).width).toBeGreaterThan(sales.getColumn(4).width);
    expect(sales.getColumn(5).width).toBeLessThanOrEqual(60);

    const overview = wb.getWorksheet('Overview');
    const texts: string[] = [];
    overview.eachRow((row: any) => {
      for (const v of row.values) if (typeof v === 'string') texts.push(v);
    });
    expect(overview.getCell('A1').value).toBe('Quarterly report — Zürich 東京 🚀');
    expect(overview.getCell('A2').value).toBe('Sales and operations');
    expect(overview.getColumn(2).width).toBe(100);
    expect(overview.getRow(1).height).toBe(30);
    expect(texts).toEqual(
      expect.arrayContaining([
        'Author',
        'Zoë Ångström',
        'Summary',
        'Revenue grew 12 % in Q3.',
        '• First point',
        '1. Step one',
        'By city',
        'Sales by city: see sheet "Sales" (3 rows)',
        'A chart',
      ]),
    );
  });

  it('yields a useful workbook for a document without tables', async () => {
    const file = await renderXlsx(
      model({
        title: 'Notes',
        sections: [
          {
            heading: 'Ideas',
            blocks: [
              { type: 'paragraph', text: 'Line one\nline two' },
              { type: 'bullets', items: ['α', 'β'] },
            ],
          },
        ],
      }),
    );
    const wb = await loadWorkbook(file.bytes);
    expect(wb.worksheets.map((ws: any) => ws.name)).toEqual(['Overview']);
    const overview = wb.getWorksheet('Overview');
    expect(overview.getCell('A1').value).toBe('Notes');
    expect(overview.getCell('A3').value).toBe('Ideas');
    expect(overview.getCell('B4').value).toBe('Line one\nline two');
    expect(overview.getCell('B5').value).toBe('• α');
    expect(overview.getCell('B6').value).toBe('• β');
  });

  it('drops characters XML cannot carry instead of producing a broken file', async () => {
    const file = await renderXlsx(
      model({
        title: 'Bad\u0000 title\u0007',
        sections: [{ blocks: [{ type: 'table', columns: ['x\u0001'], rows: [['a\u0008b\uD800c'], ['<&>"']] }] }],
      }),
    );
    const wb = await loadWorkbook(file.bytes);
    expect(wb.title).toBe('Bad title');
    const sheet = wb.getWorksheet('Table 1');
    expect(sheet.getCell('A1').value).toBe('x');
    expect(sheet.getCell('A2').value).toBe('abc');
    expect(sheet.getCell('A3').value).toBe('<&>"');
  });

  it('writes the sample table as one sheet with its dimension, filter and rows', async () => {
    // The 100,000-row render is a benchmark: bench/render-case.ts xlsx-100k.
    const table = buildSampleTable(1_000);
    expect(table.columns).toHaveLength(8);
    expect(table.rows).toHaveLength(1_000);
    const file = await renderXlsx(model({ title: 'Orders', sections: [{ blocks: [table] }] }));
    const zip = await loadZip(file.bytes);
    const xml: string = await zip.file('xl/worksheets/sheet2.xml').async('string');
    expect(xml).toContain('<dimension ref="A1:H1001"/>');
    expect(xml).toContain('<autoFilter ref="A1:H1001"/>');
    expect(xml).toContain('<row r="1001"><c r="A1001"><v>1000</v></c>');
    expect(xml.endsWith('</worksheet>')).toBe(true);
  });

  it('round-trips a sample table through exceljs', async () => {
    const table = buildSampleTable(2_000, 10);
    const file = await renderXlsx(model({ title: 'Orders', sections: [{ blocks: [table] }] }));
    const sheet = (await loadWorkbook(file.bytes)).getWorksheet('Orders');
    expect(sheet.rowCount).toBe(2_001);
    expect(sheet.getRow(1).values.slice(1)).toEqual(table.columns);
    const last = table.rows[1_999]!;
    expect(sheet.getRow(2_001).values.slice(1)).toEqual(last.map((v) => v ?? undefined));
  });

  it('refuses a table over the row cap before doing any work', async () => {
    const rows = new Array(XLSX_MAX_ROWS_PER_SHEET + 1).fill([]);
    const doc = model({ title: 'Big', sections: [{ blocks: [{ type: 'table', columns: ['a'], rows: [] }] }] });
    (doc.sections[0]!.blocks[0] as any).rows = rows;
    const err = await renderXlsx(doc).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('PAYLOAD_TOO_LARGE');
    expect(err.status).toBe(413);
    expect(err.message).toContain('150,000');
    expect(err.details).toEqual({ limit: XLSX_MAX_ROWS_PER_SHEET, actual: XLSX_MAX_ROWS_PER_SHEET + 1 });
  });

  it('refuses a workbook over the cell cap', async () => {
    const row = new Array(20).fill(1);
    const rows = new Array(Math.floor(XLSX_MAX_CELLS / 20) + 1).fill(row);
    const doc = model({ title: 'Wide', sections: [{ blocks: [{ type: 'table', columns: ['a'], rows: [] }] }] });
    (doc.sections[0]!.blocks[0] as any).rows = rows;
    const err = await renderXlsx(doc).catch((e) => e);
    expect(err.code).toBe('PAYLOAD_TOO_LARGE');
    expect(err.details).toEqual({ limit: XLSX_MAX_CELLS, actual: rows.length * 20 });
  });
});

describe('sheetName', () => {
  it('follows Excel rules: forbidden characters, 31 characters, unique regardless of case', () => {
    const used = new Set<string>();
    expect(sheetName('Q1/Q2: [plan]*?\\', 'Table 1', used)).toBe('Q1 Q2 plan');
    expect(sheetName('q1 q2 PLAN', 'Table 2', used)).toBe('q1 q2 PLAN (2)');
    expect(sheetName(undefined, 'Table 3', used)).toBe('Table 3');
    expect(sheetName("  'quoted'  ", 'Table 4', used)).toBe('quoted');
    expect(sheetName('History', 'Table 5', used)).toBe('Table 5');
    expect(sheetName('***', 'Table 6', used)).toBe('Table 6');
    const long = sheetName('A very long sheet name that keeps going on', 'x', used);
    expect(long).toBe('A very long sheet name that kee');
    expect(sheetName('A very long sheet name that keeps going', 'x', used)).toBe('A very long sheet name that (2)');
    // 30 characters then an emoji (2 UTF-16 units): the emoji is dropped whole, not split.
    const emoji = sheetName(`${'x'.repeat(30)}😀`, 'x', used);
    expect(emoji).toBe('x'.repeat(30));
  });
});
