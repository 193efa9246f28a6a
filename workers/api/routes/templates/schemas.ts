import { DocumentModel, FORMATS, TemplateVariables } from '@flowspark/docgen';
import { MAX_TEMPLATE_NAME_CHARS } from '@flowspark/documents';
import { z } from '@hono/zod-openapi';
import { idParam, PageQuerySchema, TimestampSchema } from '../../lib/schemas';

export const TEMPLATE_KINDS = ['model', 'docx_file', 'pdf_form'] as const;
const FormatSchema = z.enum(FORMATS).openapi('TemplateFormat');
const KindSchema = z.enum(TEMPLATE_KINDS).openapi('TemplateKind');

export const templateIdParams = z.object({ id: idParam('id', 'tpl_9a8b7c6d5e4f40312a1b2c3d4e5f6a7b') });

const VariablesSchema = TemplateVariables.openapi({
  description:
    'Declared variables: `name` (letters, digits, _; at most 64), `type` (string, number, integer, boolean, ' +
    'date, list, object), `required` (default true), `description`, `default` (must fit the type), and for ' +
    'file templates `field`: the DOCX placeholder or PDF form field it fills when that is not a valid name. ' +
    'At most 100, names unique.',
  example: [
    { name: 'client', type: 'string', required: true, description: 'Client name' },
    { name: 'due_date', type: 'date', required: false },
  ],
});

const BodySchema = DocumentModel.openapi({
  description: 'A document model whose texts may contain `{{variable}}` placeholders (all declared)',
});

const NameSchema = z.string().trim().min(1).max(MAX_TEMPLATE_NAME_CHARS);
const DescriptionSchema = z.string().max(2_000);
const PromptTemplateSchema = z.string().min(1).max(20_000).openapi({
  description: 'Instructions for the AI, with `{{variable}}` placeholders (all declared)',
});

export const CreateTemplateSchema = z
  .strictObject({
    name: NameSchema,
    description: DescriptionSchema.optional(),
    format: FormatSchema,
    variables: VariablesSchema.default([]),
    body: BodySchema.optional(),
    prompt_template: PromptTemplateSchema.optional(),
    is_public: z.boolean().optional().openapi({ description: 'Visible to every organization; owners and admins only' }),
  })
  .openapi('CreateTemplateRequest');

export const UpdateTemplateSchema = z
  .strictObject({
    name: NameSchema.optional(),
    description: DescriptionSchema.optional(),
    variables: VariablesSchema.optional(),
    body: BodySchema.nullable().optional().openapi({ description: 'null removes it (a prompt_template must remain)' }),
    prompt_template: PromptTemplateSchema.nullable().optional(),
    is_public: z.boolean().optional(),
  })
  .openapi('UpdateTemplateRequest');

export const CopyTemplateSchema = z
  .strictObject({
    name: NameSchema.optional().openapi({ description: 'The copy\'s name; default: the original\'s with " (copy)"' }),
  })
  .openapi('CopyTemplateRequest');

const isFile = (value: unknown): value is File => value instanceof File;

const JsonVariables = z
  .string()
  .max(64_000)
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'Must be a JSON array of variables' });
      return z.NEVER;
    }
  })
  .pipe(TemplateVariables);

export const UploadTemplateSchema = z
  .strictObject({
    file: z.custom<File>(isFile, 'Expected a file').openapi({
      type: 'string',
      format: 'binary',
      description: 'A .docx with {{placeholders}} or a fillable PDF; at most 10 MB',
    }),
    name: NameSchema,
    description: DescriptionSchema.optional(),
    variables: JsonVariables.optional().openapi({
      type: 'string',
      description: 'JSON array of variables; absent: derived from the DOCX placeholders or PDF form fields',
    }),
    is_public: z
      .enum(['true', 'false'])
      .transform((value) => value === 'true')
      .optional()
      .openapi({ type: 'string', enum: ['true', 'false'] }),
  })
  .openapi('UploadTemplateRequest');

export const ListTemplatesQuerySchema = PageQuerySchema.extend({
  format: FormatSchema.optional(),
  kind: KindSchema.optional(),
  visibility: z.enum(['own', 'public', 'all']).default('all').openapi({
    description: "`own`: this organization's; `public`: every public template; `all`: both",
  }),
  q: z.string().trim().min(1).max(100).optional().openapi({ description: 'Name contains (case-insensitive)' }),
});

const VariableOutSchema = z
  .object({
    name: z.string(),
    type: z.enum(['string', 'number', 'integer', 'boolean', 'date', 'list', 'object']),
    required: z.boolean(),
    description: z.string().optional(),
    default: z.unknown().optional(),
    field: z.string().optional(),
  })
  .openapi('TemplateVariable');

export const TemplateSchema = z
  .object({
    id: z.string().openapi({ example: 'tpl_9a8b7c6d5e4f40312a1b2c3d4e5f6a7b' }),
    name: z.string(),
    description: z.string(),
    format: FormatSchema,
    kind: KindSchema.openapi({
      description: '`model`: a document model and/or prompt; `docx_file`: an uploaded DOCX; `pdf_form`: a fillable PDF',
    }),
    variables: z.array(VariableOutSchema),
    body: z.record(z.string(), z.unknown()).nullable().openapi({ description: 'The document model with placeholders' }),
    prompt_template: z.string().nullable(),
    is_public: z.boolean(),
    usage_count: z.number().int(),
    owner: z.enum(['own', 'public']).openapi({
      description: "`own`: your organization's; `public`: shared by another organization (read-only for you)",
    }),
    file: z.object({ name: z.string(), size_bytes: z.number().int() }).nullable(),
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
  })
  .openapi('Template');
