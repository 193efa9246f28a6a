import { ZipWriter } from '@flowspark/archive';
import { truncateUtf16 } from '@flowspark/core';
import { RenderLimitError } from '../limits';
import { type Block, CONTENT_TYPES, type DocumentModel, type RenderedFile } from '../model';
import { escapeXml, XML_HEAD, xmlSafe } from './xml';
import { XmlChunks } from './xml-bytes';

/**
 * XLSX renderer: an "Overview" sheet (title, metadata, the document's text as rows), then one sheet
 * per table block (bold frozen header with an autofilter, typed cells, widths from content).
 *
 * Why not exceljs for writing: measured in Node for 100,000 rows × 8 columns, its in-memory workbook
 * holds ~230 MB of heap before writing and peaks above 1 GB RSS during `writeBuffer()` (10,000 rows
 * already ~100 MB of heap). Its streaming WorkbookWriter needs its Node build, which does not load in
 * workerd (the bundler resolves the browser build, which has no streaming writer). So the workbook is
 * written here: SpreadsheetML written row by row as UTF-8 into reused 64 KiB chunks (XmlChunks),
 * deflated while it is produced by the streaming ZipWriter of @flowspark/archive. Memory ≈ the
 * compressed output (~4 MB for 100,000 × 8) plus a few chunks; exceljs is still what the tests read
 * it with. Inside workerd (bench/workerd-render) the 100,000 × 8 render grows the process by ~33 MB
 * over its model, where building row strings for TextEncoder grew it by ~46 MB and fresh chunks by
 * ~60 MB (see XmlChunks).
 *
 * Strings are inline, not in a shared-string table: for the 100,000-row sample a table would make
 * the output 6 % smaller (~3,990 KiB instead of ~4,240 KiB) but needs every distinct string (100,000
 * there) in a map until the table is written after the sheet, which costs more memory than it saves.
 */

/**
 * Caps, from measurements in Node with a 128 MB heap (--max-old-space-size=128): the writer's own
 * peak is ~25–30 MB whatever the size (plus the compressed output, ~4 MB per 100,000 × 8 rows), but
 * the model being rendered is in memory too (~25 MB of heap for 100,000 × 8 sample rows, ~50 MB for
 * 200,000 × 8). At the caps the model and the writer together stay near 70 MB. Inside workerd the
 * 100,000 × 8 sample measures ~35 MB for the model (parsed with parseDocumentModel, which does not
 * copy the rows) and ~33 MB more for the render.
 */
/** Data rows of one table (one sheet). */
export const XLSX_MAX_ROWS_PER_SHEET = 150_000;
/** Data cells across all tables (the overview is bounded by the model's own text). */
export const XLSX_MAX_CELLS = 1_200_000;
export const XLSX_MAX_SHEETS = 250;
/** Excel's own limits on a sheet name. */
export const XLSX_SHEET_NAME_MAX = 31;
const MIN_COLUMN_WIDTH = 8;
const MAX_COLUMN_WIDTH = 60;
const OVERVIEW = 'Overview';

type TableBlock = Extract<Block, { type: 'table' }>;
type Cell = TableBlock['rows'][number][number];

// ---------------------------------------------------------------------------------------------
// Sheet names and layout

// Excel rejects []:*?/\ in sheet names, names starting or ending with an apostrophe, and "History".
const SHEET_FORBIDDEN = /[[\]:*?/\\]/g;

/**
 * A sheet name valid in Excel: forbidden characters replaced, ≤ 31 characters (never splitting an
 * emoji), unique case-insensitively within `used` (a " (2)" suffix), `fallback` when nothing is left.
 */
export const sheetName = (raw: string | undefined, fallback: string, used: Set<string>): string => {
  let name = xmlSafe(raw ?? '')
    .replace(SHEET_FORBIDDEN, ' ')
    .replace(/\s+/g, ' ')
    .replace(/^[\s']+|[\s']+$/g, '');
  if (!name || name.toLowerCase() === 'history') name = fallback;
  name = truncateUtf16(name, XLSX_SHEET_NAME_MAX).trimEnd();
  let candidate = name;
  for (let n = 2; used.has(candidate.toLowerCase()); n++) {
    const suffix = ` (${n})`;
    candidate = truncateUtf16(name, XLSX_SHEET_NAME_MAX - suffix.length).trimEnd() + suffix;
  }
  used.add(candidate.toLowerCase());
  return candidate;
};

const quoteSheet = (name: string) => `'${name.replace(/'/g, "''")}'`;

