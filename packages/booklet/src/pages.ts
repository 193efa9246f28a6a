/**
 * A book's pages (seed 003): what each page type takes, and the checks of a page against the uploads
 * it names (page ranges within the PDF, mapped fields present in the form, sheets present in the
 * workbook). Pure: no parser is loaded here (the uploads were read when they were uploaded).
 */
import { z } from 'zod';
import type { UploadInfo, UploadKind } from './inspect';

export const PAGE_TYPES = ['static', 'pdf_form', 'choosable', 'excel'] as const;
export type PageType = (typeof PAGE_TYPES)[number];

export const ATTRIBUTE_KEY = /^[A-Za-z0-9_.-]{1,100}$/;
export const AttributeKey = z.string().regex(ATTRIBUTE_KEY, 'Letters, digits, `_`, `.` and `-`, at most 100');

const RANGE = /^\s*\d+\s*(-\s*\d+\s*)?(,\s*\d+\s*(-\s*\d+\s*)?)*$/;
export const PageRange = z
  .string()
  .max(500)
  .regex(RANGE, 'Page numbers from 1, as a list of pages and ranges: "1-3,5"')
  .meta({ example: '1-3,5' });

/** An A1-style cell range, e.g. "A1:F40". */
const CELL_RANGE = /^([A-Za-z]{1,3})([1-9]\d{0,6}):([A-Za-z]{1,3})([1-9]\d{0,6})$/;
export const CellRange = z.string().regex(CELL_RANGE, 'A cell range such as "A1:F40"').meta({ example: 'A1:F40' });

export const Period = z
  .strictObject({
    year: z.number().int().min(1900).max(2200),
    quarter: z.number().int().min(1).max(4).optional(),
  })
  .meta({ description: 'Take the attributes of this period instead of the latest' });
export type Period = z.infer<typeof Period>;

export const StaticConfig = z.strictObject({
  pages: PageRange.optional().meta({ description: 'Which pages of the PDF, from 1; all of them without it' }),
});
export const PdfFormConfig = z.strictObject({
  field_map: z
    .record(z.string().min(1).max(200), AttributeKey)
    .refine((map) => Object.keys(map).length >= 1 && Object.keys(map).length <= 500, {
      message: 'Map from 1 to 500 fields',
    })
    .meta({ description: 'PDF field name → attribute key', example: { customer_name: 'name', plan: 'plan' } }),
  period: Period.optional(),
  on_missing: z
    .enum(['blank', 'error'])
    .default('blank')
    .meta({ description: 'A mapped attribute the customer lacks: leave the field blank, or fail the booklet' }),
});
export const ChoosableConfig = z.strictObject({
  fallback: z
    .enum(['skip', 'error'])
    .meta({ description: 'No condition matches: leave the page out, or fail the booklet' }),
  period: Period.optional(),
});
export const ExcelConfig = z.strictObject({
  sheet: z.string().min(1).max(31),
  range: CellRange.optional().meta({ description: 'The cells to render; the used range without it' }),
  header: z.boolean().default(true).meta({ description: 'The first row is a header, repeated on every page' }),
});

export type StaticConfig = z.infer<typeof StaticConfig>;
export type PdfFormConfig = z.infer<typeof PdfFormConfig>;
export type ChoosableConfig = z.infer<typeof ChoosableConfig>;
export type ExcelConfig = z.infer<typeof ExcelConfig>;

export const ConditionInput = z.strictObject({
  attribute_key: AttributeKey,
  attribute_value: z.union([z.string().max(10_000), z.number(), z.boolean()]).transform(String),
  target_upload_id: z.string().min(1).max(64),
});
export type ConditionInput = z.infer<typeof ConditionInput>;
export const MAX_CONDITIONS = 100;
export const Conditions = z.array(ConditionInput).max(MAX_CONDITIONS);

/** Config by page type. */
export const PAGE_CONFIGS = {
  static: StaticConfig,
  pdf_form: PdfFormConfig,
  choosable: ChoosableConfig,
  excel: ExcelConfig,
} as const;

export type PageConfig = StaticConfig | PdfFormConfig | ChoosableConfig | ExcelConfig;

/**
 * Page numbers ("1-3,5", from 1) as 0-based indices in the order given; null when one is outside
 * the document or a range runs backwards.
 */
export const parsePageRange = (spec: string, pageCount: number): number[] | null => {
  const out: number[] = [];
  for (const part of spec.split(',')) {
    const [from, to = from] = part.split('-').map((n) => Number(n.trim()));
    if (from < 1 || to < from || to > pageCount) return null;
    for (let page = from; page <= to; page += 1) out.push(page - 1);
  }
  return out;
};

/** The cells of an A1 range: 1-based first/last row and column. */
export const parseCellRange = (range: string) => {
  const match = CELL_RANGE.exec(range.trim());
  if (!match) return null;
  const column = (letters: string) => [...letters.toUpperCase()].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0);
  const [top, bottom] = [Number(match[2]), Number(match[4])].sort((a, b) => a - b);
  const [left, right] = [column(match[1]), column(match[3])].sort((a, b) => a - b);
  return { top, left, bottom, right };
};

