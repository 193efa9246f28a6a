import { openArchive } from '@flowspark/archive';
import type { Paragraph as DocxParagraph, ParagraphChild } from 'docx';
import { clusters, normalizeText } from '../fonts';
import { type DecodedImage, decodeModelImages, fitImage } from '../image-data';
import { assertWithinLimits, DOCX_LIMITS } from '../limits';
import { type Block, CONTENT_TYPES, type DocumentModel, type RenderedFile } from '../model';
import { type TableBlock, tableXml } from './docx-table';

type Docx = typeof import('docx');
type HeadingValue = Docx['HeadingLevel'][keyof Docx['HeadingLevel']];

/** A4 with 2 cm margins, in twentieths of a point (twips). */
const PAGE = { width: 11906, height: 16838, margin: 1134 };
const CONTENT_TWIPS = PAGE.width - 2 * PAGE.margin;
const CONTENT_PT = CONTENT_TWIPS / 20;
const CONTENT_HEIGHT_PT = (PAGE.height - 2 * PAGE.margin) / 20 - 60;
const LATIN_FONT = 'Calibri';
/** Shipped with Windows and Office for Mac; other readers substitute their own CJK font. */
const EAST_ASIAN_FONT = 'Microsoft YaHei';
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3000-\u303F\uFF00-\uFFEF]/u;

/** Text that is valid XML: no control characters, no lone surrogates, no U+FFFE/U+FFFF. */
export const xmlSafe = (text: string) =>
  normalizeText(text).replace(
    /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|[\uFFFE\uFFFF]/g,
    '\uFFFD',
  );

const cellText = (cell: string | number | boolean | null) => (cell === null ? '' : String(cell));

/** Approximate width of a text in "Latin character" units: CJK and emoji count double. */
const textUnits = (text: string) => {
  let units = 0;
  for (const cluster of clusters(text)) units += cluster.kind === 'base' ? 1 : 2;
  return units;
};

class DocxBuilder {
  private listCount = 0;
  private imageCount = 0;

  constructor(
    private readonly d: Docx,
    private readonly images: Map<object, DecodedImage>,
  ) {}

  /** Runs for one text: line breaks become <w:br/>, CJK text gets the East Asian font hint. */
  runs(text: string, options: { bold?: boolean } = {}): ParagraphChild[] {
    const safe = xmlSafe(text);
    // Only the options a run needs: docx keeps every option given as objects until it packs.
    const shared = {
      ...(CJK.test(safe) ? { font: { hint: 'eastAsia' } } : {}),
      ...(options.bold ? { bold: true } : {}),
    };
    return safe
      .split('\n')
      .map((line, i) => new this.d.TextRun({ text: line, ...(i > 0 ? { break: 1 } : {}), ...shared }));
  }

  paragraph(text: string, options: { style?: string; heading?: HeadingValue } = {}) {
    return new this.d.Paragraph({ children: this.runs(text), ...options });
  }

  list(items: string[], ordered: boolean): DocxParagraph[] {
    this.listCount += 1;
    // Every ordered list is its own numbering instance, so each one starts again at 1.
    const numbering = ordered
      ? { reference: 'numbered', level: 0, instance: this.listCount }
      : { reference: 'bullets', level: 0 };
    return items.map((item) => new this.d.Paragraph({ children: this.runs(item), numbering, style: 'ListParagraph' }));
  }

  /** Tables are written as XML after packing (see docx-table.ts); here they leave a marker paragraph. */
  readonly tables: { marker: string; block: TableBlock }[] = [];
  private readonly nonce = crypto.randomUUID().replace(/-/g, '');

  table(block: TableBlock): DocxParagraph[] {
    const { d } = this;
    const marker = `FLOWSPARKTABLE${this.nonce}N${this.tables.length}`;
    this.tables.push({ marker, block });
    const caption = block.caption ? [this.paragraph(block.caption, { style: 'Caption' })] : [];
    // A paragraph after the table keeps two consecutive tables from merging, and spaces it.
    return [
      ...caption,
      new d.Paragraph({ children: [new d.TextRun(marker)] }),
      new d.Paragraph({ children: [], style: 'BodyText' }),
    ];
  }