const COLUMN_LETTERS: string[] = [];
const columnLetter = (index: number): string => {
  let letters = COLUMN_LETTERS[index];
  if (letters === undefined) {
    letters = '';
    for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26))
      letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
    COLUMN_LETTERS[index] = letters;
  }
  return letters;
};

/** Display width in Excel "characters": East Asian wide characters and emoji count double. */
const displayWidth = (text: string, cap = MAX_COLUMN_WIDTH): number => {
  let width = 0;
  for (let i = 0; i < text.length && width < cap; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      width += 2;
      i++;
    } else width += code >= 0x1100 && (code <= 0x115f || code >= 0x2e80) ? 2 : 1;
  }
  return width;
};

/** `String(n).length`, without making the text for the common case of a small integer. */
const numberLength = (n: number): number => {
  if (!(Math.abs(n) <= 0x7fffffff && Math.floor(n) === n)) return String(n).length;
  let length = n < 0 ? 2 : 1;
  for (let rest = Math.abs(n); rest >= 10; rest = Math.floor(rest / 10)) length++;
  return length;
};

const cellWidth = (cell: Cell | undefined): number => {
  if (cell === null || cell === undefined) return 0;
  if (typeof cell === 'string') {
    // A multi-line cell is as wide as its longest line.
    return cell.includes('\n') ? Math.max(...cell.split('\n').map(displayWidth)) : displayWidth(cell);
  }
  if (typeof cell === 'boolean') return 5;
  return Math.min(numberLength(cell), 12);
};

const columnWidths = (table: TableBlock, count: number): number[] => {
  // The header gets room for the autofilter button.
  const widths = Array.from({ length: count }, (_, i) => displayWidth(table.columns[i] ?? '') + 3);
  for (const row of table.rows) {
    for (let i = 0; i < row.length; i++) {
      const width = cellWidth(row[i]);
      if (width > widths[i]!) widths[i] = width;
    }
  }
  return widths.map((w) => Math.min(MAX_COLUMN_WIDTH, Math.max(MIN_COLUMN_WIDTH, w + 2)));
};

// ---------------------------------------------------------------------------------------------
// Cells

/** Style indexes into the cellXfs of STYLES_XML. */
const STYLE = { header: 1, title: 2, subtitle: 3, wrap: 4, link: 5, heading: 6, label: 7 } as const;

const PRESERVE_SPACE = /^\s|\s$|\n/;

/** `<c r="` + the reference of column `column`, row `row`. */
const cellStart = (out: XmlChunks, column: number, row: number) => {
  out.ascii('<c r="');
  out.ascii(columnLetter(column));
  out.uint(row);
};

/** An inline string; nothing for text that is empty once XML-safe. */
const stringCell = (out: XmlChunks, column: number, row: number, text: string, style = 0) => {
  const safe = xmlSafe(text);
  if (safe === '') return;
  cellStart(out, column, row);
  if (style) {
    out.ascii('" s="');
    out.uint(style);
  }
  out.ascii(PRESERVE_SPACE.test(safe) ? '" t="inlineStr"><is><t xml:space="preserve">' : '" t="inlineStr"><is><t>');
  out.text(safe);
  out.ascii('</t></is></c>');
};

/** Numbers stay numbers, booleans booleans, null stays empty. */
const cell = (out: XmlChunks, column: number, row: number, value: Cell | undefined) => {
  if (value === null || value === undefined) return;
  if (typeof value === 'string') return stringCell(out, column, row, value);
  if (typeof value === 'boolean') {
    cellStart(out, column, row);
    out.ascii(value ? '" t="b"><v>1</v></c>' : '" t="b"><v>0</v></c>');
    return;
  }
  if (!Number.isFinite(value)) return stringCell(out, column, row, String(value));
  cellStart(out, column, row);
  out.ascii('"><v>');
  // Small non-negative integers (ids, counts) are written without making their text.
  if (value >= 0 && value <= 0x7fffffff && Math.floor(value) === value) out.uint(value);
  else out.ascii(String(value));
  out.ascii('</v></c>');
};

// ---------------------------------------------------------------------------------------------
// Parts

const NS_MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const NS_REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PAGE_MARGINS = '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>';