/** What the checks need to know of an upload. */
export interface UploadFacts {
  id: string;
  kind: UploadKind;
  filename: string | null;
  info: UploadInfo;
}

/** A page as the checks see it. */
export interface PageDraft {
  type: PageType;
  uploadId: string | null;
  config: PageConfig;
  conditions: { targetUploadId: string }[];
}

/** One problem of a page: the request field it is about and what is wrong. */
export interface PageProblem {
  field: string;
  message: string;
}

const needPdf = (upload: UploadFacts | undefined, field: string, id: string | null): PageProblem | UploadFacts => {
  if (!id) return { field, message: 'A PDF upload is required' };
  if (!upload) return { field, message: `Upload ${id} not found` };
  if (upload.info.kind !== 'pdf') return { field, message: `Upload ${id} is not a PDF` };
  return upload;
};
const isProblem = (value: PageProblem | UploadFacts): value is PageProblem => 'message' in value;

/**
 * Checks a page against the uploads it names (`uploads` holds the tenant's uploads by id; one not in
 * it does not exist for the tenant). `spreadsheet` is the workbook given to a generation, which an
 * excel page without its own upload renders. Returns every problem found, none when the page is sound.
 */
export const checkPage = (
  page: PageDraft,
  uploads: ReadonlyMap<string, UploadFacts>,
  spreadsheet?: UploadFacts | null,
): PageProblem[] => {
  const problems: PageProblem[] = [];
  const upload = page.uploadId ? uploads.get(page.uploadId) : undefined;
  switch (page.type) {
    case 'static': {
      const pdf = needPdf(upload, 'upload_id', page.uploadId);
      if (isProblem(pdf)) problems.push(pdf);
      else if (pdf.info.kind === 'pdf') {
        const { pages } = page.config as StaticConfig;
        if (pages && !parsePageRange(pages, pdf.info.page_count)) {
          problems.push({
            field: 'config.pages',
            message: `"${pages}" is not within the PDF's ${pdf.info.page_count} page(s)`,
          });
        }
      }
      break;
    }
    case 'pdf_form': {
      const pdf = needPdf(upload, 'upload_id', page.uploadId);
      if (isProblem(pdf)) problems.push(pdf);
      else if (pdf.info.kind === 'pdf') {
        const fields = new Set(pdf.info.form_fields.map((f) => f.name));
        if (fields.size === 0) problems.push({ field: 'upload_id', message: `Upload ${pdf.id} has no form fields` });
        else {
          for (const name of Object.keys((page.config as PdfFormConfig).field_map)) {
            if (!fields.has(name)) {
              problems.push({ field: `config.field_map.${name}`, message: `The form has no field "${name}"` });
            }
          }
        }
      }
      break;
    }
    case 'choosable': {
      if (page.uploadId) {
        problems.push({ field: 'upload_id', message: 'A choosable page takes its PDFs from its conditions' });
      }
      page.conditions.forEach((condition, i) => {
        const target = needPdf(
          uploads.get(condition.targetUploadId),
          `conditions.${i}.target_upload_id`,
          condition.targetUploadId,
        );
        if (isProblem(target)) problems.push(target);
      });
      break;
    }
    case 'excel': {
      const { sheet } = page.config as ExcelConfig;
      const book = page.uploadId ? upload : (spreadsheet ?? undefined);
      if (page.uploadId && !upload) problems.push({ field: 'upload_id', message: `Upload ${page.uploadId} not found` });
      else if (book && book.info.kind !== 'xlsx') {
        problems.push({
          field: page.uploadId ? 'upload_id' : 'spreadsheet_upload_id',
          message: `Upload ${book.id} is not an XLSX workbook`,
        });
      } else if (book && book.info.kind === 'xlsx' && !book.info.sheets.some((s) => s.name === sheet)) {
        problems.push({
          field: 'config.sheet',
          message: `The workbook has no sheet "${sheet}" (it has ${book.info.sheets.map((s) => `"${s.name}"`).join(', ')})`,
        });
      }
      break;
    }
  }
  return problems;
};

/** Every upload id a page names. */
export const pageUploadIds = (page: Pick<PageDraft, 'uploadId' | 'conditions'>): string[] => [
  ...(page.uploadId ? [page.uploadId] : []),
  ...page.conditions.map((c) => c.targetUploadId),
];

/**
 * The upload a choosable page takes: the first condition whose attribute has the value (compared as
 * trimmed text), or null.
 */
export const chooseUpload = (
  conditions: { attributeKey: string; attributeValue: string; targetUploadId: string }[],
  attributes: Record<string, string>,
): string | null => {
  for (const condition of conditions) {
    const value = attributes[condition.attributeKey];
    if (value !== undefined && value.trim() === condition.attributeValue.trim()) return condition.targetUploadId;
  }
  return null;
};
