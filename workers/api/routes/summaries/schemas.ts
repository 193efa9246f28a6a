import { TemplateVariables } from '@flowspark/docgen';
import {
  MAX_PROMPT_TEMPLATE_CHARS,
  SUMMARY_LENGTHS,
  SUMMARY_STATUSES,
  type SummaryRow,
  type SummaryTemplateRow,
  templateVariablesOf,
} from '@flowspark/summaries';
import { z } from '@hono/zod-openapi';
import { idParam, PageQuerySchema, TimestampSchema } from '../../lib/schemas';

export const SUMMARY_ID_EXAMPLE = 'smy_4b5c6d7e8f90a1b2c3d4e5f60718293a';
export const TEMPLATE_ID_EXAMPLE = 'smt_4b5c6d7e8f90a1b2c3d4e5f60718293a';
export const SummaryIdParams = z.object({ id: idParam('id', SUMMARY_ID_EXAMPLE) });
export const SummaryTemplateIdParams = z.object({ id: idParam('id', TEMPLATE_ID_EXAMPLE) });

export const SummarizeSchema = z
  .strictObject({
    template_id: z.string().min(1).max(64).optional().openapi({ example: TEMPLATE_ID_EXAMPLE }),
    length: z.enum(SUMMARY_LENGTHS).optional().openapi({ description: 'About 100, 250 or 600 words (default medium)' }),
    focus: z.string().trim().min(1).max(500).optional().openapi({ example: 'obligations of the tenant' }),
    variables: z
      .record(z.string(), z.unknown())
      .optional()
      .openapi({ description: 'Values of the template’s variables, checked against their declarations' }),
  })
  .openapi('SummarizeRequest');

const CitationSchema = z
  .object({
    source: z.number().int().openapi({ description: 'The passage number cited as [n] in the text' }),
    chunk_id: z.string(),
    page_number: z.number().int().nullable(),
    snippet: z.string(),
  })
  .openapi('SummaryCitation');

export const SummarySchema = z
  .object({
    id: z.string().openapi({ example: SUMMARY_ID_EXAMPLE }),
    document_id: z.string(),
    template_id: z.string().nullable(),
    length: z.enum(SUMMARY_LENGTHS),
    focus: z.string().nullable(),
    variables: z.record(z.string(), z.unknown()),
    status: z.enum(SUMMARY_STATUSES),
    summary_text: z.string().nullable(),
    citations: z.array(CitationSchema),
    pages_used: z.array(z.number().int()),
    passes: z
      .number()
      .int()
      .openapi({ description: 'Model calls made: 1, or one per part plus the calls that combined them' }),
    model: z.string().nullable(),
    tokens_used: z.number().int(),
    job_id: z.string().nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    created_at: TimestampSchema,
    completed_at: TimestampSchema.nullable(),
  })
  .openapi('Summary');

export const SummaryListQuery = PageQuerySchema.extend({
  document_id: z.string().min(1).max(64).optional(),
  status: z.enum(SUMMARY_STATUSES).optional(),
});

export const SummaryTemplateInputSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200).openapi({ example: 'Contract brief' }),
    description: z.string().max(2_000).optional(),
    prompt_template: z
      .string()
      .trim()
      .min(1)
      .max(MAX_PROMPT_TEMPLATE_CHARS)
      .openapi({ example: 'Summarise this contract for {{audience}} in at most {{words}} words.' }),
    variables: TemplateVariables.optional().openapi({
      description: 'Declarations of the `{{placeholders}}` (name, type, required, default), as for document templates',
    }),
  })
  .openapi('SummaryTemplateInput');

export const SummaryTemplateSchema = z
  .object({
    id: z.string().openapi({ example: TEMPLATE_ID_EXAMPLE }),
    name: z.string(),
    description: z.string(),
    prompt_template: z.string(),
    variables: z.array(z.record(z.string(), z.unknown())),
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
  })
  .openapi('SummaryTemplate');

export const presentSummary = (row: SummaryRow) => ({
  id: row.id,
  document_id: row.documentId,
  template_id: row.templateId,
  length: row.length,
  focus: row.focus,
  variables: row.variables,
  status: row.status,
  summary_text: row.summaryText,
  citations: row.citations as unknown as z.infer<typeof CitationSchema>[],
  pages_used: row.pagesUsed,
  passes: row.passes,
  model: row.model,
  tokens_used: row.tokensUsed,
  job_id: row.jobId,
  error: row.errorCode ? { code: row.errorCode, message: row.errorMessage ?? '' } : null,
  created_at: row.createdAt,
  completed_at: row.completedAt,
});

export const presentSummaryTemplate = (row: SummaryTemplateRow) => ({
  id: row.id,
  name: row.name,
  description: row.description,
  prompt_template: row.promptTemplate,
  variables: templateVariablesOf(row) as unknown as Record<string, unknown>[],
  created_at: row.createdAt,
  updated_at: row.updatedAt,
});
