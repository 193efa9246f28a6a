/**
 * Generated documents and presentations (one table, `kind` tells them apart) and their versions.
 * A generation is a document row plus a job, written in one batch; the job handler renders the file,
 * writes it to R2 under a key that belongs to one version, and then commits the version row and the
 * document's new current version together. A document's file only changes on success, so nothing
 * half-written is ever downloadable. Every query is scoped to the tenant.
 */
import { AppError, conflict, newId, notFound, type PageRequest, validationError } from '@flowspark/core';
import { type Database, paginate, schema } from '@flowspark/db';
import { checkTemplateInput, type DocumentModelInput } from '@flowspark/docgen';
import { buildJob, cancelJob, getJob, isTerminal, type JobRow } from '@flowspark/jobs';
import { and, desc, eq, inArray, type SQL } from 'drizzle-orm';
import { deletePrefix, type FileArea, resourcePrefix, versionFileKey } from './files';
import { getTemplate, incrementTemplateUsage, type TemplateRecord } from './templates';

const { documents, documentVersions, jobs } = schema;

export type DocumentRow = typeof documents.$inferSelect;
export type DocumentVersionRow = typeof documentVersions.$inferSelect;
export type DocumentKind = DocumentRow['kind'];
export type DocumentStatus = DocumentRow['status'];
export type DocumentFormat = DocumentRow['format'];

export const DOCUMENT_STATUSES = ['pending', 'processing', 'completed', 'failed'] as const;
/** Formats of `/documents`; pptx decks are made by `/presentations`. */
export const DOCUMENT_FORMATS = ['docx', 'pdf', 'xlsx'] as const;
export const MAX_PROMPT_CHARS = 20_000;
export const DEFAULT_SLIDE_COUNT = 8;
export const MAX_SLIDE_COUNT = 50;

export const GENERATION_JOB_TYPES: Record<DocumentKind, string> = {
  document: 'document.generate',
  presentation: 'presentation.generate',
};

/** What a generation job carries: ids and the version it renders (deterministic output key). */
export interface GenerationJobInput {
  document_id: string;
  version: number;
}

/** Stored in `documents.options`: the parts of the request that are neither prompt nor input data. */
export interface DocumentOptions {
  /** A document model given directly (no AI); its texts may hold `{{variables}}` from input_data. */
  content?: DocumentModelInput;
  slide_count?: number;
  speaker_notes?: boolean;
}

export const fileAreaOf = (kind: DocumentKind): FileArea => (kind === 'document' ? 'documents' : 'presentations');

/** The R2 key of one version's file: a re-render never overwrites another version's file. */
export const documentFileKey = (doc: Pick<DocumentRow, 'orgId' | 'kind' | 'id' | 'format'>, version: number) =>
  versionFileKey(doc.orgId, fileAreaOf(doc.kind), doc.id, version, doc.format);

export const documentOptions = (doc: Pick<DocumentRow, 'options'>): DocumentOptions =>
  (doc.options ?? {}) as DocumentOptions;

// ---------------------------------------------------------------------------------------------
// Presentation

export interface DocumentView {
  id: string;
  title: string;
  description: string;
  format: DocumentFormat;
  status: DocumentStatus;
  template_id: string | null;
  prompt: string | null;
  input_data: Record<string, unknown>;
  current_version: number;
  file_size_bytes: number;
  content_type: string | null;
  tokens_used: number;
  model_used: string | null;
  generation_time_ms: number | null;
  error_code: string | null;
  error_message: string | null;
  job_id: string | null;
  created_at: string;
  updated_at: string;
  /** Where the current version downloads from; null until the first render succeeded. */
  download_url: string | null;
}

export interface PresentationView extends DocumentView {
  slide_count: number;
  speaker_notes: boolean;
}

export interface DocumentVersionView {
  version: number;
  file_size_bytes: number;
  tokens_used: number;
  model_used: string | null;
  generation_time_ms: number | null;
  created_at: string;
  download_url: string;
}

const basePath = (kind: DocumentKind, id: string) => `/api/v1/${fileAreaOf(kind)}/${id}`;

export const presentDocument = (row: DocumentRow): DocumentView => ({
  id: row.id,
  title: row.title,
  description: row.description,
  format: row.format,
  status: row.status,
  template_id: row.templateId,
  prompt: row.prompt,
  input_data: row.inputData ?? {},
  current_version: row.currentVersion,
  file_size_bytes: row.fileSizeBytes,
  content_type: row.contentType,
  tokens_used: row.tokensUsed,
  model_used: row.modelUsed,
  generation_time_ms: row.generationTimeMs,
  error_code: row.errorCode,
  error_message: row.errorMessage,
  job_id: row.jobId,
  created_at: row.createdAt,
  updated_at: row.updatedAt,
  download_url: row.currentVersion > 0 && row.fileKey ? `${basePath(row.kind, row.id)}/download` : null,
});

