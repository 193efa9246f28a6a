import {
  cleanTags,
  KB_DEFAULT_TOP_K,
  KB_DOCUMENT_STATUSES,
  KB_DOCUMENT_TYPES,
  KB_MAX_CATEGORY,
  KB_MAX_CHUNK_SIZE,
  KB_MAX_QUERY_CHARS,
  KB_MAX_TAGS,
  KB_MAX_TEXT_CHARS,
  KB_MAX_TITLE,
  KB_MAX_TOP_K,
  KB_MIN_CHUNK_SIZE,
  KB_SEARCH_MODES,
  utf8Length,
} from '@flowspark/kb';
import { z } from '@hono/zod-openapi';
import { idParam, PageQuerySchema, TimestampSchema } from '../../lib/schemas';

export const KB_DOCUMENT_ID_EXAMPLE = 'kbd_5f2c8e1a9b3d4c7e8f0a1b2c3d4e5f6a';
const CHUNK_ID_EXAMPLE = 'chk_0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f';
const ID_PATTERN = /^[a-z]{3}_[0-9a-f]{32}$/;
/** A vector filter holds at most 40 document ids (Vectorize's 2 KB filter). */
export const KB_MAX_FILTER_DOCUMENTS = 40;

export const kbDocumentIdParams = z.object({ id: idParam('id', KB_DOCUMENT_ID_EXAMPLE) });

const StatusSchema = z.enum(KB_DOCUMENT_STATUSES).openapi('KbDocumentStatus');
const TypeSchema = z.enum(KB_DOCUMENT_TYPES).openapi('KbDocumentType');
export const ModeSchema = z.enum(KB_SEARCH_MODES).openapi('KbSearchMode');

const TitleSchema = z.string().trim().min(1).max(KB_MAX_TITLE);
const CategorySchema = z
  .string()
  .trim()
  .min(1)
  .refine((value) => utf8Length(value) <= KB_MAX_CATEGORY, `At most ${KB_MAX_CATEGORY} bytes (UTF-8)`)
  .openapi({ description: `At most ${KB_MAX_CATEGORY} bytes`, example: 'handbook' });

/** Tags from a list: cleaned (trimmed, lower-cased, deduplicated) and bounded. */
const tagsFrom = (list: string[], ctx: z.RefinementCtx): string[] => {
  const result = cleanTags(list);
  if ('error' in result) {
    ctx.addIssue({ code: 'custom', message: result.error });
    return z.NEVER;
  }
  return result.tags;
};

const TagListSchema = z
  .array(z.string().max(200))
  .max(KB_MAX_TAGS * 2)
  .transform(tagsFrom)
  .openapi({ description: `At most ${KB_MAX_TAGS} tags of at most 50 characters; stored lower-case`, example: ['hr'] });

/** A form field: comma-separated tags, or a JSON array of strings. */
const TagFieldSchema = z
  .string()
  .max(4_000)
  .transform((text, ctx) => {
    const trimmed = text.trim();
    if (!trimmed.startsWith('[')) return tagsFrom(trimmed.split(','), ctx);
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      parsed = undefined;
    }
    if (!Array.isArray(parsed) || !parsed.every((t) => typeof t === 'string')) {
      ctx.addIssue({ code: 'custom', message: 'Must be comma-separated tags or a JSON array of strings' });
      return z.NEVER;
    }
    return tagsFrom(parsed, ctx);
  })
  .openapi({ type: 'string', description: 'Comma-separated tags or a JSON array of strings', example: 'hr,policies' });

const isFile = (value: unknown): value is File => value instanceof File;

export const UploadKbDocumentSchema = z
  .strictObject({
    file: z.custom<File>(isFile, 'Expected a file').openapi({
      type: 'string',
      format: 'binary',
      description: 'PDF, DOCX, HTML, Markdown, plain text or CSV (the content decides); at most 20 MB',
    }),
    title: TitleSchema.optional().openapi({ description: 'Default: the file name without its extension' }),
    tags: TagFieldSchema.optional(),
    category: CategorySchema.optional(),
  })
  .openapi('UploadKbDocumentRequest');

