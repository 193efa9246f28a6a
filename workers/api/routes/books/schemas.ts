import type { BookRow, ConditionRow, PageWithConditions } from '@flowspark/booklet/books';
import {
  ChoosableConfig,
  ConditionInput,
  Conditions,
  ExcelConfig,
  PdfFormConfig,
  StaticConfig,
} from '@flowspark/booklet/pages';
import { z } from '@hono/zod-openapi';
import { idParam, TimestampSchema } from '../../lib/schemas';

export const TAGS = ['Booklets'];
const BOOK_ID_EXAMPLE = 'bok_3d4e5f60718293a4b5c6d7e8f90a1b2c';
const PAGE_ID_EXAMPLE = 'bpg_4e5f60718293a4b5c6d7e8f90a1b2c3d';
const UPLOAD_ID_EXAMPLE = 'upl_5f60718293a4b5c6d7e8f90a1b2c3d4e';

export const BookIdParams = z.object({ id: idParam('id', BOOK_ID_EXAMPLE) });
export const PageIdParams = z.object({
  id: idParam('id', BOOK_ID_EXAMPLE),
  page_id: idParam('page_id', PAGE_ID_EXAMPLE),
});

const BookFields = {
  name: z.string().trim().min(1).max(200),
  description: z.string().trim().max(2_000).nullable().optional(),
  table_of_contents: z
    .boolean()
    .optional()
    .openapi({ description: 'Booklets open with a table of contents (default false)' }),
};
export const CreateBookSchema = z.strictObject(BookFields).openapi('CreateBookRequest');
export const UpdateBookSchema = z
  .strictObject({ ...BookFields, name: BookFields.name.optional() })
  .openapi('UpdateBookRequest');

export const BookSchema = z
  .object({
    id: z.string().openapi({ example: BOOK_ID_EXAMPLE }),
    name: z.string(),
    description: z.string().nullable(),
    table_of_contents: z.boolean(),
    page_count: z.number().int().openapi({ description: 'Pages defined in the book (not PDF pages)' }),
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
  })
  .openapi('Book');

const uploadId = z.string().min(1).max(64).openapi({ example: UPLOAD_ID_EXAMPLE });
const common = {
  order_index: z.number().int().min(0).max(1_000_000).openapi({ description: 'Pages are assembled in this order' }),
  title: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .nullable()
    .optional()
    .openapi({ description: "The page's bookmark and contents entry; defaults to the upload's name or the sheet" }),
};

/** `config` is checked against `type`; conditions belong to choosable pages only. */
export const PageInputSchema = z
  .discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('static'),
      ...common,
      upload_id: uploadId,
      config: StaticConfig.default({}),
    }),
    z.strictObject({ type: z.literal('pdf_form'), ...common, upload_id: uploadId, config: PdfFormConfig }),
    z.strictObject({
      type: z.literal('choosable'),
      ...common,
      config: ChoosableConfig,
      conditions: Conditions.optional().openapi({ description: 'In order: the first match picks its PDF' }),
    }),
    z.strictObject({
      type: z.literal('excel'),
      ...common,
      upload_id: uploadId
        .nullable()
        .optional()
        .openapi({ description: "The workbook; without it, the generation's spreadsheet_upload_id" }),
      config: ExcelConfig,
    }),
  ])
  .openapi('BookPageRequest');

export const ConditionsBodySchema = z
  .strictObject({ conditions: Conditions })
  .openapi('PageConditionsRequest', { description: 'Replaces all conditions; the first match wins' });
export const ConditionInputSchema = z.strictObject(ConditionInput.shape).openapi('PageConditionRequest');

export const ConditionSchema = z
  .object({
    id: z.string(),
    position: z.number().int(),
    attribute_key: z.string(),
    attribute_value: z.string(),
    target_upload_id: z.string(),
  })
  .openapi('PageCondition');

export const PageSchema = z
  .object({
    id: z.string().openapi({ example: PAGE_ID_EXAMPLE }),
    book_id: z.string(),
    type: z.enum(['static', 'pdf_form', 'choosable', 'excel']),
    order_index: z.number().int(),
    title: z.string().nullable(),
    upload_id: z.string().nullable(),
    config: z.record(z.string(), z.unknown()),
    conditions: z.array(ConditionSchema),
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
  })
  .openapi('BookPage');

export const GenerateBookletSchema = z
  .strictObject({
    customer_id: z.string().min(1).max(64),
    spreadsheet_upload_id: z
      .string()
      .min(1)
      .max(64)
      .nullable()
      .optional()
      .openapi({ description: 'The workbook excel pages without an upload of their own render' }),
  })
  .openapi('GenerateBookletRequest');

export const presentBook = (row: BookRow, pageCount: number) => ({
  id: row.id,
  name: row.name,
  description: row.description,
  table_of_contents: row.tableOfContents,
  page_count: pageCount,
  created_at: row.createdAt,
  updated_at: row.updatedAt,
});

export const presentCondition = (row: ConditionRow) => ({
  id: row.id,
  position: row.position,
  attribute_key: row.attributeKey,
  attribute_value: row.attributeValue,
  target_upload_id: row.targetUploadId,
});

export const presentPage = (row: PageWithConditions) => ({
  id: row.id,
  book_id: row.bookId,
  type: row.type,
  order_index: row.orderIndex,
  title: row.title,
  upload_id: row.uploadId,
  config: row.config,
  conditions: row.conditions.map(presentCondition),
  created_at: row.createdAt,
  updated_at: row.updatedAt,
});
