import { structuredOutput } from '@flowspark/ai';
import { AppError, isAppError } from '@flowspark/core';
import { createDb, type Database } from '@flowspark/db';
import {
  CONTENT_TYPES,
  checkTemplateInput,
  DocumentModel,
  fileFieldValues,
  fillDocxTemplate,
  fillModelVariables,
  fillPdfForm,
  fillTextVariables,
  parseDocumentModel,
  type RenderedFile,
  render,
} from '@flowspark/docgen';
import {
  commitVersion,
  DEFAULT_SLIDE_COUNT,
  type DocumentRow,
  documentFileKey,
  documentOptions,
  failGeneration,
  GENERATION_JOB_TYPES,
  GenerationJobInputSchema,
  getDocumentForJob,
  getTemplate,
  getVersion,
  markDocumentProcessing,
  type TemplateRecord,
} from '@flowspark/documents';
import { JobError } from '@flowspark/jobs';
import type { z } from 'zod';
import type { Env } from '../../env';
import { aiProvider } from '../../lib/ai';
import { r2FontSource } from '../../lib/fonts';
import type { JobContext, JobHandler } from '../types';
import { composePrompt, draftModel, type GenerationPlan, systemInstructions } from './document-draft';

const Input = GenerationJobInputSchema;
type Input = z.infer<typeof Input>;

interface Output {
  file: RenderedFile;
  /** The rendered model; null for a filled DOCX or PDF template. */
  model: DocumentModel | null;
  tokens: number;
  modelUsed: string | null;
}

const gone = () => new JobError('DOCUMENT_UNAVAILABLE', 'The document was deleted or replaced by a newer generation');

/** Expected input problems become a permanent job error whose message names what is wrong. */
const invalidInput = (err: unknown): never => {
  if (isAppError(err) && (err.code === 'VALIDATION_ERROR' || err.code === 'PAYLOAD_TOO_LARGE')) {
    const fields = (err.details?.fields ?? {}) as Record<string, string[]>;
    const named = Object.entries(fields).map(([field, problems]) => `${field}: ${problems.join('; ')}`);
    throw new JobError('INVALID_INPUT', named.length > 0 ? `Invalid input: ${named.join(', ')}` : err.message);
  }
  throw err;
};

/**
 * A model that no longer fits the schema after filling variables (a long value pushed a text past its
 * limit). The parsed model keeps the input's table rows rather than a copy of them.
 */
const parseModel = (value: unknown, what: string): DocumentModel => {
  const parsed = parseDocumentModel(value);
  if (parsed.success) return parsed.data;
  const where = parsed.error.issues
    .slice(0, 5)
    .map((issue) => issue.path.join('.') || '(root)')
    .join(', ');
  throw new JobError('INVALID_CONTENT', `The ${what} is not a valid document model once filled in (${where})`);
};

const readTemplateFile = async (env: Env, template: TemplateRecord): Promise<Uint8Array> => {
  const object = template.fileKey ? await env.FILES.get(template.fileKey) : null;
  if (!object) throw new JobError('TEMPLATE_FILE_MISSING', 'The template file is missing; upload the template again');
  return new Uint8Array(await object.arrayBuffer());
};

/** A generated deck keeps the slides asked for; no deck keeps notes when they were turned off. */
const shapeDeck = (model: DocumentModel, slideCount: number | null, speakerNotes: boolean): DocumentModel => ({
  ...model,
  sections: (slideCount === null ? model.sections : model.sections.slice(0, slideCount)).map((section) =>
    speakerNotes ? section : { ...section, speaker_notes: undefined },
  ),
});