const STYLES_XML = `${XML_HEAD}<styleSheet xmlns="${NS_MAIN}">
<fonts count="6">
<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>
<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>
<font><b/><sz val="18"/><name val="Calibri"/><family val="2"/></font>
<font><i/><sz val="13"/><color rgb="FF595959"/><name val="Calibri"/><family val="2"/></font>
<font><u/><sz val="11"/><color rgb="FF0563C1"/><name val="Calibri"/><family val="2"/></font>
<font><b/><sz val="14"/><name val="Calibri"/><family val="2"/></font>
</fonts>
<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill><fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/></patternFill></fill></fills>
<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border><border><left/><right/><top/><bottom style="thin"><color rgb="FF9BC2E6"/></bottom><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="8">
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1"/>
<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>
<xf numFmtId="0" fontId="3" fillId="0" borderId="0" xfId="0" applyFont="1"/>
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>
<xf numFmtId="0" fontId="4" fillId="0" borderId="0" xfId="0" applyFont="1"/>
<xf numFmtId="0" fontId="5" fillId="0" borderId="0" xfId="0" applyFont="1"/>
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1"><alignment vertical="top"/></xf>
</cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
<dxfs count="0"/><tableStyles count="0"/>
</styleSheet>`;

interface SheetPlan {
  name: string;
  table: TableBlock;
  /** Widest row (the header or a longer data row). */
  width: number;
}

/** A table's sheet, as UTF-8 chunks written row by row (see XmlChunks). */
function* tableSheetXml(plan: SheetPlan): Generator<Uint8Array> {
  const { table, width } = plan;
  const out = new XmlChunks();
  const lastRow = table.rows.length + 1;
  const range = `A1:${columnLetter(width - 1)}${lastRow}`;
  out.ascii(`${XML_HEAD}<worksheet xmlns="${NS_MAIN}" xmlns:r="${NS_REL}"><dimension ref="${range}"/>`);
  out.ascii(
    '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>',
  );
  out.ascii('<sheetFormatPr defaultRowHeight="15"/><cols>');
  const widths = columnWidths(table, width);
  for (let i = 0; i < width; i++)
    out.ascii(`<col min="${i + 1}" max="${i + 1}" width="${widths[i]}" customWidth="1"/>`);
  out.ascii('</cols><sheetData><row r="1">');
  for (let i = 0; i < table.columns.length; i++) stringCell(out, i, 1, table.columns[i]!, STYLE.header);
  out.ascii('</row>');
  const { rows } = table;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    const n = r + 2;
    out.ascii('<row r="');
    out.uint(n);
    out.ascii('">');
    for (let i = 0; i < row.length; i++) cell(out, i, n, row[i]);
    out.ascii('</row>');
    if (out.hasFull) yield* out.full();
  }
  out.ascii(`</sheetData><autoFilter ref="${range}"/>${PAGE_MARGINS}</worksheet>`);
  yield* out.end();
}

interface OverviewRow {
  label?: { text: string; style: number };
  value?: { text: string; style: number; link?: string };
}

const OVERVIEW_VALUE_WIDTH = 100;
/** Row heights in points: set explicitly because Excel does not grow rows for wrapped text on open. */
const HEIGHT: Partial<Record<number, number>> = { [STYLE.title]: 30, [STYLE.subtitle]: 20, [STYLE.heading]: 22 };
const MAX_ROW_HEIGHT = 409;

const rowHeight = ({ label, value }: OverviewRow): number | undefined => {
  let height = label ? HEIGHT[label.style] : undefined;
  if (value?.style === STYLE.wrap) {
    let lines = 0;
    for (const line of value.text.split('\n')) {
      lines += Math.max(1, Math.ceil(displayWidth(line, Number.POSITIVE_INFINITY) / (OVERVIEW_VALUE_WIDTH - 5)));
    }
    if (lines > 1) height = Math.max(height ?? 0, Math.min(MAX_ROW_HEIGHT, lines * 15));
  }
  return height;
};

/** The overview rows: title, subtitle, metadata, then each section's text in reading order. */
const overviewRows = (model: DocumentModel, sheets: SheetPlan[]): OverviewRow[] => {
  const rows: OverviewRow[] = [{ label: { text: model.title, style: STYLE.title } }];
  if (model.subtitle) rows.push({ label: { text: model.subtitle, style: STYLE.subtitle } });
  const { author, subject, keywords, language } = model.metadata;
  const meta: [string, string | undefined][] = [
    ['Author', author],
    ['Subject', subject],
    ['Keywords', keywords?.join(', ')],
    ['Language', language],
  ];
  const present = meta.filter(([, v]) => v);
  if (present.length > 0) rows.push({});
  for (const [label, value] of present) {
    rows.push({ label: { text: label, style: STYLE.label }, value: { text: value!, style: STYLE.wrap } });
  }
  let tableIndex = 0;
  for (const section of model.sections) {
    rows.push({});
    if (section.heading) rows.push({ label: { text: section.heading, style: STYLE.heading } });
    for (const block of section.blocks) {
      switch (block.type) {
        case 'heading':
          rows.push({ value: { text: block.text, style: STYLE.label } });
          break;
        case 'paragraph':
          rows.push({ value: { text: block.text, style: STYLE.wrap } });
          break;
        case 'bullets':
          block.items.forEach((item, i) => {
            rows.push({ value: { text: `${block.ordered ? `${i + 1}.` : '•'} ${item}`, style: STYLE.wrap } });
          });
          break;
        case 'table': {
          const sheet = sheets[tableIndex++]!;
          const what = block.caption ? `${block.caption}: ` : '';
          const text = `${what}see sheet "${sheet.name}" (${block.rows.length.toLocaleString('en-US')} rows)`;
          rows.push({
            label: { text: 'Table', style: STYLE.label },
            value: { text, style: STYLE.link, link: sheet.name },
          });
          break;
        }
        case 'image':
          rows.push({
            label: { text: 'Image', style: STYLE.label },
            value: { text: block.alt || '(no description)', style: STYLE.wrap },
          });
          break;
        case 'page_break':
          break;
      }
    }
  }
  return rows;
};