export const CreateKbTextSchema = z
  .strictObject({
    title: TitleSchema.openapi({ example: 'Onboarding notes' }),
    text: z
      .string()
      .min(1)
      .max(KB_MAX_TEXT_CHARS)
      .refine((text) => text.trim().length > 0, 'Must not be blank')
      .openapi({ description: 'At most 2,000,000 characters' }),
    tags: TagListSchema.optional(),
    category: CategorySchema.optional(),
    format: z.enum(['text', 'markdown']).default('text').openapi({ description: 'How to read the text' }),
  })
  .openapi('CreateKbTextRequest');

export const ListKbDocumentsQuery = PageQuerySchema.extend({
  status: StatusSchema.optional(),
  tag: z.string().trim().min(1).max(50).optional(),
  category: z.string().trim().min(1).max(200).optional(),
});

export const ReindexKbDocumentSchema = z
  .strictObject({
    chunk_size: z
      .number()
      .int()
      .min(KB_MIN_CHUNK_SIZE)
      .max(KB_MAX_CHUNK_SIZE)
      .optional()
      .openapi({
        description: `Characters per chunk, ${KB_MIN_CHUNK_SIZE}–${KB_MAX_CHUNK_SIZE} (default: the last one, else 1000)`,
      }),
    chunk_overlap: z
      .number()
      .int()
      .min(0)
      .max(KB_MAX_CHUNK_SIZE / 2)
      .optional()
      .openapi({ description: 'Characters shared by neighbouring chunks, at most half a chunk (default 150)' }),
  })
  .refine((v) => v.chunk_size === undefined || v.chunk_overlap === undefined || v.chunk_overlap <= v.chunk_size / 2, {
    message: 'Must be at most half of chunk_size',
    path: ['chunk_overlap'],
  })
  .openapi('ReindexKbDocumentRequest');

const ChunkingSchema = z.object({ chunk_size: z.number().int(), chunk_overlap: z.number().int() });

export const KbDocumentSchema = z
  .object({
    id: z.string().openapi({ example: KB_DOCUMENT_ID_EXAMPLE }),
    title: z.string(),
    source_type: z
      .enum(['upload', 'text', 'integration'])
      .openapi({ description: '`integration`: imported from a Notion or Confluence integration (kept in sync by it)' }),
    filename: z.string().nullable(),
    detected_type: TypeSchema,
    size_bytes: z.number().int(),
    sha256: z.string().openapi({ description: 'SHA-256 of the content, hex' }),
    status: StatusSchema,
    error_code: z.string().nullable().openapi({ example: 'ENCRYPTED' }),
    error_message: z.string().nullable(),
    tags: z.array(z.string()),
    category: z.string().nullable(),
    page_count: z.number().int().nullable().openapi({ description: 'PDF pages; null for other types' }),
    chunk_count: z.number().int(),
    char_count: z.number().int(),
    embedding_model: z.string().nullable(),
    chunking: ChunkingSchema.nullable(),
    job_id: z.string().nullable().openapi({ description: 'The last indexing job' }),
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
    indexed_at: TimestampSchema.nullable(),
  })
  .openapi('KbDocument');

export const KbDocumentAcceptedSchema = z
  .object({
    document: KbDocumentSchema,
    job_id: z
      .string()
      .nullable()
      .openapi({ description: "The indexing job (for a duplicate: the existing document's)" }),
    duplicate: z.boolean().openapi({
      description: "True when the same content was already there (in the knowledge base, or among the bot's documents)",
    }),
  })
  .openapi('KbDocumentAccepted');

export const KbReindexAcceptedSchema = z
  .object({ document: KbDocumentSchema, job_id: z.string() })
  .openapi('KbReindexAccepted');

const idList = (max: number) =>
  z
    .array(z.string().regex(ID_PATTERN, 'Invalid id'))
    .max(max)
    .transform((ids) => [...new Set(ids)]);

// biome-ignore lint/suspicious/noExplicitAny: any output type, from a list of strings
const commaList = <T extends z.ZodType<any, string[]>>(item: T) =>
  z
    .string()
    .max(4_000)
    .transform((text) =>
      text
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    )
    .pipe(item);

