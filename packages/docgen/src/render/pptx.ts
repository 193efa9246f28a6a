import { openArchive, ZipWriter } from '@flowspark/archive';
import type PptxGenJS from 'pptxgenjs';
import { decodeImage } from '../image-data';
import { RenderLimitError } from '../limits';
import { type Block, CONTENT_TYPES, type DocumentModel, type RenderedFile, type Section } from '../model';
import { xmlSafe } from './xml';

/**
 * PPTX renderer (pptxgenjs, which runs in workerd: it only touches Node or browser APIs to fetch
 * images from paths or URLs, and every image here is passed as data; the archive it writes is
 * re-packed, see `repack`). A 16:9 deck: a title slide, then each section as one content slide
 * (heading = slide title; paragraphs and bullets as bullet text; a table or an image shares the
 * slide when the text is short), continued on "(cont.)" slides when the text, a table or the
 * images do not fit. Speaker notes go on the section's first slide.
 *
 * The layout is planned first (pure arithmetic on the model), so the slide cap and bad images are
 * reported before pptxgenjs is even loaded.
 */

/**
 * Caps, from measurements in Node (pptxgenjs loaded; heap + external, garbage included): 50 slides
 * ~0.15 s and ~20 MB, 300 slides ~0.7 s and ~50 MB; 15 MB of images ~55 MB on top of the model,
 * which itself holds them as base64 (4/3 of their size).
 */
export const PPTX_MAX_SLIDES = 200;
export const PPTX_MAX_IMAGES = 40;
/** Decoded bytes of all images (estimated from the base64 length before decoding anything). */
export const PPTX_MAX_IMAGE_BYTES = 12_000_000;
/** A slide carries at most this many bullet items or this many estimated lines of text. */
export const PPTX_ITEMS_PER_SLIDE = 8;
export const PPTX_LINES_PER_SLIDE = 14;
/** Data rows of a table on one slide (the header row repeats on continuation slides). */
export const PPTX_TABLE_ROWS_PER_SLIDE = 12;
/** A slide cannot show a 100-column table: the first columns are shown and the caption says so. */
export const PPTX_TABLE_MAX_COLUMNS = 10;
export const PPTX_CELL_MAX_CHARS = 120;

// Geometry of LAYOUT_WIDE (13.333 × 7.5 in, 16:9), in inches.
const SLIDE_W = 13.333;
const MARGIN_X = 0.6;
const CONTENT_W = SLIDE_W - 2 * MARGIN_X;
const BODY_Y = 1.5;
const BODY_H = 5.4;
const HALF_W = 6.2;
const GAP = 0.2;
const BODY_FONT = 18;
/** Height of a line of 18 pt text, and the paragraph spacing after each item. */
const LINE_H = 0.3;
const ITEM_GAP = 0.085;
/** Average characters per line at 18 pt for the full width and for half the slide. */
const CHARS_FULL = 88;
const CHARS_HALF = 42;
const TABLE_FONT = 12;
const TABLE_LINE_H = 0.2;
const TABLE_ROW_PAD = 0.12;
const CAPTION_H = 0.4;
const ACCENT = '2563EB';
const INK = '1F2937';
const MUTED = '4B5563';

type TableBlock = Extract<Block, { type: 'table' }>;
type ImageBlock = Extract<Block, { type: 'image' }>;

interface TextItem {
  text: string;
  /** `plain`: the continuation of an item too long for one slide (no second bullet or number). */
  kind: 'bullet' | 'number' | 'subheading' | 'plain';
  /** Numbered items: their number, and which list they belong to (numbering restarts per list). */
  number?: number;
  list?: number;
  /** `plain` items: what separated them from the previous piece (a space, or nothing in CJK text). */
  joiner?: string;
}

interface TableSlice {
  caption?: string;
  columns: string[];
  rows: string[][];
  colW: number[];
  rowH: number[];
}

interface ImagePart {
  /** The block's base64: decoded again only when the archive is written, one image at a time. */
  source: string;
  where: string;
  mime: 'image/png' | 'image/jpeg';
  aspect: number;
  /** Preferred width in inches: the block's, else the image's own at 2× of 96 dpi (at least 2 in). */
  width: number;
  alt: string;
}