function* overviewSheetXml(rows: OverviewRow[]): Generator<Uint8Array> {
  const out = new XmlChunks();
  // Printed on one page width, so the title is not cut at the column boundary.
  out.ascii(
    `${XML_HEAD}<worksheet xmlns="${NS_MAIN}" xmlns:r="${NS_REL}"><sheetPr><pageSetUpPr fitToPage="1"/></sheetPr><dimension ref="A1:B${rows.length}"/>`,
  );
  out.ascii(
    '<sheetViews><sheetView tabSelected="1" workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/>',
  );
  out.ascii(
    `<cols><col min="1" max="1" width="18" customWidth="1"/><col min="2" max="2" width="${OVERVIEW_VALUE_WIDTH}" customWidth="1"/></cols><sheetData>`,
  );
  const links: { row: number; sheet: string }[] = [];
  for (let r = 0; r < rows.length; r++) {
    const { label, value } = rows[r]!;
    if (!label && !value) continue;
    const n = r + 1;
    const height = rowHeight(rows[r]!);
    out.ascii(height ? `<row r="${n}" ht="${height}" customHeight="1">` : `<row r="${n}">`);
    if (label) stringCell(out, 0, n, label.text, label.style);
    if (value) stringCell(out, 1, n, value.text, value.style);
    if (value?.link) links.push({ row: n, sheet: value.link });
    out.ascii('</row>');
    yield* out.full();
  }
  out.ascii('</sheetData>');
  if (links.length > 0) {
    out.ascii('<hyperlinks>');
    for (const { row, sheet } of links) {
      out.ascii(`<hyperlink ref="B${row}" location="`);
      out.text(`${quoteSheet(sheet)}!A1`);
      out.ascii('" display="');
      out.text(sheet);
      out.ascii('"/>');
    }
    out.ascii('</hyperlinks>');
  }
  out.ascii(`${PAGE_MARGINS}<pageSetup orientation="portrait" fitToWidth="1" fitToHeight="0"/></worksheet>`);
  yield* out.end();
}

const workbookXml = (sheets: SheetPlan[]): string => {
  const entries = [`<sheet name="${OVERVIEW}" sheetId="1" r:id="rId1"/>`];
  const filters: string[] = [];
  sheets.forEach((sheet, i) => {
    entries.push(`<sheet name="${escapeXml(sheet.name)}" sheetId="${i + 2}" r:id="rId${i + 2}"/>`);
    const ref = `${quoteSheet(sheet.name)}!$A$1:$${columnLetter(sheet.width - 1)}$${sheet.table.rows.length + 1}`;
    filters.push(
      `<definedName name="_xlnm._FilterDatabase" localSheetId="${i + 1}" hidden="1">${escapeXml(ref)}</definedName>`,
    );
  });
  const names = filters.length > 0 ? `<definedNames>${filters.join('')}</definedNames>` : '';
  return `${XML_HEAD}<workbook xmlns="${NS_MAIN}" xmlns:r="${NS_REL}"><workbookPr/><bookViews><workbookView activeTab="0"/></bookViews><sheets>${entries.join('')}</sheets>${names}</workbook>`;
};

const workbookRelsXml = (count: number): string => {
  const rels = Array.from(
    { length: count },
    (_, i) => `<Relationship Id="rId${i + 1}" Type="${NS_REL}/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`,
  );
  rels.push(`<Relationship Id="rId${count + 1}" Type="${NS_REL}/styles" Target="styles.xml"/>`);
  return `${XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${rels.join('')}</Relationships>`;
};

const contentTypesXml = (count: number): string => {
  const sheets = Array.from(
    { length: count },
    (_, i) =>
      `<Override PartName="/xl/worksheets/sheet${i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`,
  );
  return `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>${sheets.join('')}<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>`;
};