const generate = async (ctx: JobContext<Input>, db: Database, doc: DocumentRow): Promise<Output> => {
  const { env } = ctx;
  const options = documentOptions(doc);
  const template = doc.templateId ? await getTemplate(db, doc.orgId, doc.templateId) : null;
  if (doc.templateId && !template) {
    throw new JobError('TEMPLATE_UNAVAILABLE', 'The template was deleted or is no longer shared with you');
  }
  let values: Record<string, unknown> = doc.inputData ?? {};
  try {
    values = checkTemplateInput(template?.variables ?? [], values);
  } catch (err) {
    invalidInput(err);
  }
  const fonts = r2FontSource(env.FILES);

  // Uploaded file templates are filled, not rendered (their renderers load their libraries lazily).
  if (template && template.kind !== 'model') {
    const bytes = await readTemplateFile(env, template);
    await ctx.progress(40, 'Filling the template');
    const data = fileFieldValues(template.variables, values);
    const filled =
      template.kind === 'docx_file' ? await fillDocxTemplate(bytes, data) : await fillPdfForm(bytes, data, { fonts });
    const extension = template.kind === 'docx_file' ? 'docx' : 'pdf';
    const file: RenderedFile = { bytes: filled, contentType: CONTENT_TYPES[extension], extension };
    return { file, model: null, tokens: 0, modelUsed: null };
  }

  const slideCount = options.slide_count ?? DEFAULT_SLIDE_COUNT;
  const speakerNotes = options.speaker_notes ?? true;
  let model: DocumentModel;
  let tokens = 0;
  let modelUsed: string | null = null;
  let generated = false;
  const outline = template?.body ? fillModelVariables(template.body, values) : null;
  const templatePrompt = template?.promptTemplate ? fillTextVariables(template.promptTemplate, values) : null;

  if (options.content) {
    model = parseModel(fillModelVariables(options.content, values), 'content');
  } else if (outline && !templatePrompt && !doc.prompt) {
    model = parseModel(outline, 'template body');
  } else {
    const plan: GenerationPlan = {
      kind: doc.kind,
      format: doc.format,
      title: doc.title,
      description: doc.description,
      prompt: doc.prompt,
      templatePrompt,
      outline,
      values,
      slideCount,
      speakerNotes,
    };
    await ctx.progress(15, 'Writing the document');
    const result = await structuredOutput(aiProvider(env), DocumentModel, {
      name: doc.kind === 'presentation' ? 'presentation' : 'document',
      system: systemInstructions(plan),
      prompt: composePrompt(plan),
      draft: () => parseModel(draftModel(plan), outline ? 'template body' : 'draft'),
    });
    // The caller named the document; a template outline keeps its own (filled) title.
    model = outline ? result.value : { ...result.value, title: doc.title };
    tokens = result.usage.total_tokens;
    modelUsed = result.model;
    generated = true;
  }
  if (doc.kind === 'presentation') model = shapeDeck(model, generated ? slideCount : null, speakerNotes);
  await ctx.progress(40, 'Generated');

  let file: RenderedFile;
  try {
    file = await render(model, doc.format, { fonts });
  } catch (err) {
    if (err instanceof AppError || err instanceof JobError) throw err;
    throw new JobError('RENDER_FAILED', `The document could not be rendered as ${doc.format.toUpperCase()}`, {
      cause: err,
    });
  }
  return { file, model, tokens, modelUsed };
};

/**
 * D1 rows are at most 2 MB: a model with large embedded images is not kept on the version row (the
 * rendered file is the version's record either way).
 */
const MAX_STORED_CONTENT_BYTES = 1_000_000;

/**
 * Whether the texts of `node` add up to more than `limit` UTF-16 units. Each unit is at least one
 * byte of UTF-8, so the JSON is then longer than `limit` bytes: a large table is turned down without
 * making its JSON (for 100,000 rows, a 7 MB string and its bytes next to the rendered file).
 */
const textLongerThan = (node: unknown, limit: number): boolean => {
  let total = 0;
  const walk = (value: unknown): boolean => {
    if (typeof value === 'string') {
      total += value.length;
      return total > limit;
    }
    if (Array.isArray(value)) return value.some(walk);
    return typeof value === 'object' && value !== null && Object.values(value).some(walk);
  };
  return walk(node);
};

