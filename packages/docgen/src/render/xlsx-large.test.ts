import { openArchive } from '@flowspark/archive';
import { describe, expect, it } from 'vitest';
import { DocumentModel } from '../model';
import { renderXlsx } from './xlsx';

// Runs in Node and in workerd (vitest.config.ts): the sheet is written through reused chunks, which
// is safe only because each runtime's ZIP deflater is done with a chunk before the next is written.

const ROWS = 25_000;
const CITIES = ['Zürich', '東京', 'São Paulo', '서울', 'Reykjavík 🚀'];
const EDGES = [
  0,
  -0,
  2_147_483_647,
  2_147_483_648,
  -1,
  -2_147_483_648,
  1e21,
  4.5e-7,
  0.1 + 0.2,
  -1234.5678,
  2 ** 53 - 1,
];
const NOTES = ['<&>" escaped', ' leading space', 'trailing space ', 'two\nlines', '顧客満足度 😀'];
const LONG = `${'Long note '.repeat(399)}end.`;

type Cell = string | number | boolean | null;

const bigTable = (): Cell[][] =>
  Array.from({ length: ROWS }, (_, r) => [
    r + 1,
    `Customer ${r + 1}`,
    CITIES[r % CITIES.length]!,
    ((r * 7_919) % 1_000_000) / 100,
    1 + (r % 50),
    r % 3 !== 0,
    EDGES[r % EDGES.length]!,
    r % 5_000 === 4_999 ? LONG : r % 5 === 0 ? NOTES[(r / 5) % NOTES.length]! : null,
  ]);

const loadWorkbook = async (bytes: Uint8Array) => {
  const mod: any = await import('exceljs');
  const ExcelJS = mod.default ?? mod;
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes);
  return workbook;
};

describe('renderXlsx, a large sheet', () => {
  it('reads back cell for cell through exceljs, with its widths, types and a second sheet after it', async () => {
    const rows = bigTable();
    const model = DocumentModel.parse({
      title: 'Orders',
      sections: [
        {
          blocks: [
            {
              type: 'table',
              sheet_name: 'Orders',
              columns: ['ID', 'Customer', 'City', 'Amount', 'Quantity', 'Paid', 'Edge', 'Note'],
              rows,
            },
            { type: 'table', sheet_name: 'After', columns: ['Done'], rows: [['yes ✅'], [1]] },
          ],
        },
      ],
    });
    const file = await renderXlsx(model);

    // Every entry inflates to its declared size and CRC-32.
    const archive = openArchive(file.bytes);
    await archive.verify();
    // Inline strings: no shared-string table.
    expect(archive.entries.map((e) => e.name)).not.toContain('xl/sharedStrings.xml');
    const xml = await archive.readText(archive.get('xl/worksheets/sheet2.xml')!);
    expect(xml).toContain(`<dimension ref="A1:H${ROWS + 1}"/>`);
    expect(xml.endsWith('</worksheet>')).toBe(true);

    const workbook = await loadWorkbook(file.bytes);
    expect(workbook.worksheets.map((s: any) => s.name)).toEqual(['Overview', 'Orders', 'After']);
    const sheet = workbook.getWorksheet('Orders');
    expect(sheet.rowCount).toBe(ROWS + 1);
    expect(sheet.autoFilter).toBe(`A1:H${ROWS + 1}`);
    expect(sheet.getCell('A1').font?.bold).toBe(true);
    // The column width is its widest cell or header (+3 for the filter button) plus 2, between 8
    // and 60, East Asian characters and emoji counting double, numbers at most 12.
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((c) => sheet.getColumn(c).width)).toEqual([8, 16, 14, 11, 13, 9, 14, 60]);

    const mismatches: string[] = [];
    for (let r = 0; r < ROWS && mismatches.length < 5; r++) {
      const row = sheet.getRow(r + 2);
      rows[r]!.forEach((expected, c) => {
        const actual = row.getCell(c + 1).value;
        // -0 is written as 0, as Excel has no negative zero.
        const want = expected === 0 ? 0 : expected;
        if (!Object.is(actual, want)) mismatches.push(`row ${r + 2} column ${c + 1}: ${actual} for ${want}`);
      });
    }
    expect(mismatches).toEqual([]);

    // Numbers and booleans are typed cells in the default (General) format; text is text.
    expect(sheet.getCell('D3').type).toBe(2); // ValueType.Number
    expect(sheet.getCell('D3').numFmt).toBeUndefined();
    expect(sheet.getCell('F3').type).toBe(9); // ValueType.Boolean
    expect(sheet.getCell('C3').type).toBe(3); // ValueType.String

    const after = workbook.getWorksheet('After');
    expect(after.getRow(2).values.slice(1)).toEqual(['yes ✅']);
    expect(after.getRow(3).values.slice(1)).toEqual([1]);
  });
});