interface SlidePlan {
  title: string;
  items: TextItem[];
  table?: TableSlice;
  image?: ImagePart;
  notes?: string;
}

const fmt = (n: number) => n.toLocaleString('en-US');

// ---------------------------------------------------------------------------------------------
// Text measurement (an estimate: PowerPoint lays the text out itself; `fit: shrink` is the backstop)

/** Width in "average characters": East Asian wide characters and emoji count double. */
const weight = (text: string): number => {
  let w = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      w += 2;
      i++;
    } else w += code >= 0x1100 && (code <= 0x115f || code >= 0x2e80) ? 2 : 1;
  }
  return w;
};

const linesOf = (text: string, perLine: number) => Math.max(1, Math.ceil(weight(text) / perLine));

/**
 * Splits text into pieces of at most `max` weight, at a space when there is one near the end. Each
 * piece after the first starts with the separator it was cut at (' ' or ''), for re-joining.
 */
const splitText = (text: string, max: number): { text: string; joiner: string }[] => {
  const pieces: { text: string; joiner: string }[] = [];
  let joiner = '';
  let rest = text;
  while (weight(rest) > max) {
    let cut = 0;
    let w = 0;
    for (const ch of rest) {
      const cw = weight(ch);
      if (w + cw > max) break;
      w += cw;
      cut += ch.length;
    }
    const space = rest.lastIndexOf(' ', cut);
    if (space > cut * 0.6) cut = space;
    const head = rest.slice(0, cut);
    const tail = rest.slice(cut);
    pieces.push({ text: head.trimEnd(), joiner });
    rest = tail.trimStart();
    joiner = head.length > head.trimEnd().length || tail.length > rest.length ? ' ' : '';
  }
  if (rest) pieces.push({ text: rest, joiner });
  return pieces;
};

const clean = (text: string) => xmlSafe(text);

const textBlockItems = (block: Block, nextList: () => number): TextItem[] => {
  const maxPiece = (PPTX_LINES_PER_SLIDE - 1) * CHARS_FULL;
  switch (block.type) {
    case 'heading':
      return [{ text: clean(block.text).replace(/\s+/g, ' ').trim(), kind: 'subheading' }];
    case 'paragraph':
      return clean(block.text)
        .split(/\n+/)
        .map((line) => line.trim())
        .filter(Boolean)
        .flatMap((line) =>
          splitText(line, maxPiece).map(
            ({ text, joiner }, piece): TextItem => (piece ? { text, kind: 'plain', joiner } : { text, kind: 'bullet' }),
          ),
        );
    case 'bullets': {
      const list = nextList();
      return block.items.flatMap((item, i) =>
        splitText(clean(item).replace(/\s+/g, ' ').trim(), maxPiece).map(({ text, joiner }, piece): TextItem => {
          if (piece > 0) return { text, kind: 'plain', joiner };
          return block.ordered ? { text, kind: 'number', number: i + 1, list } : { text, kind: 'bullet' };
        }),
      );
    }
    default:
      return [];
  }
};

const textLines = (items: TextItem[], perLine: number) =>
  items.reduce((sum, item) => sum + linesOf(item.text, perLine), 0);
const textHeight = (items: TextItem[], perLine: number) =>
  items.length === 0 ? 0 : textLines(items, perLine) * LINE_H + items.length * ITEM_GAP + 0.15;

// ---------------------------------------------------------------------------------------------
// Images: checked by the shared decoder (same errors as the PDF and DOCX renderers)

const imagePart = (block: ImageBlock, where: string): ImagePart => {
  const image = decodeImage(block.data_base64, where);
  return {
    source: block.data_base64,
    where,
    mime: image.type === 'png' ? 'image/png' : 'image/jpeg',
    aspect: image.height / image.width,
    width: block.width ? block.width / 72 : Math.max(2, image.width / 48),
    alt: clean(block.alt),
  };
};

// ---------------------------------------------------------------------------------------------
// Tables