  image(block: Extract<Block, { type: 'image' }>) {
    const image = this.images.get(block)!;
    const size = fitImage(image, block.width, CONTENT_PT, CONTENT_HEIGHT_PT);
    this.imageCount += 1;
    // docx sizes drawings in pixels at 96 per inch.
    const px = (pt: number) => Math.max(1, Math.round((pt * 96) / 72));
    const alt = xmlSafe(block.alt);
    return new this.d.Paragraph({
      alignment: this.d.AlignmentType.CENTER,
      children: [
        new this.d.ImageRun({
          type: image.type,
          data: image.bytes,
          transformation: { width: px(size.width), height: px(size.height) },
          altText: { name: `Image ${this.imageCount}`, description: alt, title: alt },
        }),
      ],
    });
  }

  block(block: Block): DocxParagraph[] {
    const { HeadingLevel, Paragraph, PageBreak } = this.d;
    switch (block.type) {
      case 'paragraph':
        return [this.paragraph(block.text, { style: 'BodyText' })];
      case 'heading':
        return [this.paragraph(block.text, { heading: HEADING_LEVELS(HeadingLevel)[block.level - 1] })];
      case 'bullets':
        return this.list(block.items, block.ordered);
      case 'table':
        return this.table(block);
      case 'image':
        return [this.image(block)];
      case 'page_break':
        return [new Paragraph({ children: [new PageBreak()] })];
    }
  }
}

const HEADING_LEVELS = (h: Docx['HeadingLevel']) => [h.HEADING_1, h.HEADING_2, h.HEADING_3] as const;

/**
 * Column widths (twips) in proportion to content length, clamped so a long column cannot crush
 * the others and a short one still fits its header's first word.
 */
const columnWidths = (block: TableBlock) => {
  const weights = block.columns.map((column, i) => {
    let units = textUnits(column.split(/\s+/)[0] ?? '');
    for (const row of block.rows.slice(0, 200)) units = Math.max(units, textUnits(cellText(row[i] ?? null)));
    return Math.min(Math.max(units, 4), 40);
  });
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => Math.floor((w * CONTENT_TWIPS) / total));
};

const styles = (language?: string) => {
  const font = { ascii: LATIN_FONT, hAnsi: LATIN_FONT, cs: LATIN_FONT, eastAsia: EAST_ASIAN_FONT };
  const heading = (size: number, before: number) => ({
    run: { font, size, bold: true, color: '1F2937' },
    paragraph: { spacing: { before, after: 120 }, keepNext: true, keepLines: true },
  });
  return {
    default: {
      document: {
        run: { font, size: 21, ...(language ? { language: { value: language } } : {}) },
        paragraph: { spacing: { after: 0, line: 276 } },
      },
      listParagraph: { paragraph: { spacing: { after: 80 } } },
      title: { run: { font, size: 48, bold: true, color: '111827' }, paragraph: { spacing: { after: 120 } } },
      heading1: heading(36, 360),
      heading2: heading(29, 240),
      heading3: heading(24, 200),
    },
    paragraphStyles: [
      {
        id: 'Subtitle',
        name: 'Subtitle',
        basedOn: 'Normal',
        next: 'Normal',
        run: { size: 28, color: '6B7280' },
        paragraph: { spacing: { after: 360 } },
      },
      {
        id: 'Caption',
        name: 'Caption',
        basedOn: 'Normal',
        next: 'Normal',
        run: { size: 19, italics: true, color: '6B7280' },
        paragraph: { spacing: { before: 120, after: 80 }, keepNext: true },
      },
      // Normal has no spacing (table cells use it); body text and list items carry their own.
      {
        id: 'BodyText',
        name: 'Body Text',
        basedOn: 'Normal',
        next: 'BodyText',
        paragraph: { spacing: { after: 160 } },
      },
    ],
  } satisfies import('docx').IStylesOptions;
};

const numbering = (d: Docx) => {
  const indent = { paragraph: { indent: { left: 720, hanging: 360 } } };
  return {
    config: [
      {
        reference: 'bullets',
        levels: [{ level: 0, format: d.LevelFormat.BULLET, text: '•', alignment: d.AlignmentType.LEFT, style: indent }],
      },
      {
        reference: 'numbered',
        levels: [
          { level: 0, format: d.LevelFormat.DECIMAL, text: '%1.', alignment: d.AlignmentType.LEFT, style: indent },
        ],
      },
    ],
  };
};

