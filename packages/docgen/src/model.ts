import { z } from 'zod';

/**
 * The document model: the one structure every generator produces (the AI is asked for it as
 * structured output, templates are written in it) and every renderer consumes. Renderers are
 * deterministic functions of this model.
 */
export const MAX_TEXT = 20_000;

/** A table cell's longest text, a row's most cells, a table's most rows. */
export const MAX_CELL_TEXT = 4_000;
export const MAX_ROW_CELLS = 100;
export const MAX_TABLE_ROWS = 200_000;

const Text = z.string().max(MAX_TEXT);
const Cell = z.union([z.string().max(MAX_CELL_TEXT), z.number(), z.boolean(), z.null()]);

export const ParagraphBlock = z.strictObject({ type: z.literal('paragraph'), text: Text });
export const HeadingBlock = z.strictObject({
  type: z.literal('heading'),
  text: z.string().max(500),
  level: z.union([z.literal(1), z.literal(2), z.literal(3)]).default(2),
});
export const BulletsBlock = z.strictObject({
  type: z.literal('bullets'),
  items: z.array(z.string().max(4_000)).min(1).max(500),
  ordered: z.boolean().default(false),
});
export const TableBlock = z
  .strictObject({
    type: z.literal('table'),
    caption: z.string().max(500).optional(),
    /** XLSX sheet name for this table (tables become sheets); defaults to the caption or "Table N". */
    sheet_name: z.string().max(31).optional(),
    columns: z.array(z.string().max(500)).min(1).max(100),
    /** Relative column widths (e.g. a spreadsheet's); one per column. Without them, widths follow the content. */
    column_widths: z.array(z.number().positive().max(1_000)).max(100).optional(),
    rows: z.array(z.array(Cell).max(MAX_ROW_CELLS)).max(MAX_TABLE_ROWS),
  })
  .refine((table) => !table.column_widths || table.column_widths.length === table.columns.length, {
    message: 'column_widths needs one width per column',
    path: ['column_widths'],
  });
export const ImageBlock = z.strictObject({
  type: z.literal('image'),
  /** PNG or JPEG bytes, base64 (no data: prefix). Renderers check the magic bytes. */
  data_base64: z.string().max(14_000_000),
  alt: z.string().max(500).default(''),
  /** Width in points (1/72 inch); height follows the aspect ratio. */
  width: z.number().positive().max(2_000).optional(),
});
export const PageBreakBlock = z.strictObject({ type: z.literal('page_break') });

export const Block = z.discriminatedUnion('type', [
  ParagraphBlock,
  HeadingBlock,
  BulletsBlock,
  TableBlock,
  ImageBlock,
  PageBreakBlock,
]);
export type Block = z.infer<typeof Block>;

export const Section = z.strictObject({
  heading: z.string().max(500).optional(),
  level: z.union([z.literal(1), z.literal(2), z.literal(3)]).default(1),
  blocks: z.array(Block).max(5_000).default([]),
  /** Presentations: the speaker notes of the slide made from this section. */
  speaker_notes: z.string().max(MAX_TEXT).optional(),
});
export type Section = z.infer<typeof Section>;

export const DocumentMetadata = z.strictObject({
  author: z.string().max(200).optional(),
  subject: z.string().max(500).optional(),
  keywords: z.array(z.string().max(100)).max(50).optional(),
  language: z.string().max(35).optional(),
});

export const DocumentModel = z.strictObject({
  title: z.string().min(1).max(500),
  subtitle: z.string().max(500).optional(),
  metadata: DocumentMetadata.default({}),
  sections: z.array(Section).max(2_000),
});
export type DocumentModel = z.infer<typeof DocumentModel>;
/** The model as written by a caller or a provider, before defaults are applied. */
export type DocumentModelInput = z.input<typeof DocumentModel>;

type ParsedTable = z.infer<typeof TableBlock>;

/** What the schema accepts as a table's rows (the zod rules for `rows`, checked in place). */
const validRows = (rows: unknown): rows is ParsedTable['rows'] => {
  if (!Array.isArray(rows) || rows.length > MAX_TABLE_ROWS) return false;
  for (let r = 0; r < rows.length; r++) {
    const row: unknown = rows[r];
    if (!Array.isArray(row) || row.length > MAX_ROW_CELLS) return false;
    for (let c = 0; c < row.length; c++) {
      const cell: unknown = row[c];
      if (cell === null || typeof cell === 'boolean') continue;
      if (typeof cell === 'string' ? cell.length > MAX_CELL_TEXT : !Number.isFinite(cell)) return false;
    }
  }
  return true;
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * `DocumentModel.safeParse`, without copying table rows. zod builds a new array for every row it
 * checks, and checks every cell through the union: inside workerd, parsing 100,000 × 8 sample rows
 * that way grew the process by ~55 MB, checking them in place by under 1 MB (bench/workerd-render,
 * where the parsed model is ~15 MB of heap). Rows that pass the same rules checked in place
 * are set aside while zod parses the rest of the model, then put back as they are: the parsed model
 * shares them with the input, which must not be changed afterwards. Rows that break a rule are left
 * to zod, so a failure reports the same issues and paths as `DocumentModel.safeParse`.
 */
export const parseDocumentModel = (input: unknown): ReturnType<typeof DocumentModel.safeParse> => {
  const setAside: { section: number; block: number; rows: ParsedTable['rows'] }[] = [];
  let light = input;
  if (isRecord(input) && Array.isArray(input.sections)) {
    const sections = input.sections.map((section: unknown, s) => {
      if (!isRecord(section) || !Array.isArray(section.blocks)) return section;
      let changed = false;
      const blocks = section.blocks.map((block: unknown, b) => {
        if (!isRecord(block) || block.type !== 'table' || !validRows(block.rows)) return block;
        setAside.push({ section: s, block: b, rows: block.rows });
        changed = true;
        return { ...block, rows: [] };
      });
      return changed ? { ...section, blocks } : section;
    });
    if (setAside.length > 0) light = { ...input, sections };
  }
  const parsed = DocumentModel.safeParse(light);
  if (parsed.success) {
    for (const { section, block, rows } of setAside)
      (parsed.data.sections[section]!.blocks[block] as ParsedTable).rows = rows;
  }
  return parsed;
};

export const FORMATS = ['pdf', 'docx', 'xlsx', 'pptx'] as const;
export type Format = (typeof FORMATS)[number];

export const CONTENT_TYPES: Record<Format, string> = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
};

/** A rendered file. */
export interface RenderedFile {
  bytes: Uint8Array;
  contentType: string;
  extension: Format;
}