const cellText = (cell: unknown): string => {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'number') return cell.toLocaleString('en-US', { maximumFractionDigits: 6 });
  if (typeof cell === 'boolean') return cell ? 'Yes' : 'No';
  const text = clean(String(cell)).replace(/\s+/g, ' ').trim();
  return text.length > PPTX_CELL_MAX_CHARS ? `${text.slice(0, PPTX_CELL_MAX_CHARS - 1).trimEnd()}…` : text;
};

/** Widths proportional to content (sampled), at least 0.8 in, filling the content width. */
const columnWidths = (columns: string[], rows: string[][]): number[] => {
  const want = columns.map((c) => Math.min(40, Math.max(6, weight(c))));
  for (const row of rows.slice(0, 200)) {
    row.forEach((cell, i) => {
      want[i] = Math.max(want[i]!, Math.min(40, weight(cell)));
    });
  }
  const total = want.reduce((a, b) => a + b, 0);
  const widths = want.map((w) => Math.max(0.8, (w / total) * CONTENT_W));
  const scale = CONTENT_W / widths.reduce((a, b) => a + b, 0);
  return widths.map((w) => Math.round(w * scale * 1000) / 1000);
};

const rowHeight = (cells: string[], colW: number[]) => {
  let lines = 1;
  cells.forEach((cell, i) => {
    const perLine = Math.max(4, Math.floor(colW[i]! * 11) - 1);
    lines = Math.max(lines, linesOf(cell, perLine));
  });
  return Math.round((TABLE_ROW_PAD + lines * TABLE_LINE_H) * 1000) / 1000;
};

// ---------------------------------------------------------------------------------------------
// Planning

class Planner {
  readonly slides: SlidePlan[] = [];
  private lists = 0;
  private images = 0;
  private imageBytes = 0;

  constructor(private readonly model: DocumentModel) {}

  plan(): SlidePlan[] {
    // Cheap lower bound first, so a 100,000-row table is refused without being paginated.
    let minimum = 1 + this.model.sections.length;
    for (const section of this.model.sections) {
      for (const block of section.blocks) {
        if (block.type === 'table')
          minimum += Math.max(0, Math.ceil(block.rows.length / PPTX_TABLE_ROWS_PER_SLIDE) - 1);
        if (block.type === 'image') {
          this.images += 1;
          this.imageBytes += Math.floor((block.data_base64.length * 3) / 4);
        }
      }
    }
    this.checkSlides(minimum);
    if (this.images > PPTX_MAX_IMAGES) {
      throw new RenderLimitError(
        `A presentation holds at most ${PPTX_MAX_IMAGES} images; this one has ${this.images}`,
        {
          limit: PPTX_MAX_IMAGES,
          actual: this.images,
        },
      );
    }
    if (this.imageBytes > PPTX_MAX_IMAGE_BYTES) {
      throw new RenderLimitError(
        `A presentation holds at most ${fmt(PPTX_MAX_IMAGE_BYTES)} bytes of images; this one has ${fmt(this.imageBytes)}`,
        {
          limit: PPTX_MAX_IMAGE_BYTES,
          actual: this.imageBytes,
        },
      );
    }
    for (const [i, section] of this.model.sections.entries()) this.section(section, i);
    this.checkSlides(this.slides.length + 1);
    return this.slides;
  }

  private checkSlides(count: number) {
    if (count > PPTX_MAX_SLIDES) {
      throw new RenderLimitError(
        `A presentation holds at most ${PPTX_MAX_SLIDES} slides; this document needs at least ${fmt(count)}`,
        {
          limit: PPTX_MAX_SLIDES,
          actual: count,
        },
      );
    }
  }