export const presentPresentation = (row: DocumentRow): PresentationView => {
  const options = documentOptions(row);
  return {
    ...presentDocument(row),
    slide_count: options.slide_count ?? DEFAULT_SLIDE_COUNT,
    speaker_notes: options.speaker_notes ?? true,
  };
};

export const presentVersion = (
  doc: Pick<DocumentRow, 'kind' | 'id'>,
  row: DocumentVersionRow,
): DocumentVersionView => ({
  version: row.version,
  file_size_bytes: row.fileSizeBytes,
  tokens_used: row.tokensUsed,
  model_used: row.modelUsed,
  generation_time_ms: row.generationTimeMs,
  created_at: row.createdAt,
  download_url: `${basePath(doc.kind, doc.id)}/download?version=${row.version}`,
});

// ---------------------------------------------------------------------------------------------
// Checks shared by generate and update

const assertPromptSize = (prompt: string | undefined) => {
  if (prompt !== undefined && prompt.length > MAX_PROMPT_CHARS) {
    throw new AppError('PAYLOAD_TOO_LARGE', `The prompt has ${prompt.length} characters; at most ${MAX_PROMPT_CHARS}`, {
      details: { field: 'prompt', max_chars: MAX_PROMPT_CHARS, chars: prompt.length },
    });
  }
};

const KIND_LABEL: Record<TemplateRecord['kind'], string> = {
  model: 'model',
  docx_file: 'DOCX file',
  pdf_form: 'PDF form',
};

/** File templates make exactly their file's format; model templates render to any format. */
const assertTemplateFits = (template: TemplateRecord, format: DocumentFormat, prompt: string | undefined) => {
  const fixed = template.kind === 'docx_file' ? 'docx' : template.kind === 'pdf_form' ? 'pdf' : null;
  if (fixed && fixed !== format) {
    throw validationError('The template cannot make this format', {
      format: [`A ${KIND_LABEL[template.kind]} template makes ${fixed} files; ${format} was asked for`],
    });
  }
  if (fixed && prompt !== undefined) {
    throw validationError('The template takes no prompt', {
      prompt: [`A ${KIND_LABEL[template.kind]} template is filled from input_data only; leave out the prompt`],
    });
  }
};

/** input_data checked against the template's variables (or, without one, only for size and shape). */
const checkInput = (template: TemplateRecord | null, input: Record<string, unknown>) =>
  checkTemplateInput(template?.variables ?? [], input);

// ---------------------------------------------------------------------------------------------
// Generate

export interface DocumentActor {
  orgId: string;
  userId: string;
}

export interface GenerationRequest {
  kind: DocumentKind;
  title: string;
  description?: string;
  format: DocumentFormat;
  prompt?: string;
  template_id?: string;
  input_data?: Record<string, unknown>;
  content?: DocumentModelInput;
  slide_count?: number;
  speaker_notes?: boolean;
}

const generationJob = (actor: DocumentActor, doc: Pick<DocumentRow, 'id' | 'kind'>, version: number) =>
  buildJob({
    orgId: actor.orgId,
    type: GENERATION_JOB_TYPES[doc.kind],
    resourceType: doc.kind,
    resourceId: doc.id,
    input: { document_id: doc.id, version } satisfies GenerationJobInput as unknown as Record<string, unknown>,
    createdBy: actor.userId,
  });

/**
 * Checks the request, then writes the document (pending, version 0), its job and the template's
 * usage count in one batch. The caller enqueues the job. A template must be visible to the tenant
 * (its own or a public one) and its variables satisfied; otherwise nothing is written.
 */
