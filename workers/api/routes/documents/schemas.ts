import { DocumentModel, FORMATS, MAX_INPUT_DATA_BYTES } from '@flowspark/docgen';
import { DOCUMENT_FORMATS, DOCUMENT_STATUSES, MAX_PROMPT_CHARS } from '@flowspark/documents';
import { z } from '@hono/zod-openapi';
import { idParam, PageQuerySchema, TimestampSchema } from '../../lib/schemas';

export const DOCUMENT_ID_EXAMPLE = 'doc_3c9e1f7a2b8d4e6f9a0b1c2d3e4f5a6b';

export const DocumentIdParams = z.object({ id: idParam('id', DOCUMENT_ID_EXAMPLE) });

export const DocumentStatusSchema = z.enum(DOCUMENT_STATUSES).openapi('GeneratedDocumentStatus');

const DocumentFormatSchema = z
  .enum(DOCUMENT_FORMATS, {
    error: (issue) =>
      issue.input === 'pptx'
        ? 'pptx decks are made by POST /presentations/generate; documents are docx, pdf or xlsx'
        : `Unsupported format: use one of ${DOCUMENT_FORMATS.join(', ')}`,
  })
  .openapi('GeneratedDocumentFormat');

export const TitleSchema = z.string().trim().min(1).max(255);
export const DescriptionSchema = z.string().max(2_000);

/** Longer prompts are refused by the service with 413 PAYLOAD_TOO_LARGE (a clearer answer than a 400). */
export const PromptSchema = z
  .string()
  .trim()
  .min(1)
  .openapi({
    description: `What to write, in any language; at most ${MAX_PROMPT_CHARS.toLocaleString('en-US')} characters (longer is 413)`,
    example: 'A one-page summary of our Q3 results for the board: revenue up 12%, churn down to 2%.',
  });

export const TemplateIdSchema = z
  .string()
  .regex(/^tpl_[0-9a-f]{32}$/, 'Invalid template id')
  .openapi({ description: "A template of your organization, or another organization's public one" });

export const InputDataSchema = z.record(z.string(), z.unknown()).openapi({
  description: `Values for the template's variables (checked against their declarations), or data for the prompt; at most ${MAX_INPUT_DATA_BYTES / 1024} KB serialized (more is 413)`,
  example: { client: 'ACME', due_date: '2026-03-01' },
});

/**
 * Optional, and wrapped before `.openapi()`: a schema built by a package may have been constructed
 * before @hono/zod-openapi extended zod (an isolate whose first event was a queue message), and zod 4
 * copies prototype methods at construction, so `DocumentModel.openapi` may not exist.
 */
export const ContentSchema = DocumentModel.optional().openapi({
  description:
    'A complete document model to render without AI (title, sections of headings, paragraphs, bullets, tables, images, page breaks); its texts may hold `{{variables}}` filled from input_data. Not combined with prompt or template_id.',
});

export const GenerateDocumentSchema = z
  .strictObject({
    title: TitleSchema,
    description: DescriptionSchema.optional(),
    format: DocumentFormatSchema,
    prompt: PromptSchema.optional(),
    template_id: TemplateIdSchema.optional(),
    input_data: InputDataSchema.optional(),
    content: ContentSchema,
  })
  .openapi('GenerateDocumentRequest');

export const UpdateDocumentSchema = z
  .strictObject({
    title: TitleSchema.optional(),
    description: DescriptionSchema.optional(),
    input_data: InputDataSchema.optional(),
    prompt: PromptSchema.optional(),
    content: ContentSchema,
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'Give at least one field to change' })
  .openapi('UpdateDocumentRequest');

export const ListDocumentsQuery = PageQuerySchema.extend({
  status: DocumentStatusSchema.optional(),
  format: DocumentFormatSchema.optional(),
});

export const DownloadQuery = z.strictObject({
  version: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .openapi({ description: 'A version number; default: the current one' }),
});

export const ListVersionsQuery = PageQuerySchema;

const documentFields = {
  id: z.string().openapi({ example: DOCUMENT_ID_EXAMPLE }),
  title: z.string(),
  description: z.string(),
  status: DocumentStatusSchema.openapi({
    description: '`pending` → `processing` → `completed` | `failed` (a failed re-render keeps the previous version)',
  }),
  template_id: z.string().nullable(),
  prompt: z.string().nullable(),
  input_data: z.record(z.string(), z.unknown()),
  current_version: z
    .number()
    .int()
    .openapi({ description: 'The version the file belongs to; 0 until the first render' }),
  file_size_bytes: z.number().int(),
  content_type: z.string().nullable(),
  tokens_used: z.number().int(),
  model_used: z.string().nullable(),
  generation_time_ms: z.number().int().nullable(),
  error_code: z.string().nullable().openapi({ example: 'AI_INVALID_OUTPUT' }),
  error_message: z.string().nullable(),
  job_id: z.string().nullable().openapi({ description: 'The latest generation job (follow it at /jobs/{id})' }),
  created_at: TimestampSchema,
  updated_at: TimestampSchema,
  download_url: z.string().nullable().openapi({ description: 'Null until a version has been rendered' }),
};

export const DocumentSchema = z
  .object({ ...documentFields, format: z.enum(FORMATS).openapi({ description: 'docx, pdf or xlsx' }) })
  .openapi('GeneratedDocument');

export const PresentationSchema = z
  .object({
    ...documentFields,
    format: z.enum(FORMATS).openapi({ description: 'Always pptx' }),
    slide_count: z.number().int(),
    speaker_notes: z.boolean(),
  })
  .openapi('Presentation');

export const DocumentVersionSchema = z
  .object({
    version: z.number().int(),
    file_size_bytes: z.number().int(),
    tokens_used: z.number().int(),
    model_used: z.string().nullable(),
    generation_time_ms: z.number().int().nullable(),
    created_at: TimestampSchema,
    download_url: z.string(),
  })
  .openapi('DocumentVersion');