  private section(section: Section, index: number) {
    const title = clean(section.heading ?? '').trim() || clean(this.model.title);
    let current: SlidePlan = {
      title,
      items: [],
      notes: section.speaker_notes ? clean(section.speaker_notes) : undefined,
    };
    this.slides.push(current);
    const next = () => {
      current = { title: `${title} (cont.)`, items: [] };
      this.slides.push(current);
      if (this.slides.length + 1 > PPTX_MAX_SLIDES) this.checkSlides(this.slides.length + 1);
      return current;
    };
    const hasContent = (slide: SlidePlan) => slide.items.length > 0 || slide.table || slide.image;
    section.blocks.forEach((block, b) => {
      const where = `Image in section ${index + 1}, block ${b + 1}`;
      switch (block.type) {
        case 'page_break':
          if (hasContent(current)) next();
          return;
        case 'table':
          this.table(block, current, next);
          return;
        case 'image': {
          const image = imagePart(block, where);
          const halfFits = current.items.length > 0 && textLines(current.items, CHARS_HALF) <= PPTX_LINES_PER_SLIDE;
          if (current.table || current.image || (current.items.length > 0 && !halfFits)) next();
          current.image = image;
          return;
        }
        default:
          for (const item of textBlockItems(block, () => ++this.lists)) {
            const last = current.items.at(-1);
            if (item.kind === 'plain' && last && !current.table && !current.image) {
              // The rest of a long item fits on the same slide after all: make it one item again.
              const merged = { ...last, text: last.text + item.joiner + item.text };
              if (textLines([...current.items.slice(0, -1), merged], CHARS_FULL) <= PPTX_LINES_PER_SLIDE) {
                current.items[current.items.length - 1] = merged;
                continue;
              }
            }
            const full =
              current.items.length >= PPTX_ITEMS_PER_SLIDE ||
              textLines([...current.items, item], CHARS_FULL) > PPTX_LINES_PER_SLIDE;
            if (current.table || current.image || full) next();
            current.items.push(item);
          }
      }
    });
  }

