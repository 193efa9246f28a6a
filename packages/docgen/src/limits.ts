import { type PayloadTooLargeDetails, PayloadTooLargeError } from '@flowspark/core';
import type { DocumentModel } from './model';

/**
 * A model too large to render within the Worker's 128 MB. Raised before the renderer starts, with
 * the cap and the actual figure, so the caller can tell the user what to shrink.
 */
export class RenderLimitError extends PayloadTooLargeError {
  constructor(message: string, details: PayloadTooLargeDetails) {
    super(message, details);
    this.name = 'RenderLimitError';
  }
}

/** How big a model is, in the units the caps are expressed in. */
export interface ModelSize {
  /** Characters of text: title, headings, paragraphs, list items, table cells, captions. */
  textChars: number;
  tableRows: number;
  tableCells: number;
  /** Decoded bytes of all images (base64 length × 3/4). */
  imageBytes: number;
  images: number;
  blocks: number;
}

export const measureModel = (model: DocumentModel): ModelSize => {
  const size: ModelSize = {
    textChars: model.title.length + (model.subtitle?.length ?? 0),
    tableRows: 0,
    tableCells: 0,
    imageBytes: 0,
    images: 0,
    blocks: 0,
  };
  for (const section of model.sections) {
    size.textChars += section.heading?.length ?? 0;
    for (const block of section.blocks) {
      size.blocks += 1;
      switch (block.type) {
        case 'paragraph':
        case 'heading':
          size.textChars += block.text.length;
          break;
        case 'bullets':
          for (const item of block.items) size.textChars += item.length;
          break;
        case 'table':
          size.textChars += block.caption?.length ?? 0;
          for (const column of block.columns) size.textChars += column.length;
          size.tableRows += block.rows.length;
          for (const row of block.rows) {
            size.tableCells += row.length;
            for (const cell of row) size.textChars += typeof cell === 'string' ? cell.length : 8;
          }
          break;
        case 'image':
          size.images += 1;
          size.imageBytes += Math.floor((block.data_base64.length * 3) / 4);
          break;
      }
    }
  }
  return size;
};

/**
 * Caps per renderer, from measurements in Node (sample.ts models, README "Render limits"): the
 * smallest V8 heap each render completes in, above a 15 MB baseline, was at most ~25 MB for the
 * PDF caps and ~35 MB for the DOCX caps, leaving room in the Worker's 128 MB for the fonts (the CJK
 * font is 10.5 MB, plus ~8 MB parsed), the model, images and the output. Images cost outside the
 * V8 heap: their base64 text, the decoded bytes and the copy in the output, and in a PDF a PNG is
 * decoded to raw pixels (about 12 MB per megapixel while embedding), hence the pixel cap.
 */
export interface RenderLimits {
  /** Characters of text (see ModelSize.textChars). */
  maxTextChars: number;
  maxTableCells: number;
  /** Decoded bytes of all images together. */
  maxImageBytes: number;
  maxImages: number;
  /** PDF only: width × height of one PNG (pdf-lib decodes PNGs to raw pixels; JPEGs pass through). */
  maxImagePixels?: number;
  /** PDF only, checked during layout (the page count is known only then), before saving. */
  maxPages?: number;
}

export const PDF_LIMITS: Readonly<RenderLimits> = Object.freeze({
  maxTextChars: 2_000_000,
  maxTableCells: 100_000,
  maxImageBytes: 8_000_000,
  maxImages: 50,
  maxImagePixels: 2_500_000,
  maxPages: 1_000,
});

export const DOCX_LIMITS: Readonly<RenderLimits> = Object.freeze({
  maxTextChars: 1_200_000,
  maxTableCells: 100_000,
  maxImageBytes: 8_000_000,
  maxImages: 50,
});

const LABELS: Record<'maxTextChars' | 'maxTableCells' | 'maxImageBytes' | 'maxImages', [keyof ModelSize, string]> = {
  maxTextChars: ['textChars', 'characters of text'],
  maxTableCells: ['tableCells', 'table cells'],
  maxImageBytes: ['imageBytes', 'bytes of images'],
  maxImages: ['images', 'images'],
};

/** Throws RenderLimitError when the model exceeds a cap of `format`'s renderer. */
export const assertWithinLimits = (model: DocumentModel, format: string, limits: Readonly<RenderLimits>): ModelSize => {
  const size = measureModel(model);
  for (const [cap, [measure, label]] of Object.entries(LABELS) as [keyof typeof LABELS, [keyof ModelSize, string]][]) {
    const limit = limits[cap];
    const actual = size[measure];
    if (actual > limit) {
      throw new RenderLimitError(
        `The document is too large to render as ${format.toUpperCase()}: ${actual} ${label}, at most ${limit}`,
        { limit, actual, measure, format },
      );
    }
  }
  return size;
};

export const pageLimitError = (format: string, limit: number) =>
  new RenderLimitError(`The document is too large to render as ${format.toUpperCase()}: more than ${limit} pages`, {
    limit,
    actual: limit + 1,
    measure: 'pages',
    format,
  });

export const imagePixelsError = (format: string, where: string, limit: number, actual: number) =>
  new RenderLimitError(
    `${where}: the image is too large to render as ${format.toUpperCase()}: ${actual} pixels, at most ${limit}`,
    { limit, actual, measure: 'imagePixels', format, where },
  );