export const SearchKbQuery = z.strictObject({
  q: z.string().trim().min(1).max(KB_MAX_QUERY_CHARS).openapi({ example: 'How many vacation days do I get?' }),
  top_k: z.coerce.number().int().min(1).max(KB_MAX_TOP_K).default(KB_DEFAULT_TOP_K).openapi({ example: 5 }),
  mode: ModeSchema.default('hybrid'),
  tags: commaList(TagListSchema).optional().openapi({ type: 'string', description: 'Comma-separated: any of them' }),
  category: CategorySchema.optional(),
  document_ids: commaList(idList(KB_MAX_FILTER_DOCUMENTS))
    .optional()
    .openapi({ type: 'string', description: `Comma-separated, at most ${KB_MAX_FILTER_DOCUMENTS}` }),
});

export const KbFiltersSchema = z
  .strictObject({
    tags: TagListSchema.optional().openapi({ description: 'Documents with any of these tags' }),
    category: CategorySchema.optional(),
    document_ids: idList(KB_MAX_FILTER_DOCUMENTS)
      .optional()
      .openapi({ example: [KB_DOCUMENT_ID_EXAMPLE] }),
  })
  .openapi('KbFilters');

export const QueryKbSchema = z
  .strictObject({
    query: z.string().trim().min(1).max(KB_MAX_QUERY_CHARS).openapi({ example: 'How many vacation days do I get?' }),
    top_k: z.number().int().min(1).max(KB_MAX_TOP_K).default(KB_DEFAULT_TOP_K),
    mode: ModeSchema.default('hybrid'),
    filters: KbFiltersSchema.default({}),
  })
  .openapi('QueryKbRequest');

export const KbHitSchema = z
  .object({
    document_id: z.string().openapi({ example: KB_DOCUMENT_ID_EXAMPLE }),
    title: z.string(),
    chunk_id: z.string().openapi({ example: CHUNK_ID_EXAMPLE }),
    chunk_index: z.number().int(),
    page_number: z.number().int().nullable(),
    heading: z.string().nullable(),
    snippet: z.string().openapi({ description: 'The matching passage, at most 300 characters' }),
    score: z.number().openapi({
      description: 'keyword: −bm25; vector: cosine similarity; hybrid: reciprocal rank fusion (higher is better)',
    }),
    keyword_rank: z.number().int().optional(),
    vector_rank: z.number().int().optional(),
  })
  .openapi('KbSearchHit');

export const KbSearchResultSchema = z
  .object({
    hits: z.array(KbHitSchema),
    mode: ModeSchema,
    timings: z.object({ retrieval_ms: z.number().int() }),
  })
  .openapi('KbSearchResult');

const UsageSchema = z
  .object({
    prompt_tokens: z.number().int(),
    completion_tokens: z.number().int(),
    total_tokens: z.number().int(),
    estimated: z.boolean(),
  })
  .openapi('KbTokenUsage');

export const KbCitationSchema = z
  .object({
    source: z.number().int().openapi({ description: 'The [n] the answer cites it by' }),
    document_id: z.string(),
    title: z.string(),
    chunk_id: z.string(),
    page_number: z.number().int().nullable(),
    snippet: z.string(),
    score: z.number(),
  })
  .openapi('KbCitation');

const TimingsSchema = z.object({ retrieval_ms: z.number().int(), generation_ms: z.number().int() });

export const KbAnswerSchema = z
  .object({
    answer: z.string(),
    citations: z.array(KbCitationSchema),
    usage: UsageSchema,
    model: z.string().nullable().openapi({ description: 'Null when nothing relevant was found (no model asked)' }),
    timings: TimingsSchema,
    query_id: z.string(),
  })
  .openapi('KbAnswer');

export const KbQueryRecordSchema = z
  .object({
    id: z.string().openapi({ example: 'kbq_1a2b3c4d5e6f40718293a4b5c6d7e8f9' }),
    query: z.string(),
    answer: z.string(),
    citations: z.array(KbCitationSchema),
    usage: UsageSchema,
    model: z.string().nullable(),
    timings: TimingsSchema,
    top_k: z.number().int(),
    mode: ModeSchema,
    filters: z.object({
      tags: z.array(z.string()).optional(),
      category: z.string().optional(),
      document_ids: z.array(z.string()).optional(),
    }),
    user_id: z.string().nullable(),
    created_at: TimestampSchema,
  })
  .openapi('KbQueryRecord');
