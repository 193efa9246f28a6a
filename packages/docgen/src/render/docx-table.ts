import type { Block } from '../model';

/**
 * Tables written as WordprocessingML directly. The docx library keeps several objects per cell
 * until it packs the file, then a second tree while packing: about 5 KB per cell, so a 20,000-cell
 * table needed over 100 MB. As a string a cell costs what its XML does (~200 bytes). The renderer
 * puts a marker paragraph where each table goes and swaps in this XML after packing.
 */
type TableBlock = Extract<Block, { type: 'table' }>;

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3000-\u303F\uFF00-\uFFEF]/u;
const BORDER = 'w:val="single" w:sz="4" w:space="0" w:color="A6A6AD"';

export const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** One run: bold for the header, the East Asian hint for CJK, line breaks as <w:br/>. */
const run = (text: string, bold: boolean) => {
  if (!text) return '';
  const props = `${CJK.test(text) ? '<w:rFonts w:hint="eastAsia"/>' : ''}${bold ? '<w:b/><w:bCs/>' : ''}`;
  const body = text
    .split('\n')
    .map((line) => `<w:t xml:space="preserve">${escapeXml(line)}</w:t>`)
    .join('<w:br/>');
  return `<w:r>${props ? `<w:rPr>${props}</w:rPr>` : ''}${body}</w:r>`;
};

/**
 * `<w:tbl>` for a table block: fixed layout on a grid of `widths` (twips), borders, cell margins,
 * a bold shaded header row repeated on every page. `texts` are XML-safe already.
 */
export const tableXml = (header: string[], rows: string[][], widths: number[]) => {
  const total = widths.reduce((a, b) => a + b, 0);
  const borders = ['top', 'left', 'bottom', 'right', 'insideH', 'insideV']
    .map((side) => `<w:${side} ${BORDER}/>`)
    .join('');
  const parts = [
    '<w:tbl><w:tblPr>',
    `<w:tblW w:w="${total}" w:type="dxa"/><w:tblBorders>${borders}</w:tblBorders><w:tblLayout w:type="fixed"/>`,
    '<w:tblCellMar><w:top w:w="40" w:type="dxa"/><w:left w:w="80" w:type="dxa"/><w:bottom w:w="40" w:type="dxa"/><w:right w:w="80" w:type="dxa"/></w:tblCellMar>',
    '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" w:noHBand="0" w:noVBand="1"/>',
    `</w:tblPr><w:tblGrid>${widths.map((w) => `<w:gridCol w:w="${w}"/>`).join('')}</w:tblGrid>`,
  ];
  const row = (cells: string[], isHeader: boolean) => {
    const tcs = widths.map((w, i) => {
      const shade = isHeader ? '<w:shd w:val="clear" w:color="auto" w:fill="EBEDF2"/>' : '';
      return `<w:tc><w:tcPr><w:tcW w:w="${w}" w:type="dxa"/>${shade}</w:tcPr><w:p>${run(cells[i] ?? '', isHeader)}</w:p></w:tc>`;
    });
    const trPr = isHeader ? '<w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>' : '';
    return `<w:tr>${trPr}${tcs.join('')}</w:tr>`;
  };
  parts.push(row(header, true));
  for (const cells of rows) parts.push(row(cells, false));
  parts.push('</w:tbl>');
  return parts.join('');
};

export type { TableBlock };