  private table(block: TableBlock, first: SlidePlan, next: () => SlidePlan) {
    const shown = Math.min(block.columns.length, PPTX_TABLE_MAX_COLUMNS);
    const columns = block.columns.slice(0, shown).map(cellText);
    const note = block.columns.length > shown ? ` (first ${shown} of ${block.columns.length} columns)` : '';
    const caption = block.caption || note ? `${clean(block.caption ?? '').trim()}${note}`.trim() : undefined;
    const rows = block.rows.map((row) => Array.from({ length: shown }, (_, i) => cellText(row[i])));
    const colW = columnWidths(columns, rows);
    const headerH = rowHeight(columns, colW);
    const captionH = caption ? CAPTION_H : 0;
    // The first slice shares the current slide when its text is short; later slices get a slide each.
    let slide =
      first.table || first.image || first.items.length > 4 || textLines(first.items, CHARS_FULL) > 5 ? next() : first;
    const start = () => ({ caption, columns, rows: [] as string[][], colW, rowH: [headerH] });
    let slice: TableSlice = start();
    let room = BODY_H - textHeight(slide.items, CHARS_FULL) - captionH - headerH;
    slide.table = slice;
    for (const row of rows) {
      const h = rowHeight(row, colW);
      if (slice.rows.length > 0 && (slice.rows.length >= PPTX_TABLE_ROWS_PER_SLIDE || h > room)) {
        slide = next();
        slice = start();
        slide.table = slice;
        room = BODY_H - captionH - headerH;
      }
      slice.rows.push(row);
      slice.rowH.push(h);
      room -= h;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering

type Pptx = PptxGenJS;
type Slide = PptxGenJS.Slide;

const addTitle = (slide: Slide, title: string, lang?: string) => {
  slide.addText(title, {
    x: MARGIN_X,
    y: 0.35,
    w: CONTENT_W,
    h: 0.95,
    fontSize: 28,
    bold: true,
    color: INK,
    valign: 'middle',
    fit: 'shrink',
    lang,
  });
  slide.addShape('rect', { x: MARGIN_X, y: 1.3, w: 1.2, h: 0.05, fill: { color: ACCENT }, line: { color: ACCENT } });
};

const addItems = (
  slide: Slide,
  items: TextItem[],
  box: { x: number; y: number; w: number; h: number },
  lang?: string,
) => {
  let listStart = 0;
  const runs = items.map((item, i) => {
    // PowerPoint numbers a run of numbered paragraphs from the first one's start value.
    const previous = items.slice(0, i).findLast((it) => it.kind !== 'plain');
    if (item.kind === 'number' && !(previous?.kind === 'number' && previous.list === item.list))
      listStart = item.number!;
    // A continuation piece keeps the bullet indent with an invisible (no-break space) bullet.
    const bullet: PptxGenJS.TextPropsOptions['bullet'] =
      item.kind === 'bullet'
        ? true
        : item.kind === 'number'
          ? { type: 'number', numberStartAt: listStart }
          : item.kind === 'plain'
            ? { characterCode: '00A0' }
            : false;
    return {
      text: item.text,
      options: { bullet, bold: item.kind === 'subheading', breakLine: i < items.length - 1, paraSpaceAfter: 6 },
    };
  });
  slide.addText(runs, { ...box, fontSize: BODY_FONT, color: INK, valign: 'top', fit: 'shrink', lang });
};

const addImage = (slide: Slide, image: ImagePart, box: { x: number; y: number; w: number; h: number }) => {
  let w = Math.min(image.width, box.w);
  let h = w * image.aspect;
  if (h > box.h) {
    h = box.h;
    w = h / image.aspect;
  }
  const x = box.x + (box.w - w) / 2;
  // A 3-byte placeholder of the right type: the real bytes are put in when the archive is re-packed.
  slide.addImage({ data: `${image.mime};base64,AAAA`, x, y: box.y, w, h, altText: image.alt });
  return h;
};

const renderSlide = (slide: Slide, plan: SlidePlan, lang?: string) => {
  addTitle(slide, plan.title, lang);
  let y = BODY_Y;
  if (plan.image && plan.items.length > 0) {
    addItems(slide, plan.items, { x: MARGIN_X, y, w: HALF_W, h: BODY_H }, lang);
    const x = MARGIN_X + HALF_W + GAP;
    addImage(slide, plan.image, { x, y, w: SLIDE_W - MARGIN_X - x, h: BODY_H });
  } else if (plan.image) {
    const captionH = plan.image.alt ? CAPTION_H : 0;
    const h = addImage(slide, plan.image, { x: MARGIN_X, y, w: CONTENT_W, h: BODY_H - captionH });
    if (captionH) {
      slide.addText(plan.image.alt, {
        x: MARGIN_X,
        y: y + h + 0.05,
        w: CONTENT_W,
        h: CAPTION_H,
        fontSize: 13,
        italic: true,
        color: MUTED,
        align: 'center',
        lang,
      });
    }
  } else if (plan.items.length > 0) {
    const h = plan.table ? textHeight(plan.items, CHARS_FULL) : BODY_H;
    addItems(slide, plan.items, { x: MARGIN_X, y, w: CONTENT_W, h }, lang);
    y += h;
  }
  if (plan.table) {
    const { caption, columns, rows, colW, rowH } = plan.table;
    if (caption) {
      slide.addText(caption, {
        x: MARGIN_X,
        y,
        w: CONTENT_W,
        h: CAPTION_H,
        fontSize: 13,
        italic: true,
        color: MUTED,
        valign: 'middle',
        lang,
      });
      y += CAPTION_H;
    }
    const header = columns.map((text) => ({ text, options: { bold: true, fill: { color: 'DDEBF7' }, color: INK } }));
    const body = rows.map((row) => row.map((text) => ({ text })));
    slide.addTable([header, ...body], {
      x: MARGIN_X,
      y,
      w: CONTENT_W,
      colW,
      rowH,
      fontSize: TABLE_FONT,
      color: INK,
      valign: 'middle',
      border: { type: 'solid', pt: 0.5, color: 'BFBFBF' },
      autoPage: false,
    });
  }
  if (plan.notes) slide.addNotes(plan.notes);
  slide.slideNumber = {
    x: SLIDE_W - MARGIN_X - 0.8,
    y: 7.0,
    w: 0.8,
    h: 0.3,
    fontSize: 10,
    color: '6B7280',
    align: 'right',
  };
};

const titleSlide = (pptx: Pptx, model: DocumentModel, lang?: string) => {
  const slide = pptx.addSlide();
  slide.addShape('rect', { x: 0, y: 0, w: SLIDE_W, h: 0.2, fill: { color: ACCENT }, line: { color: ACCENT } });
  slide.addText(clean(model.title), {
    x: 0.9,
    y: 1.9,
    w: SLIDE_W - 1.8,
    h: 1.9,
    fontSize: 40,
    bold: true,
    color: INK,
    valign: 'bottom',
    fit: 'shrink',
    lang,
  });
  if (model.subtitle) {
    slide.addText(clean(model.subtitle), {
      x: 0.9,
      y: 3.95,
      w: SLIDE_W - 1.8,
      h: 1.0,
      fontSize: 22,
      color: MUTED,
      valign: 'top',
      fit: 'shrink',
      lang,
    });
  }
  if (model.metadata.author) {
    slide.addText(clean(model.metadata.author), {
      x: 0.9,
      y: 5.6,
      w: SLIDE_W - 1.8,
      h: 0.5,
      fontSize: 16,
      color: MUTED,
      lang,
    });
  }
};

/**
 * Re-packs pptxgenjs's output with the images' real bytes. Through pptxgenjs and JSZip, images cost
 * 6–8× their size in memory (base64 copies, decoded copies, chunk lists and their concatenation:
 * ~70–95 MB for 12 MB of images, measured); here pptxgenjs writes 3-byte placeholders, its other
 * entries are deflated one by one, and each image is decoded just before it is stored, so the live
 * peak is about twice the images' size. Each content slide holds at most one image, so a slide's
 * one media relationship names its file.
 */
const repack = async (draft: Uint8Array, plans: SlidePlan[]): Promise<Uint8Array> => {
  // The draft is pptxgenjs's own output within the slide and image caps, read through the safe reader
  // like every archive; its entries are stored, so no ratio applies.
  const archive = openArchive(draft);
  const entries = archive.entries.filter((entry) => !entry.directory);
  const media = new Map<string, ImagePart>();
  for (const [i, plan] of plans.entries()) {
    if (!plan.image) continue;
    // Slide 1 is the title slide.
    const rels = archive.get(`ppt/slides/_rels/slide${i + 2}.xml.rels`);
    const xml = rels && (await archive.readText(rels));
    const target = xml && /Target="\.\.\/media\/([^"]+)"/.exec(xml)?.[1];
    if (!target) throw new Error(`pptx: no media relationship on slide ${i + 2}`);
    media.set(`ppt/media/${target}`, plan.image);
  }
  const out = new ZipWriter();
  for (const entry of entries) {
    const image = media.get(entry.name);
    if (image) await out.add(entry.name, decodeImage(image.source, image.where).bytes, { store: true });
    else if (entry.method === 8) out.addRaw(entry.name, entry);
    else await out.add(entry.name, entry.data);
  }
  return out.finish();
};

/**
 * Renders the model as a 16:9 PPTX deck. Throws PAYLOAD_TOO_LARGE (slides, images) or UNPROCESSABLE
 * with details.reason INVALID_IMAGE (an image that is not base64 PNG/JPEG) before any rendering.
 */
export async function renderPptx(model: DocumentModel): Promise<RenderedFile> {
  const plans = new Planner(model).plan();
  // The bundler may hand back the CommonJS shape ({ default }) or the class itself.
  const mod = (await import('pptxgenjs')) as unknown as { default?: typeof PptxGenJS };
  const Pptx = mod.default ?? (mod as unknown as typeof PptxGenJS);
  const pptx: Pptx = new Pptx();
  pptx.layout = 'LAYOUT_WIDE';
  pptx.title = clean(model.title);
  pptx.author = clean(model.metadata.author ?? '');
  pptx.subject = clean(model.metadata.subject ?? '');
  pptx.company = '';
  pptx.theme = { headFontFace: 'Calibri', bodyFontFace: 'Calibri' };
  const lang = model.metadata.language;
  titleSlide(pptx, model, lang);
  for (const plan of plans) renderSlide(pptx.addSlide(), plan, lang);
  // pptxgenjs stores its entries uncompressed here ('uint8array' output is never deflated); they are
  // deflated natively when re-packed. Its only deflating output ('STREAM') uses pako, which was
  // slower and left ~400 KB of garbage per entry in measurements.
  const draft = (await pptx.write({ outputType: 'uint8array' })) as Uint8Array;
  const bytes = await repack(draft, plans);
  return { bytes, contentType: CONTENT_TYPES.pptx, extension: 'pptx' };
}
