import { assertDocumentQuota } from '@flowspark/billing';
import { AppError, describeError, logger, notFound, payloadTooLarge } from '@flowspark/core';
import {
  createKbDocument,
  findKbDocument,
  hideInKeywordIndex,
  KB_ACCEPTED_TYPES,
  type KbChunking,
  type KbPorts,
  type KbScope,
  type KbSearchOptions,
  kbMaxUploadBytes,
  kbScopeOf,
  type NewKbDocument,
  removeKbDocument,
  requestKbReindex,
  titleFromFilename,
} from '@flowspark/kb';
import { detectFileType } from '@flowspark/rag';
import { kbPorts, kbSearchOptions } from '../../../lib/kb-ports';
import { type AppContext, routeContext } from '../../lib/context';
import { enqueueOrRecover, stopJob } from '../../lib/jobs';
import { presentKbDocument } from './present';

/** Knowledge-base vars read here only (not part of the core config). */
type KbVars = { KB_MAX_UPLOAD_BYTES?: string };
const kbVars = (c: AppContext) => c.env as unknown as KbVars;

export const maxUploadBytes = (c: AppContext) => kbMaxUploadBytes(kbVars(c));

/** Search options from the vars (KB_MIN_VECTOR_SCORE). */
export const searchOptions = (c: AppContext): KbSearchOptions => kbSearchOptions(c.env);

/** The knowledge base's ports for a request, on the request's database. */
export const kbPortsOf = (c: AppContext): KbPorts => {
  const { env, db } = routeContext(c);
  return { ...kbPorts(env), db };
};

export const tooLarge = (bytes: number, max: number) =>
  payloadTooLarge(`The document must be at most ${formatBytes(max)}`, { limit: max, actual: bytes });

const formatBytes = (bytes: number) =>
  bytes % (1024 * 1024) === 0 ? `${bytes / 1024 / 1024} MB` : `${bytes.toLocaleString('en-US')} bytes`;

export const unsupportedType = () =>
  new AppError('UNSUPPORTED_MEDIA_TYPE', `Unsupported file type: the knowledge base accepts ${KB_ACCEPTED_TYPES}`, {
    details: { accepted: ['pdf', 'docx', 'html', 'markdown', 'text', 'csv'] },
  });

/**
 * Stores the document (or finds the same content) and enqueues its job. 202 with the new document and
 * its job, or 200 with the existing one and `duplicate: true`.
 */
export const acceptDocument = async (c: AppContext, input: NewKbDocument) => {
  const ctx = routeContext(c);
  // Documents and their storage count against the plan (knowledge base and bots together).
  const outcome = await createKbDocument(ctx.db, ctx.env.FILES, ctx.actor, input, (bytes) =>
    assertDocumentQuota(ctx.db, ctx.actor.orgId, bytes, ctx.env.BILLING_PLANS),
  );
  if (outcome.duplicate) {
    return {
      status: 200 as const,
      body: { document: presentKbDocument(outcome.document), job_id: outcome.document.jobId, duplicate: true },
    };
  }
  await enqueueOrRecover(ctx, outcome.job, 'kb job not enqueued');
  return {
    status: 202 as const,
    body: { document: presentKbDocument(outcome.document), job_id: outcome.job.id, duplicate: false },
  };
};

/**
 * Deletes a document of this scope (404 when the scope has none of that id): its indexing job is
 * cancelled if still live, then its vectors, keyword-index rows, file, chunks and row go.
 */
export const removeDocument = async (c: AppContext, scope: KbScope, id: string): Promise<void> => {
  const ctx = routeContext(c);
  const ports = kbPortsOf(c);
  const document = await findKbDocument(ports.db, scope, id);
  if (!document) throw notFound('Document');
  if (document.jobId && (document.status === 'uploading' || document.status === 'processing')) {
    await stopJob(ctx, document.jobId, 'Cancellation requested: the document was deleted');
  }
  await removeKbDocument(ports, document);
};

/** An uploaded file as a new document: size checked (413, or 400 when empty), type read from its content (415). */
export const uploadedDocument = async (
  c: AppContext,
  form: { file: File; title?: string; tags?: string[]; category?: string },
): Promise<NewKbDocument> => {
  const max = maxUploadBytes(c);
  if (form.file.size > max) throw tooLarge(form.file.size, max);
  if (form.file.size === 0) {
    throw new AppError('VALIDATION_ERROR', 'Request validation failed', {
      details: { fields: { file: ['The file is empty'] } },
    });
  }
  const bytes = new Uint8Array(await form.file.arrayBuffer());
  const type = detectFileType(bytes, form.file.name, form.file.type || undefined);
  if (!type) throw unsupportedType();
  const filename = form.file.name ? (form.file.name.split(/[\\/]/).pop() ?? null) : null;
  return {
    title: form.title ?? titleFromFilename(filename) ?? 'Untitled document',
    source_type: 'upload',
    filename: filename || null,
    type,
    bytes,
    tags: form.tags ?? [],
    category: form.category ?? null,
  };
};

/** A text as a new document (a .txt or .md file): size checked (413). */
export const textDocument = (
  c: AppContext,
  input: { title: string; text: string; format?: 'text' | 'markdown'; tags?: string[]; category?: string },
): NewKbDocument => {
  const bytes = new TextEncoder().encode(input.text);
  const max = maxUploadBytes(c);
  if (bytes.byteLength > max) throw tooLarge(bytes.byteLength, max);
  return {
    title: input.title,
    source_type: 'text',
    filename: null,
    type: input.format === 'markdown' ? 'markdown' : 'text',
    bytes,
    tags: input.tags ?? [],
    category: input.category ?? null,
  };
};

/**
 * A new indexing job for a document of the knowledge base (`botId` null) or of a bot: the document
 * goes to `processing` and leaves search at once, until the job has indexed it again. 404 when the
 * scope has no such document, 409 while it is still being indexed.
 */
export const reindexDocument = async (c: AppContext, botId: string | null, id: string, body: Partial<KbChunking>) => {
  const ctx = routeContext(c);
  const chunking = {
    ...(body.chunk_size !== undefined ? { chunk_size: body.chunk_size } : {}),
    ...(body.chunk_overlap !== undefined ? { chunk_overlap: body.chunk_overlap } : {}),
  };
  const { document, job } = await requestKbReindex(ctx.db, ctx.actor, id, chunking, botId);
  // Out of search at once, as in D1. Should this fail, the job's first write hides it instead.
  await hideInKeywordIndex(kbPortsOf(c), kbScopeOf(document), document.id, job.id).catch((err) =>
    logger.warn('kb document not hidden for its re-index', {
      request_id: ctx.requestId,
      document_id: document.id,
      ...describeError(err),
    }),
  );
  await enqueueOrRecover(ctx, job, 'kb job not enqueued');
  return { document: presentKbDocument(document), job_id: job.id };
};
