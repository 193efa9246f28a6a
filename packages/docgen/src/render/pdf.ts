import { AppError } from '@flowspark/core';
import type { PDFDocument, PDFImage } from 'pdf-lib';
import type { BaseFont, FontSource } from '../fonts';
import { type DecodedImage, decodeModelImages, fitImage } from '../image-data';
import { assertWithinLimits, imagePixelsError, PDF_LIMITS, pageLimitError } from '../limits';
import { type Block, CONTENT_TYPES, type DocumentModel, type RenderedFile } from '../model';
import { type Line, PageCanvas, type Rgb, type TextKit, textKitFor } from './pdf-text';

type TableBlock = Extract<Block, { type: 'table' }>;

/** A4 in points, with margins that leave room for the page-number footer. */
const PAGE = { width: 595.28, height: 841.89 };
const MARGIN = { top: 64, bottom: 64, left: 60, right: 60 };
const CONTENT_WIDTH = PAGE.width - MARGIN.left - MARGIN.right;
const CONTENT_HEIGHT = PAGE.height - MARGIN.top - MARGIN.bottom;
const LEADING = 1.45;

interface TextStyle {
  size: number;
  bold?: boolean;
  before: number;
  after: number;
  grey?: boolean;
}
const STYLES = {
  title: { size: 24, bold: true, before: 0, after: 6 },
  subtitle: { size: 14, before: 0, after: 6, grey: true },
  h1: { size: 18, bold: true, before: 16, after: 8 },
  h2: { size: 14.5, bold: true, before: 12, after: 6 },
  h3: { size: 12, bold: true, before: 10, after: 4 },
  body: { size: 10.5, before: 0, after: 8 },
  caption: { size: 9.5, before: 4, after: 4, grey: true },
} satisfies Record<string, TextStyle>;
const HEADINGS = [STYLES.h1, STYLES.h2, STYLES.h3];
const BLACK: Rgb = [0.1, 0.1, 0.12];
const GREY: Rgb = [0.4, 0.4, 0.45];
const RULE: Rgb = [0.7, 0.7, 0.74];
const HEADER_FILL: Rgb = [0.92, 0.93, 0.95];

const cellText = (cell: string | number | boolean | null) => (cell === null ? '' : String(cell));

/** Every string the document draws, to decide which fonts to load. */
function* modelTexts(model: DocumentModel): Generator<string> {
  yield model.title;
  if (model.subtitle) yield model.subtitle;
  for (const section of model.sections) {
    if (section.heading) yield section.heading;
    for (const block of section.blocks) {
      if (block.type === 'paragraph' || block.type === 'heading') yield block.text;
      else if (block.type === 'bullets') yield* block.items;
      else if (block.type === 'table') {
        if (block.caption) yield block.caption;
        yield* block.columns;
        for (const row of block.rows) for (const cell of row) if (typeof cell === 'string') yield cell;
      }
    }
  }
}

/**
 * Loads and embeds the fonts the model needs: the CJK, emoji, Hangul, Arabic and Devanagari fonts
 * only for text that asks for them.
 */
const embedFonts = (doc: PDFDocument, model: DocumentModel, source: FontSource) =>
  textKitFor(doc, modelTexts(model), source);

/** Lays the model out page by page: a cursor moving down, a new page when the next thing does not fit. */
class Layout {
  canvas!: PageCanvas;
  y = 0;
  pages = 0;
  /** Pages laid out but not yet compressed: flush() after each block keeps this short. */
  private done: PageCanvas[] = [];

  constructor(
    private readonly doc: PDFDocument,
    private readonly text: TextKit,
    private readonly maxPages: number,
  ) {
    this.newPage();
  }

  newPage() {
    if (this.pages >= this.maxPages) throw pageLimitError('pdf', this.maxPages);
    if (this.canvas) this.done.push(this.canvas);
    this.canvas = new PageCanvas(this.doc, this.doc.addPage([PAGE.width, PAGE.height]));
    this.pages += 1;
    this.y = PAGE.height - MARGIN.top;
  }

  get atTop() {
    return this.y === PAGE.height - MARGIN.top;
  }

  /** Starts a new page unless `height` fits below the cursor. */
  ensure(height: number) {
    if (this.y - height < MARGIN.bottom && !this.atTop) this.newPage();
  }

  private drawLines(lines: Line[], style: TextStyle, x: number) {
    const lineHeight = style.size * LEADING;
    const color = style.grey ? GREY : BLACK;
    for (const line of lines) {
      this.ensure(lineHeight);
      this.text.draw(this.canvas, line, x, this.y - style.size * 1.1, style.size, color);
      this.y -= lineHeight;
    }
  }

  textBlock(content: string, style: TextStyle, keepWithNext = 0) {
    const base: BaseFont = style.bold ? 'NotoSans-Bold' : 'NotoSans-Regular';
    const lines = this.text.wrap(content, base, CONTENT_WIDTH / style.size);
    if (!this.atTop) this.y -= style.before;
    // Headings stay whole and with the first lines of what follows; a paragraph keeps two lines together.
    const together = keepWithNext ? lines.length : Math.min(lines.length, 2);
    this.ensure(together * style.size * LEADING + keepWithNext);
    this.drawLines(lines, style, MARGIN.left);
    this.y -= style.after;
  }