const ROOT_RELS = `${XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${NS_REL}/officeDocument" Target="xl/workbook.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId3" Type="${NS_REL}/extended-properties" Target="docProps/app.xml"/></Relationships>`;

const coreXml = (model: DocumentModel): string => {
  const { author, subject, keywords, language } = model.metadata;
  const field = (tag: string, value: string | undefined) => (value ? `<${tag}>${escapeXml(value)}</${tag}>` : '');
  return `${XML_HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">${field('dc:title', model.title)}${field('dc:subject', subject)}${field('dc:creator', author)}${field('cp:keywords', keywords?.join(', '))}${field('dc:description', model.subtitle)}${field('dc:language', language)}</cp:coreProperties>`;
};

const appXml = (sheetNames: string[]): string =>
  `${XML_HEAD}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><Application>FlowSpark</Application><HeadingPairs><vt:vector size="2" baseType="variant"><vt:variant><vt:lpstr>Worksheets</vt:lpstr></vt:variant><vt:variant><vt:i4>${sheetNames.length}</vt:i4></vt:variant></vt:vector></HeadingPairs><TitlesOfParts><vt:vector size="${sheetNames.length}" baseType="lpstr">${sheetNames.map((n) => `<vt:lpstr>${escapeXml(n)}</vt:lpstr>`).join('')}</vt:vector></TitlesOfParts></Properties>`;

// ---------------------------------------------------------------------------------------------

const fmt = (n: number) => n.toLocaleString('en-US');

/** Checks the caps before any work, then names the sheets. */
const planSheets = (model: DocumentModel): SheetPlan[] => {
  const tables: TableBlock[] = [];
  for (const section of model.sections)
    for (const block of section.blocks) if (block.type === 'table') tables.push(block);
  if (tables.length > XLSX_MAX_SHEETS) {
    throw new RenderLimitError(
      `An XLSX workbook holds at most ${fmt(XLSX_MAX_SHEETS)} tables (one sheet each); this document has ${fmt(tables.length)}`,
      {
        limit: XLSX_MAX_SHEETS,
        actual: tables.length,
      },
    );
  }
  let cells = 0;
  for (const [i, table] of tables.entries()) {
    if (table.rows.length > XLSX_MAX_ROWS_PER_SHEET) {
      throw new RenderLimitError(
        `Table ${i + 1} has ${fmt(table.rows.length)} rows; an XLSX sheet holds at most ${fmt(XLSX_MAX_ROWS_PER_SHEET)} rows`,
        {
          limit: XLSX_MAX_ROWS_PER_SHEET,
          actual: table.rows.length,
        },
      );
    }
    for (const row of table.rows) cells += row.length;
  }
  if (cells > XLSX_MAX_CELLS) {
    throw new RenderLimitError(
      `An XLSX workbook holds at most ${fmt(XLSX_MAX_CELLS)} table cells; this document has ${fmt(cells)}`,
      {
        limit: XLSX_MAX_CELLS,
        actual: cells,
      },
    );
  }
  const used = new Set([OVERVIEW.toLowerCase()]);
  return tables.map((table, i) => {
    let width = table.columns.length;
    for (const row of table.rows) if (row.length > width) width = row.length;
    return { name: sheetName(table.sheet_name ?? table.caption, `Table ${i + 1}`, used), table, width };
  });
};

/** Renders the model as an XLSX workbook. Throws PAYLOAD_TOO_LARGE (before any work) over the caps. */
export async function renderXlsx(model: DocumentModel): Promise<RenderedFile> {
  const sheets = planSheets(model);
  const count = sheets.length + 1;
  const zip = new ZipWriter();
  await zip.add('[Content_Types].xml', contentTypesXml(count));
  await zip.add('_rels/.rels', ROOT_RELS);
  await zip.add('docProps/core.xml', coreXml(model));
  await zip.add('docProps/app.xml', appXml([OVERVIEW, ...sheets.map((s) => s.name)]));
  await zip.add('xl/workbook.xml', workbookXml(sheets));
  await zip.add('xl/_rels/workbook.xml.rels', workbookRelsXml(count));
  await zip.add('xl/styles.xml', STYLES_XML);
  await zip.add('xl/worksheets/sheet1.xml', overviewSheetXml(overviewRows(model, sheets)));
  for (const [i, sheet] of sheets.entries()) await zip.add(`xl/worksheets/sheet${i + 2}.xml`, tableSheetXml(sheet));
  return { bytes: zip.finish(), contentType: CONTENT_TYPES.xlsx, extension: 'xlsx' };
}