const storableContent = (model: DocumentModel | null): Record<string, unknown> | null => {
  if (!model || textLongerThan(model, MAX_STORED_CONTENT_BYTES)) return null;
  const bytes = new TextEncoder().encode(JSON.stringify(model)).byteLength;
  return bytes <= MAX_STORED_CONTENT_BYTES ? (model as Record<string, unknown>) : null;
};

/** The job's result; `tokens_used` and `model_used` are what its token reservation is settled with. */
const resultOf = (
  doc: Pick<DocumentRow, 'id'>,
  version: number,
  size: number,
  tokens: number,
  model: string | null,
) => ({
  document_id: doc.id,
  version,
  file_size_bytes: size,
  tokens_used: tokens,
  model_used: model,
});

/**
 * `document.generate` and `presentation.generate`: renders one version of a document.
 *
 * 1. Loads the document (tenant-checked; it must still wait for this job) and marks it processing.
 * 2. Builds the content: the given model, or the template's body with its variables filled, or the
 *    AI's answer as structured output (a DocumentModel; the offline provider answers a draft made
 *    from the prompt); DOCX and PDF-form templates are filled instead of rendered.
 * 3. Renders it, writes the file to the version's own R2 key (a redelivery overwrites that key, never
 *    another version's), and commits the version row and the document's new current version in one
 *    batch. Anything failing after the file was written removes it again.
 *
 * Failures: invalid AI output twice (AI_INVALID_OUTPUT), a renderer cap (PAYLOAD_TOO_LARGE) and bad
 * input are permanent; transient provider errors are retried by the runner. `onFailed` marks the
 * document failed with the job's code and message.
 */
export const createDocumentGenerateHandler = (type: string): JobHandler<Input> => ({
  type,
  input: Input,

  async run(ctx) {
    const started = Date.now();
    const db = createDb(ctx.env.DB);
    const { document_id: id, version } = ctx.input;
    const found = await getDocumentForJob(db, ctx.orgId, id);
    if (!found || found.jobId !== ctx.job.id) throw gone();
    // A redelivery after this job's version was committed (its completion was lost): nothing to redo.
    const committed = await getVersion(db, ctx.orgId, id, version);
    if (committed && committed.jobId === ctx.job.id && found.currentVersion === version) {
      return resultOf(found, version, committed.fileSizeBytes, committed.tokensUsed, committed.modelUsed);
    }
    const doc = await markDocumentProcessing(db, found, ctx.job.id);
    if (!doc) throw gone();
    await ctx.progress(10, 'Loaded');

    const { file, model, tokens, modelUsed } = await generate(ctx, db, doc);
    await ctx.progress(80, 'Rendered');

    const key = documentFileKey(doc, version);
    await ctx.env.FILES.put(key, file.bytes, { httpMetadata: { contentType: file.contentType } });
    try {
      await ctx.progress(90, 'Stored');
      await ctx.throwIfCancelled();
      const committedDoc = await commitVersion(db, doc, ctx.job.id, {
        version,
        content: storableContent(model),
        fileKey: key,
        fileSizeBytes: file.bytes.byteLength,
        contentType: file.contentType,
        tokensUsed: tokens,
        modelUsed,
        generationTimeMs: Date.now() - started,
      });
      if (!committedDoc) throw gone();
    } catch (err) {
      // Nothing half-written stays behind: the key belongs to this uncommitted version only.
      await ctx.env.FILES.delete(key).catch(() => undefined);
      throw err;
    }
    return resultOf(doc, version, file.bytes.byteLength, tokens, modelUsed);
  },

  onFailed: (ctx) => failGeneration(createDb(ctx.env.DB), ctx.env.FILES, ctx.job),
});

export const documentGenerateHandler = createDocumentGenerateHandler(GENERATION_JOB_TYPES.document);
export const presentationGenerateHandler = createDocumentGenerateHandler(GENERATION_JOB_TYPES.presentation);
