import { describe, expect, it } from 'vitest';
import { checkPage, chooseUpload, parseCellRange, parsePageRange, type UploadFacts } from './pages';
import { readSheet, SheetError } from './sheet';

const pdf = (id: string, pageCount: number, fields: string[] = []): UploadFacts => ({
  id,
  kind: 'pdf',
  filename: `${id}.pdf`,
  info: { kind: 'pdf', page_count: pageCount, form_fields: fields.map((name) => ({ name, type: 'text' })) },
});

describe('page ranges and cell ranges', () => {
  it('turns "1-3,5" into 0-based indices in the order given, and refuses what is outside', () => {
    expect(parsePageRange('1-3,5', 5)).toEqual([0, 1, 2, 4]);
    expect(parsePageRange(' 4 , 2 - 3 ', 4)).toEqual([3, 1, 2]);
    expect(parsePageRange('1-6', 5)).toBeNull();
    expect(parsePageRange('3-2', 5)).toBeNull();
    expect(parsePageRange('0', 5)).toBeNull();
  });
  it('reads A1 ranges either way round', () => {
    expect(parseCellRange('B2:D10')).toEqual({ top: 2, left: 2, bottom: 10, right: 4 });
    expect(parseCellRange('AA10:a1')).toEqual({ top: 1, left: 1, bottom: 10, right: 27 });
    expect(parseCellRange('A1-B2')).toBeNull();
  });
});

describe('checkPage and chooseUpload', () => {
  it('names each problem by field', () => {
    const uploads = new Map([
      ['a', pdf('a', 2, ['name'])],
      ['b', pdf('b', 1)],
    ]);
    expect(checkPage({ type: 'static', uploadId: 'b', config: { pages: '1' }, conditions: [] }, uploads)).toEqual([]);
    expect(checkPage({ type: 'static', uploadId: 'b', config: { pages: '2' }, conditions: [] }, uploads)).toEqual([
      { field: 'config.pages', message: `"2" is not within the PDF's 1 page(s)` },
    ]);
    expect(
      checkPage(
        {
          type: 'pdf_form',
          uploadId: 'a',
          config: { field_map: { name: 'n', x: 'y' }, on_missing: 'blank' },
          conditions: [],
        },
        uploads,
      ),
    ).toEqual([{ field: 'config.field_map.x', message: 'The form has no field "x"' }]);
    expect(
      checkPage(
        { type: 'choosable', uploadId: null, config: { fallback: 'skip' }, conditions: [{ targetUploadId: 'z' }] },
        uploads,
      ),
    ).toEqual([{ field: 'conditions.0.target_upload_id', message: 'Upload z not found' }]);
  });
  it('takes the first condition whose attribute has the value', () => {
    const conditions = [
      { attributeKey: 'tier', attributeValue: 'gold', targetUploadId: 'g' },
      { attributeKey: 'region', attributeValue: 'EU', targetUploadId: 'e' },
      { attributeKey: 'tier', attributeValue: 'silver', targetUploadId: 's' },
    ];
    expect(chooseUpload(conditions, { tier: 'silver', region: 'EU ' })).toBe('e');
    expect(chooseUpload(conditions, { tier: 'gold', region: 'EU' })).toBe('g');
    expect(chooseUpload(conditions, { tier: 'bronze' })).toBeNull();
  });
});

describe('readSheet', () => {
  const workbook = async () => {
    const ExcelJS = (await import('exceljs')).default;
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('Data');
    sheet.columns = [
      { header: 'Name', width: 20 },
      { header: 'Secret', width: 5, hidden: true } as never,
      { header: 'Amount', width: 10, style: { numFmt: '#,##0.00' } },
      { header: 'When', style: { numFmt: 'd mmm yyyy' } },
    ];
    sheet.addRow(['Ann', 'x', 1234567.891, new Date(Date.UTC(2025, 0, 15))]);
    sheet.addRow([{ richText: [{ text: 'Bo' }, { text: 'b' }] }, 'y', { formula: '1+1', result: 2 }, null]);
    sheet.addRow([]);
    return new Uint8Array(await book.xlsx.writeBuffer());
  };
  it('formats cells as the sheet shows them, skips hidden columns, takes widths, and drops empty trailing rows', async () => {
    const table = await readSheet(await workbook(), 'Data');
    expect(table.columns).toEqual(['Name', 'Amount', 'When']);
    expect(table.rows).toEqual([
      ['Ann', '1,234,567.89', '15 Jan 2025'],
      ['Bob', '2.00', ''],
    ]);
    expect(table.widths.slice(0, 2)).toEqual([20, 10]);
    expect(table.widths).toHaveLength(3);
    const ranged = await readSheet(await workbook(), 'Data', { range: 'A2:A3', header: false });
    expect(ranged).toMatchObject({ columns: ['A'], rows: [['Ann'], ['Bob']] });
  });
  it('names a missing sheet and an unreadable workbook', async () => {
    const missing = await readSheet(await workbook(), 'Nope').catch((e) => e);
    expect(missing).toBeInstanceOf(SheetError);
    expect(missing.message).toBe('the workbook has no sheet "Nope" (it has "Data")');
    const broken = await readSheet(new Uint8Array([1, 2, 3]), 'Data').catch((e) => e);
    expect(broken.code).toBe('SHEET_UNREADABLE');
  });
});