  heading(content: string, level: 1 | 2 | 3) {
    this.textBlock(content, HEADINGS[level - 1], STYLES.body.size * LEADING * 2);
  }

  async list(items: string[], ordered: boolean) {
    const style = STYLES.body;
    const indent = ordered ? 24 : 16;
    for (const [index, item] of items.entries()) {
      const lines = this.text.wrap(item, 'NotoSans-Regular', (CONTENT_WIDTH - indent) / style.size);
      const marker = this.text.wrap(ordered ? `${index + 1}.` : '•', 'NotoSans-Regular', indent)[0];
      this.ensure(style.size * LEADING);
      const markerX = MARGIN.left + indent - 6 - marker.width * style.size;
      this.text.draw(this.canvas, marker, markerX, this.y - style.size * 1.1, style.size, BLACK);
      this.drawLines(lines, style, MARGIN.left + indent);
      this.y -= 3;
      await this.flush();
    }
    this.y -= style.after - 3;
  }

  image(image: PDFImage, size: { width: number; height: number }) {
    this.ensure(size.height);
    const x = MARGIN.left + (CONTENT_WIDTH - size.width) / 2;
    this.canvas.image(image, x, this.y - size.height, size.width, size.height);
    this.y -= size.height + STYLES.body.after;
  }

  async table(block: TableBlock) {
    if (block.caption) this.textBlock(block.caption, STYLES.caption);
    const columns = block.columns.length;
    // Wide tables shrink their font (down to 5 pt) rather than overflow the page.
    const size = Math.max(5, Math.min(9, (9 * CONTENT_WIDTH) / (columns * 60)));
    const padding = Math.max(2, size * 0.45);
    const lineHeight = size * 1.3;
    const widths = this.columnWidths(block, size, padding);
    const wrapRow = (cells: string[], bold: boolean) =>
      widths.map((w, i) =>
        this.text.wrap(cells[i] ?? '', bold ? 'NotoSans-Bold' : 'NotoSans-Regular', (w - 2 * padding) / size),
      );
    // A header taller than a few lines would leave no room for rows on a page.
    const header = wrapRow(block.columns, true).map((lines) => lines.slice(0, 6));
    const headerLines = Math.max(1, ...header.map((c) => c.length));
    const headerHeight = headerLines * lineHeight + 2 * padding;
    const drawRow = (cells: Line[][], from: number, count: number, bold: boolean) => {
      const height = count * lineHeight + 2 * padding;
      let x = MARGIN.left;
      cells.forEach((lines, i) => {
        this.canvas.rect(x, this.y - height, widths[i], height, {
          fill: bold ? HEADER_FILL : undefined,
          stroke: RULE,
          lineWidth: 0.5,
        });
        lines.slice(from, from + count).forEach((line, j) => {
          const baseline = this.y - padding - j * lineHeight - size * 1.05;
          this.text.draw(this.canvas, line, x + padding, baseline, size, BLACK);
        });
        x += widths[i];
      });
      this.y -= height;
    };
    let fresh = false;
    const headerOnNewPage = () => {
      this.newPage();
      drawRow(header, 0, headerLines, true);
      fresh = true;
    };
    this.ensure(headerHeight + lineHeight + 2 * padding);
    drawRow(header, 0, headerLines, true);
    const linesPerPage = Math.floor((CONTENT_HEIGHT - headerHeight - 2 * padding) / lineHeight);
    for (const row of block.rows) {
      const cells = wrapRow(row.map(cellText), false);
      const total = Math.max(1, ...cells.map((c) => c.length));
      let from = 0;
      while (from < total) {
        const fits = Math.floor((this.y - MARGIN.bottom - 2 * padding) / lineHeight);
        const left = total - from;
        // Move a row that would fit on a page to the next page rather than split it.
        if (!fresh && (fits < 1 || (fits < left && left <= linesPerPage))) {
          headerOnNewPage();
          continue;
        }
        const count = Math.max(1, Math.min(fits, left));
        drawRow(cells, from, count, false);
        fresh = false;
        from += count;
        if (from < total) headerOnNewPage();
      }
      // A long table spans many pages: compress each as soon as it is full.
      await this.flush();
    }
    this.y -= STYLES.body.after;
  }

