/**
 * A worksheet as a table for the PDF renderer: every cell as the spreadsheet shows it (its number
 * format applied), the sheet's column widths, the first row as the header. exceljs reads the
 * workbook; ssf (the number-format engine spreadsheets use) formats numbers and dates.
 */
import { parseCellRange } from './pages';

export interface SheetTable {
  columns: string[];
  rows: string[][];
  /** Relative widths, from the sheet's columns (Excel's default where unset). */
  widths: number[];
}

/** The cells a booklet page renders at most (the PDF renderer's table caps are higher). */
export const MAX_SHEET_ROWS = 20_000;
export const MAX_SHEET_COLUMNS = 50;

export class SheetError extends Error {
  constructor(
    readonly code: 'SHEET_NOT_FOUND' | 'SHEET_UNREADABLE' | 'SHEET_TOO_LARGE' | 'SHEET_EMPTY',
    message: string,
  ) {
    super(message);
  }
}

const EXCEL_DEFAULT_WIDTH = 8.43;
const MS_PER_DAY = 86_400_000;
/** 1899-12-30: day 0 of Excel's 1900 date system (which counts a 29 February 1900 that never was). */
const EPOCH_1900 = Date.UTC(1899, 11, 30);
const EPOCH_1904 = Date.UTC(1904, 0, 1);

const columnLetters = (index: number) => {
  let out = '';
  for (let n = index; n > 0; n = Math.floor((n - 1) / 26)) out = String.fromCharCode(65 + ((n - 1) % 26)) + out;
  return out;
};

type Formatter = (fmt: string, value: unknown) => string;
type ValueTypes = typeof import('exceljs')['ValueType'];

interface CellLike {
  type: number;
  value: unknown;
  numFmt?: string;
  result?: unknown;
}

const plain = (value: unknown, fmt: string | undefined, format: Formatter, date1904: boolean): string => {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return format(fmt || 'General', value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) {
    const serial = (value.getTime() - (date1904 ? EPOCH_1904 : EPOCH_1900)) / MS_PER_DAY;
    return format(fmt && fmt !== 'General' ? fmt : 'yyyy-mm-dd', serial);
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'object') {
    const v = value as { richText?: { text: string }[]; text?: unknown; error?: string; result?: unknown };
    if (v.richText) return v.richText.map((part) => part.text).join('');
    if (v.error) return v.error;
    if ('result' in v) return plain(v.result, fmt, format, date1904);
    if (typeof v.text === 'string') return v.text;
    if (v.text && typeof v.text === 'object') return plain(v.text, fmt, format, date1904);
  }
  return String(value);
};

/** What the cell shows. */
const cellText = (cell: CellLike, types: ValueTypes, format: Formatter, date1904: boolean): string => {
  switch (cell.type) {
    case types.Null:
    case types.Merge:
      return '';
    case types.Formula:
      return plain(cell.result, cell.numFmt, format, date1904);
    default:
      return plain(cell.value, cell.numFmt, format, date1904);
  }
};

/**
 * Reads one sheet (or a range of it) as a table. `header` false names the columns by letter. Empty
 * trailing rows are dropped.
 */
export async function readSheet(
  bytes: Uint8Array,
  sheetName: string,
  options: { range?: string; header?: boolean } = {},
): Promise<SheetTable> {
  const [{ default: ExcelJS }, ssf] = await Promise.all([import('exceljs'), import('ssf')]);
  const ssfFormat = (ssf.default ?? ssf).format;
  const format: Formatter = (fmt, value) => {
    try {
      return ssfFormat(fmt, value);
    } catch {
      // A format ssf cannot read: the plain value rather than nothing.
      return String(value);
    }
  };
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  } catch (err) {
    throw new SheetError('SHEET_UNREADABLE', `the workbook cannot be read (${(err as Error).message})`);
  }
  const sheet = workbook.getWorksheet(sheetName);
  if (!sheet) {
    const names = workbook.worksheets.map((ws) => `"${ws.name}"`).join(', ');
    throw new SheetError('SHEET_NOT_FOUND', `the workbook has no sheet "${sheetName}" (it has ${names})`);
  }
  const date1904 = Boolean((workbook.properties as { date1904?: boolean }).date1904);
  const used = sheet.dimensions as unknown as { top: number; left: number; bottom: number; right: number };
  const bounds = options.range ? parseCellRange(options.range) : used.top ? used : null;
  if (!bounds || sheet.actualRowCount === 0) throw new SheetError('SHEET_EMPTY', `the sheet "${sheetName}" is empty`);
  const width = bounds.right - bounds.left + 1;
  const height = bounds.bottom - bounds.top + 1;
  if (width > MAX_SHEET_COLUMNS || height > MAX_SHEET_ROWS) {
    throw new SheetError(
      'SHEET_TOO_LARGE',
      `the sheet "${sheetName}" has ${height} rows × ${width} columns to render; at most ${MAX_SHEET_ROWS} × ${MAX_SHEET_COLUMNS} (give a range)`,
    );
  }
  // Hidden columns stay hidden.
  const visible: number[] = [];
  for (let c = bounds.left; c <= bounds.right; c += 1) if (!sheet.getColumn(c).hidden) visible.push(c);
  if (visible.length === 0) throw new SheetError('SHEET_EMPTY', `every column of the sheet "${sheetName}" is hidden`);
  const rows: string[][] = [];
  for (let r = bounds.top; r <= bounds.bottom; r += 1) {
    const row = sheet.getRow(r);
    if (row.hidden) continue;
    rows.push(visible.map((c) => cellText(row.getCell(c) as unknown as CellLike, ExcelJS.ValueType, format, date1904)));
  }
  while (rows.length > 1 && rows.at(-1)!.every((cell) => cell === '')) rows.pop();
  const widths = visible.map(
    (c) => sheet.getColumn(c).width ?? sheet.properties.defaultColWidth ?? EXCEL_DEFAULT_WIDTH,
  );
  const header = options.header ?? true;
  const columns = header ? rows.shift()! : visible.map(columnLetters);
  return { columns: columns.map((name, i) => name || columnLetters(visible[i])), rows, widths };
}