export const startGeneration = async (
  db: Database,
  actor: DocumentActor,
  request: GenerationRequest,
): Promise<{ document: DocumentRow; job: JobRow }> => {
  const { prompt, content } = request;
  assertPromptSize(prompt);
  if (prompt === undefined && request.template_id === undefined && content === undefined) {
    throw validationError('Nothing to generate from', {
      prompt: ['Give a prompt, a template_id or content (a document model)'],
    });
  }
  if (content !== undefined && (prompt !== undefined || request.template_id !== undefined)) {
    throw validationError('content is a complete document', {
      content: ['content cannot be combined with prompt or template_id'],
    });
  }
  let template: TemplateRecord | null = null;
  if (request.template_id !== undefined) {
    template = await getTemplate(db, actor.orgId, request.template_id);
    if (!template) throw notFound('Template');
    assertTemplateFits(template, request.format, prompt);
  }
  const inputData = request.input_data ?? {};
  checkInput(template, inputData);

  const options: DocumentOptions = {};
  if (content !== undefined) options.content = content;
  if (request.kind === 'presentation') {
    options.slide_count = request.slide_count ?? DEFAULT_SLIDE_COUNT;
    options.speaker_notes = request.speaker_notes ?? true;
  }
  const now = new Date().toISOString();
  const id = newId('doc');
  const job = generationJob(actor, { id, kind: request.kind }, 1);
  const document: DocumentRow = {
    id,
    orgId: actor.orgId,
    kind: request.kind,
    title: request.title,
    description: request.description ?? '',
    format: request.format,
    status: 'pending',
    templateId: template?.id ?? null,
    prompt: prompt ?? null,
    inputData,
    options: options as Record<string, unknown>,
    currentVersion: 0,
    fileKey: null,
    fileSizeBytes: 0,
    contentType: null,
    tokensUsed: 0,
    modelUsed: null,
    generationTimeMs: null,
    errorCode: null,
    errorMessage: null,
    jobId: job.id,
    createdBy: actor.userId,
    createdAt: now,
    updatedAt: now,
  };
  await db.batch([
    db.insert(documents).values(document),
    db.insert(jobs).values(job),
    ...(template ? [incrementTemplateUsage(db, template.id)] : []),
  ]);
  return { document, job };
};

// ---------------------------------------------------------------------------------------------
// Read

export const getDocument = async (
  db: Database,
  orgId: string,
  kind: DocumentKind,
  id: string,
): Promise<DocumentRow | null> => {
  const [row] = await db
    .select()
    .from(documents)
    .where(and(eq(documents.id, id), eq(documents.orgId, orgId), eq(documents.kind, kind)))
    .limit(1);
  return row ?? null;
};

export interface DocumentListQuery extends PageRequest {
  status?: DocumentStatus;
  format?: DocumentFormat;
}

/** Newest first: one page query and one count, in one round trip. */
export const listDocuments = async (
  db: Database,
  orgId: string,
  kind: DocumentKind,
  query: DocumentListQuery,
): Promise<{ items: DocumentRow[]; total: number }> => {
  const conditions: SQL[] = [eq(documents.orgId, orgId), eq(documents.kind, kind)];
  if (query.status) conditions.push(eq(documents.status, query.status));
  if (query.format) conditions.push(eq(documents.format, query.format));
  const where = and(...conditions);
  return paginate(
    db,
    db.select().from(documents).where(where).orderBy(desc(documents.createdAt), desc(documents.id)),
    { table: documents, where },
    query,
  );
};

/** Rendered versions, newest first (a version row exists only once its file was stored). */
export const listVersions = async (
  db: Database,
  orgId: string,
  documentId: string,
  query: PageRequest,
): Promise<{ items: DocumentVersionRow[]; total: number }> => {
  const where = and(eq(documentVersions.documentId, documentId), eq(documentVersions.orgId, orgId));
  return paginate(
    db,
    db.select().from(documentVersions).where(where).orderBy(desc(documentVersions.version)),
    { table: documentVersions, where },
    query,
  );
};

export const getVersion = async (
  db: Database,
  orgId: string,
  documentId: string,
  version: number,
): Promise<DocumentVersionRow | null> => {
  const [row] = await db
    .select()
    .from(documentVersions)
    .where(
      and(
        eq(documentVersions.documentId, documentId),
        eq(documentVersions.orgId, orgId),
        eq(documentVersions.version, version),
      ),
    )
    .limit(1);
  return row ?? null;
};

/**
 * The stored file of a version (the current one when `version` is absent). Not rendered yet is 409;
 * a version that does not exist is 404.
 */
export const findDownload = async (
  db: Database,
  doc: DocumentRow,
  version?: number,
): Promise<{ key: string; version: number }> => {
  if (version === undefined || version === doc.currentVersion) {
    if (doc.currentVersion > 0 && doc.fileKey) return { key: doc.fileKey, version: doc.currentVersion };
    if (version === undefined) {
      throw conflict('The document is not ready', { status: doc.status, job_id: doc.jobId });
    }
  }
  const row = await getVersion(db, doc.orgId, doc.id, version!);
  if (!row?.fileKey) throw notFound('Version');
  return { key: row.fileKey, version: row.version };
};