  /** Column widths from content: natural widths when they fit, otherwise a fair share plus the surplus by need. */
  private columnWidths(block: TableBlock, size: number, padding: number) {
    const count = block.columns.length;
    const given = block.column_widths;
    if (given && given.length === count) {
      const sum = given.reduce((a, b) => a + b, 0);
      return given.map((w) => (w * CONTENT_WIDTH) / sum);
    }
    const natural = block.columns.map((column, i) => {
      let width = this.text.measure(column, 'NotoSans-Bold');
      // A sample of rows is enough to size columns; measuring 100,000 rows would cost more than drawing them.
      for (const row of block.rows.slice(0, 200))
        width = Math.max(width, this.text.measure(cellText(row[i] ?? null), 'NotoSans-Regular'));
      return Math.min(width * size + 2 * padding, CONTENT_WIDTH);
    });
    const total = natural.reduce((a, b) => a + b, 0);
    if (total <= CONTENT_WIDTH) return natural.map((w) => (w * CONTENT_WIDTH) / total);
    const share = CONTENT_WIDTH / count;
    const widths = natural.map((w) => Math.min(w, share));
    const surplus = CONTENT_WIDTH - widths.reduce((a, b) => a + b, 0);
    const need = natural.map((w, i) => w - widths[i]);
    const needTotal = need.reduce((a, b) => a + b, 0);
    return widths.map((w, i) => w + (needTotal > 0 ? (surplus * need[i]) / needTotal : 0));
  }

  /** Compresses the pages finished so far. */
  async flush() {
    if (this.done.length === 0) return;
    const done = this.done;
    this.done = [];
    for (const canvas of done) await canvas.finish();
  }

  /** Ends the last page, then writes "n / total" centred in every page's footer (unless the caller numbers them). */
  async finish(pageNumbers: boolean) {
    this.done.push(this.canvas);
    await this.flush();
    if (!pageNumbers) return;
    const pages = this.doc.getPages();
    const size = 9;
    for (const [i, page] of pages.entries()) {
      const canvas = new PageCanvas(this.doc, page);
      const line = this.text.wrap(`${i + 1} / ${pages.length}`, 'NotoSans-Regular', CONTENT_WIDTH)[0];
      const x = MARGIN.left + (CONTENT_WIDTH - line.width * size) / 2;
      this.text.draw(canvas, line, x, MARGIN.bottom / 2 - 3, size, GREY);
      await canvas.finish();
    }
  }
}

const embedImage = async (doc: PDFDocument, image: DecodedImage) => {
  try {
    return image.type === 'png' ? await doc.embedPng(image.bytes) : await doc.embedJpg(image.bytes);
  } catch (err) {
    throw new AppError('UNPROCESSABLE', `${image.where}: the image data is corrupt`, {
      details: { reason: 'INVALID_IMAGE', where: image.where },
      cause: err,
    });
  }
};

/** Renders the model as an A4 PDF with embedded, subset Noto fonts (real text, any script). */
export async function renderPdf(
  model: DocumentModel,
  deps: { fonts: FontSource },
  options: { pageNumbers?: boolean } = {},
): Promise<RenderedFile> {
  assertWithinLimits(model, 'pdf', PDF_LIMITS);
  // Decode every image first: bad data fails fast, before any layout work.
  const images = decodeModelImages(model.sections);
  const maxPixels = PDF_LIMITS.maxImagePixels ?? Infinity;
  for (const image of images.values()) {
    const pixels = image.width * image.height;
    if (image.type === 'png' && pixels > maxPixels) throw imagePixelsError('pdf', image.where, maxPixels, pixels);
  }

  const pdf = await import('pdf-lib');
  const doc = await pdf.PDFDocument.create({ updateMetadata: false });
  const text = await embedFonts(doc, model, deps.fonts);
  const layout = new Layout(doc, text, PDF_LIMITS.maxPages ?? Infinity);

  layout.textBlock(model.title, STYLES.title);
  if (model.subtitle) layout.textBlock(model.subtitle, STYLES.subtitle);
  layout.y -= 12;
  for (const section of model.sections) {
    if (section.heading) layout.heading(section.heading, section.level);
    for (const block of section.blocks) {
      switch (block.type) {
        case 'paragraph':
          layout.textBlock(block.text, STYLES.body);
          break;
        case 'heading':
          layout.heading(block.text, block.level);
          break;
        case 'bullets':
          await layout.list(block.items, block.ordered);
          break;
        case 'table':
          await layout.table(block);
          break;
        case 'image': {
          const decoded = images.get(block)!;
          const embedded = await embedImage(doc, decoded);
          layout.image(embedded, fitImage(decoded, block.width, CONTENT_WIDTH, CONTENT_HEIGHT));
          break;
        }
        case 'page_break':
          if (!layout.atTop) layout.newPage();
          break;
      }
      await layout.flush();
    }
  }
  await layout.finish(options.pageNumbers ?? true);

  const { metadata } = model;
  doc.setTitle(model.title, { showInWindowTitleBar: true });
  if (metadata.author) doc.setAuthor(metadata.author);
  if (metadata.subject) doc.setSubject(metadata.subject);
  if (metadata.keywords?.length) doc.setKeywords(metadata.keywords);
  if (metadata.language) doc.setLanguage(metadata.language);
  doc.setCreator('FlowSpark');
  doc.setProducer('FlowSpark docgen (pdf-lib)');
  const bytes = await doc.save({ useObjectStreams: true });
  return { bytes, contentType: CONTENT_TYPES.pdf, extension: 'pdf' };
}
