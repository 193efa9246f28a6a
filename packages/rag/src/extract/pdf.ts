import { extractionFailed, extractionTooLarge } from '../errors';
import { EXTRACTION_LIMITS } from '../limits';
import { assembleExtraction } from '../normalize';
import type { ExtractedBlock, Extraction } from '../types';

/** The part of a pdf.js text item this module reads. */
export interface PdfTextItem {
  str: string;
  transform: number[];
  width: number;
  height: number;
  hasEOL?: boolean;
}

interface Line {
  text: string;
  y: number;
  size: number;
  xEnd: number;
}

const isSpace = (c: string | undefined) => c === undefined || /\s/.test(c);

/**
 * Rebuilds lines from positioned text items (in content order): a new line when the baseline moves
 * by more than half a font size or pdf.js marks an end of line; a space where two items on a line
 * are visibly apart.
 */
export const itemsToLines = (items: PdfTextItem[]): Line[] => {
  const lines: Line[] = [];
  let current: Line | null = null;
  const end = () => {
    if (current?.text.trim()) lines.push(current);
    current = null;
  };
  for (const item of items) {
    if (typeof item.str !== 'string') continue;
    const [a = 0, b = 0, c = 0, d = 0, x = 0, y = 0] = item.transform;
    const size = Math.hypot(c, d) || Math.hypot(a, b) || item.height || 1;
    if (item.str === '') {
      if (item.hasEOL) end();
      continue;
    }
    const line = current as Line | null;
    if (line && Math.abs(y - line.y) > Math.max(size, line.size) * 0.5) end();
    if (!current) {
      current = { text: item.str, y, size, xEnd: x + item.width };
    } else {
      const open = current as Line;
      const gap = x - open.xEnd;
      const apart = gap > size * 0.15 || gap < -size * 2;
      if (apart && !isSpace(open.text.at(-1)) && !isSpace(item.str[0])) open.text += ' ';
      open.text += item.str;
      open.xEnd = x + item.width;
      open.size = Math.max(open.size, size);
    }
    if (item.hasEOL) end();
  }
  end();
  return lines;
};

/**
 * Groups a page's lines into paragraphs (a vertical gap above ~1.5 lines, a jump upwards — a new
 * column — or a change of font size starts one) and marks short paragraphs set clearly larger than
 * the page's body text as headings.
 */
export const linesToBlocks = (lines: Line[], pageNumber: number): ExtractedBlock[] => {
  if (!lines.length) return [];
  // Body size: the size carrying the most characters on the page.
  const weight = new Map<number, number>();
  for (const l of lines) {
    const key = Math.round(l.size * 2) / 2;
    weight.set(key, (weight.get(key) ?? 0) + l.text.length);
  }
  const body = [...weight.entries()].reduce((best, e) => (e[1] > best[1] ? e : best))[0];
  const groups: Line[][] = [];
  let group: Line[] = [];
  for (const line of lines) {
    const prev = group[group.length - 1];
    if (prev) {
      const gap = prev.y - line.y;
      const sizeChange = Math.abs(line.size - prev.size) > Math.min(line.size, prev.size) * 0.15;
      if (gap > Math.max(line.size, prev.size) * 1.5 || gap < 0 || sizeChange) {
        groups.push(group);
        group = [];
      }
    }
    group.push(line);
  }
  groups.push(group);
  return groups.map((g) => {
    const text = g.map((l) => l.text).join('\n');
    const size = Math.max(...g.map((l) => l.size));
    const ratio = size / body;
    if (ratio >= 1.2 && g.length <= 3 && text.length <= 200) {
      const level = ratio >= 1.8 ? 1 : ratio >= 1.4 ? 2 : 3;
      return { kind: 'heading' as const, text, level, page_number: pageNumber };
    }
    return { kind: 'paragraph' as const, text, page_number: pageNumber };
  });
};

const errorName = (err: unknown) => (err as { name?: string } | null)?.name ?? '';

/**
 * PDF text page by page (each page released before the next), 1-based page numbers kept.
 * Password-protected → ENCRYPTED; unreadable → CORRUPT; no text on any page (scans) → NO_TEXT.
 */
export const extractPdf = async (bytes: Uint8Array): Promise<Extraction> => {
  const { getDocumentProxy } = await import('unpdf');
  type Proxy = Awaited<ReturnType<typeof getDocumentProxy>>;
  let pdf: Proxy;
  try {
    // pdf.js takes ownership of (detaches) the buffer it is given: hand it a copy.
    pdf = await getDocumentProxy(bytes.slice(), {
      disableFontFace: true,
      useSystemFonts: false,
      verbosity: 0,
    });
  } catch (err) {
    if (errorName(err) === 'PasswordException') {
      throw extractionFailed('ENCRYPTED', 'The PDF is password-protected', err);
    }
    throw extractionFailed('CORRUPT', 'The PDF is damaged or not a PDF', err);
  }
  try {
    const pageCount = pdf.numPages;
    if (pageCount > EXTRACTION_LIMITS.maxPdfPages) {
      throw extractionTooLarge(
        `The PDF has more than ${EXTRACTION_LIMITS.maxPdfPages} pages`,
        EXTRACTION_LIMITS.maxPdfPages,
        pageCount,
      );
    }
    if (pageCount === 0) throw extractionFailed('EMPTY', 'The PDF has no pages');
    const blocks: ExtractedBlock[] = [];
    let failedPages = 0;
    for (let n = 1; n <= pageCount; n++) {
      try {
        const page = await pdf.getPage(n);
        const content = await page.getTextContent();
        blocks.push(...linesToBlocks(itemsToLines(content.items as PdfTextItem[]), n));
        page.cleanup();
      } catch {
        // One broken page does not lose the others.
        failedPages++;
      }
    }
    if (failedPages === pageCount) throw extractionFailed('CORRUPT', 'No page of the PDF could be read');
    if (!blocks.some((b) => b.text.trim())) {
      throw extractionFailed(
        'NO_TEXT',
        'The PDF has no extractable text (scanned images need OCR, which is not supported)',
      );
    }
    let title: string | null = null;
    try {
      const { info } = await pdf.getMetadata();
      const value = (info as Record<string, unknown> | undefined)?.Title;
      if (typeof value === 'string') title = value;
    } catch {
      // Metadata is optional.
    }
    return assembleExtraction({ type: 'pdf', title, blocks, pageCount });
  } finally {
    await pdf.loadingTask.destroy().catch(() => undefined);
  }
};