// ---------------------------------------------------------------------------------------------
// Update and delete

export interface DocumentPatch {
  title?: string;
  description?: string;
  input_data?: Record<string, unknown>;
  prompt?: string;
  content?: DocumentModelInput;
}

/** A render is under way while the document waits for a job that has not ended. */
const assertNotRendering = async (db: Database, doc: DocumentRow) => {
  if (doc.status !== 'pending' && doc.status !== 'processing') return;
  const job = doc.jobId ? await getJob(db, doc.orgId, doc.jobId) : null;
  if (job && !isTerminal(job.status)) {
    throw conflict('The document is being generated; wait for it to finish or cancel its job', {
      job_id: job.id,
      status: doc.status,
    });
  }
};

/**
 * Title and description alone change the row (no new version). A change of content, prompt or
 * input_data starts a new render: status processing and a new job for version current + 1; the
 * current version stays downloadable until the new one is stored.
 */
export const updateDocument = async (
  db: Database,
  actor: DocumentActor,
  id: string,
  patch: DocumentPatch,
): Promise<{ document: DocumentRow; job: JobRow | null }> => {
  const doc = await getDocument(db, actor.orgId, 'document', id);
  if (!doc) throw notFound('Document');
  const now = new Date().toISOString();
  const changes: Partial<DocumentRow> = { updatedAt: now };
  if (patch.title !== undefined) changes.title = patch.title;
  if (patch.description !== undefined) changes.description = patch.description;

  const rerender = patch.input_data !== undefined || patch.prompt !== undefined || patch.content !== undefined;
  if (!rerender) {
    const [row] = await db
      .update(documents)
      .set(changes)
      .where(and(eq(documents.id, id), eq(documents.orgId, actor.orgId)))
      .returning();
    if (!row) throw notFound('Document');
    return { document: row, job: null };
  }

  await assertNotRendering(db, doc);
  assertPromptSize(patch.prompt);
  if (patch.content !== undefined && patch.prompt !== undefined) {
    throw validationError('content is a complete document', { content: ['content cannot be combined with prompt'] });
  }
  let template: TemplateRecord | null = null;
  if (doc.templateId) {
    template = await getTemplate(db, actor.orgId, doc.templateId);
    if (!template) {
      throw new AppError('UNPROCESSABLE', 'The template this document was made from is no longer available');
    }
    if (patch.content !== undefined) {
      throw validationError('The document is made from a template', {
        content: ['A document made from a template is changed through input_data or prompt'],
      });
    }
    assertTemplateFits(template, doc.format, patch.prompt);
  }
  const inputData = patch.input_data ?? doc.inputData ?? {};
  checkInput(template, inputData);

  const options = { ...documentOptions(doc) };
  if (patch.content !== undefined) {
    options.content = patch.content;
    changes.prompt = null;
  } else if (patch.prompt !== undefined) {
    delete options.content;
    changes.prompt = patch.prompt;
  }
  const job = generationJob(actor, doc, doc.currentVersion + 1);
  Object.assign(changes, {
    inputData,
    options: options as Record<string, unknown>,
    status: 'processing',
    jobId: job.id,
    errorCode: null,
    errorMessage: null,
  } satisfies Partial<DocumentRow>);
  // Conditional on the row being as read: a concurrent update makes this one a conflict.
  const [updated] = await db.batch([
    db
      .update(documents)
      .set(changes)
      .where(and(eq(documents.id, id), eq(documents.orgId, actor.orgId), eq(documents.updatedAt, doc.updatedAt)))
      .returning(),
    db.insert(jobs).values(job),
  ]);
  if (!updated[0]) {
    await db.delete(jobs).where(and(eq(jobs.id, job.id), eq(jobs.orgId, actor.orgId)));
    throw conflict('The document changed while it was being updated; try again');
  }
  return { document: updated[0], job };
};

/**
 * Deletes the document, its versions and every file under its prefix. A job still queued or running
 * is cancelled first (returned, so the caller can announce it); a running one stops at its next check
 * and removes what it wrote.
 */