/** Replaces each table's marker paragraph in word/document.xml with the table's XML, one table at a time. */
const insertTables = async (packed: Uint8Array, tables: { marker: string; block: TableBlock }[]) => {
  // Read through the safe reader like every archive. This one is the docx library's output from a
  // model within DOCX_LIMITS, so its size is already bounded, and repetitive text may legitimately
  // compress past the ratio cap meant for uploads.
  const archive = openArchive(packed, { maxRatio: Number.POSITIVE_INFINITY });
  const body = archive.get('word/document.xml');
  if (!body) throw new Error('DOCX output without word/document.xml');
  const xml = await archive.readText(body);
  const parts: string[] = [];
  let cursor = 0;
  for (const { marker, block } of tables) {
    const at = xml.indexOf(marker, cursor);
    const start = xml.lastIndexOf('<w:p>', at);
    const end = xml.indexOf('</w:p>', at);
    if (at < 0 || start < cursor || end < 0) throw new Error('DOCX table marker not found');
    const cells = block.rows.map((row) => block.columns.map((_, i) => xmlSafe(cellText(row[i] ?? null))));
    parts.push(xml.slice(cursor, start), tableXml(block.columns.map(xmlSafe), cells, columnWidths(block)));
    cursor = end + '</w:p>'.length;
  }
  parts.push(xml.slice(cursor));
  const JSZip = (await import('jszip')).default;
  const zip = await JSZip.loadAsync(packed);
  zip.file('word/document.xml', parts.join(''));
  return zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' });
};

/** Renders the model as an A4 DOCX: Word's own Title/Heading styles, real numbering, tables and images. */
export async function renderDocx(model: DocumentModel): Promise<RenderedFile> {
  assertWithinLimits(model, 'docx', DOCX_LIMITS);
  const images = decodeModelImages(model.sections);

  const d = await import('docx');
  const builder = new DocxBuilder(d, images);
  const children: DocxParagraph[] = [builder.paragraph(model.title, { heading: d.HeadingLevel.TITLE })];
  if (model.subtitle) children.push(builder.paragraph(model.subtitle, { style: 'Subtitle' }));
  for (const section of model.sections) {
    if (section.heading) {
      children.push(builder.paragraph(section.heading, { heading: HEADING_LEVELS(d.HeadingLevel)[section.level - 1] }));
    }
    for (const block of section.blocks) children.push(...builder.block(block));
  }

  const footer = new d.Footer({
    children: [
      new d.Paragraph({
        alignment: d.AlignmentType.CENTER,
        children: [
          new d.TextRun({
            children: [d.PageNumber.CURRENT, ' / ', d.PageNumber.TOTAL_PAGES],
            size: 18,
            color: '6B7280',
          }),
        ],
      }),
    ],
  });
  const { metadata } = model;
  const doc = new d.Document({
    creator: xmlSafe(metadata.author ?? 'FlowSpark'),
    lastModifiedBy: 'FlowSpark',
    title: xmlSafe(model.title),
    subject: metadata.subject ? xmlSafe(metadata.subject) : undefined,
    keywords: metadata.keywords?.length ? xmlSafe(metadata.keywords.join(', ')) : undefined,
    description: model.subtitle ? xmlSafe(model.subtitle) : undefined,
    styles: styles(metadata.language),
    numbering: numbering(d),
    sections: [
      {
        properties: {
          page: {
            size: { width: PAGE.width, height: PAGE.height },
            margin: { top: PAGE.margin, bottom: PAGE.margin, left: PAGE.margin, right: PAGE.margin },
          },
        },
        footers: { default: footer },
        children,
      },
    ],
  });
  const packed = new Uint8Array(await d.Packer.toArrayBuffer(doc));
  const bytes = builder.tables.length ? await insertTables(packed, builder.tables) : packed;
  return { bytes, contentType: CONTENT_TYPES.docx, extension: 'docx' };
}