export const deleteDocument = async (
  db: Database,
  files: R2Bucket,
  orgId: string,
  kind: DocumentKind,
  id: string,
): Promise<{ cancelled: { job: JobRow; outcome: 'cancelled' | 'cancel_requested' } | null }> => {
  const doc = await getDocument(db, orgId, kind, id);
  if (!doc) throw notFound(kind === 'document' ? 'Document' : 'Presentation');
  let cancelled: { job: JobRow; outcome: 'cancelled' | 'cancel_requested' } | null = null;
  const job = doc.jobId ? await getJob(db, orgId, doc.jobId) : null;
  if (job && !isTerminal(job.status)) {
    try {
      cancelled = await cancelJob(db, orgId, job.id);
    } catch (err) {
      // It ended between the read and the cancel: nothing left to stop.
      if (!(err instanceof AppError && err.code === 'CONFLICT')) throw err;
    }
  }
  await db.batch([
    db.delete(documentVersions).where(and(eq(documentVersions.documentId, id), eq(documentVersions.orgId, orgId))),
    db.delete(documents).where(and(eq(documents.id, id), eq(documents.orgId, orgId))),
  ]);
  await deletePrefix(files, resourcePrefix(orgId, fileAreaOf(kind), id));
  return { cancelled };
};

// ---------------------------------------------------------------------------------------------
// Used by the generation job

/** The document a job renders, whatever its kind; tenant-checked. */
export const getDocumentForJob = async (db: Database, orgId: string, id: string): Promise<DocumentRow | null> => {
  const [row] = await db
    .select()
    .from(documents)
    .where(and(eq(documents.id, id), eq(documents.orgId, orgId)))
    .limit(1);
  return row ?? null;
};

/** pending → processing, only while the document still waits for this job. */
export const markDocumentProcessing = async (db: Database, doc: DocumentRow, jobId: string) => {
  const [row] = await db
    .update(documents)
    .set({ status: 'processing', errorCode: null, errorMessage: null, updatedAt: new Date().toISOString() })
    .where(and(eq(documents.id, doc.id), eq(documents.orgId, doc.orgId), eq(documents.jobId, jobId)))
    .returning();
  return row ?? null;
};

export interface RenderedVersion {
  version: number;
  /** The rendered document model; null for filled DOCX/PDF templates. */
  content: Record<string, unknown> | null;
  fileKey: string;
  fileSizeBytes: number;
  contentType: string;
  tokensUsed: number;
  modelUsed: string | null;
  generationTimeMs: number;
}

/**
 * Records a stored render in one batch: the version row (replaced if a redelivery of the same job
 * gets here again) and the document's current version, file and figures. The document is only
 * changed while it still belongs to this job; null when it no longer does (deleted or superseded).
 */
export const commitVersion = async (
  db: Database,
  doc: DocumentRow,
  jobId: string,
  rendered: RenderedVersion,
): Promise<DocumentRow | null> => {
  const now = new Date().toISOString();
  const version = {
    content: rendered.content,
    inputData: doc.inputData ?? {},
    prompt: doc.prompt,
    fileKey: rendered.fileKey,
    fileSizeBytes: rendered.fileSizeBytes,
    tokensUsed: rendered.tokensUsed,
    modelUsed: rendered.modelUsed,
    generationTimeMs: rendered.generationTimeMs,
    jobId,
  };
  const [, updated] = await db.batch([
    db
      .insert(documentVersions)
      .values({
        id: newId('ver'),
        documentId: doc.id,
        orgId: doc.orgId,
        version: rendered.version,
        createdAt: now,
        ...version,
      })
      .onConflictDoUpdate({ target: [documentVersions.documentId, documentVersions.version], set: version }),
    db
      .update(documents)
      .set({
        status: 'completed',
        currentVersion: rendered.version,
        fileKey: rendered.fileKey,
        fileSizeBytes: rendered.fileSizeBytes,
        contentType: rendered.contentType,
        tokensUsed: rendered.tokensUsed,
        modelUsed: rendered.modelUsed,
        generationTimeMs: rendered.generationTimeMs,
        errorCode: null,
        errorMessage: null,
        updatedAt: now,
      })
      .where(and(eq(documents.id, doc.id), eq(documents.orgId, doc.orgId), eq(documents.jobId, jobId)))
      .returning(),
  ]);
  return updated[0] ?? null;
};

/**
 * Marks the document failed after its job ended without success, only while it still waits for
 * that job (a document a newer job took over, or one already completed, is left alone).
 */
export const markDocumentFailed = async (
  db: Database,
  orgId: string,
  id: string,
  jobId: string,
  error: { code: string; message: string },
): Promise<DocumentRow | null> => {
  const [row] = await db
    .update(documents)
    .set({ status: 'failed', errorCode: error.code, errorMessage: error.message, updatedAt: new Date().toISOString() })
    .where(
      and(
        eq(documents.id, id),
        eq(documents.orgId, orgId),
        eq(documents.jobId, jobId),
        inArray(documents.status, ['pending', 'processing']),
      ),
    )
    .returning();
  return row ?? null;
};
