/**
 * Knowledge-base documents, of the organization's knowledge base or of one bot (its training
 * documents: see KbScope). An upload (or a text) stores the original in R2 under the tenant, then
 * writes the document row (`uploading`) and its `kb.ingest` job in one batch. The job
 * (workers/jobs/handlers/kb-ingest.ts, pipeline in ingest.ts) moves the document to `processing`
 * when it starts and to `indexed` or `failed` when it ends. A re-index moves it to `processing` at once:
 * its old chunks are about to be replaced, so it leaves search until it is indexed again.
 * Every query is scoped to the tenant.
 */
import { type Actor, conflict, newId, notFound, orgPrefix, type PageRequest } from '@flowspark/core';
import { type Database, isUniqueViolation, paginateNewestFirst, schema } from '@flowspark/db';
import { buildJob, isTerminal, type JobRow } from '@flowspark/jobs';
import { and, eq, inArray, isNull, type SQL, sql } from 'drizzle-orm';
import { deleteStatements } from './chunks';
import { sha256OfBytes } from './hash';

const { kbDocuments, jobs } = schema;

export type KbDocumentRow = typeof kbDocuments.$inferSelect;
export type KbDocumentStatus = KbDocumentRow['status'];
export type KbDocumentType = KbDocumentRow['detectedType'];

export const KB_DOCUMENT_STATUSES = [
  'uploading',
  'processing',
  'indexed',
  'failed',
] as const satisfies readonly KbDocumentStatus[];
export const KB_DOCUMENT_TYPES = [
  'pdf',
  'docx',
  'html',
  'markdown',
  'text',
  'csv',
] as const satisfies readonly KbDocumentType[];

export const KB_INGEST_JOB_TYPE = 'kb.ingest';
export const KB_RESOURCE_TYPE = 'kb_document';

/** Default upload cap; `KB_MAX_UPLOAD_BYTES` (a Worker var) overrides it. */
export const KB_MAX_UPLOAD_BYTES = 20 * 1024 * 1024;
export const KB_MAX_TEXT_CHARS = 2_000_000;
export const KB_MAX_TITLE = 255;
export const KB_MAX_TAGS = 20;
export const KB_MAX_TAG_LENGTH = 50;
/** Categories and tags are vector metadata too, whose indexed strings keep only 64 bytes. */
export const KB_MAX_CATEGORY = 64;
export const KB_MAX_METADATA_STRING_BYTES = 64;

export const utf8Length = (text: string): number => new TextEncoder().encode(text).length;
/** Chunking used when neither the request nor the document's last index says otherwise. */
export const KB_DEFAULT_CHUNKING = { chunk_size: 1000, chunk_overlap: 150 } as const;
export const KB_MIN_CHUNK_SIZE = 100;
export const KB_MAX_CHUNK_SIZE = 8000;

export interface KbChunking {
  chunk_size: number;
  chunk_overlap: number;
}

/** The upload cap for this Worker: the `KB_MAX_UPLOAD_BYTES` var when it is a positive integer. */
export const kbMaxUploadBytes = (vars: { KB_MAX_UPLOAD_BYTES?: unknown }): number => {
  const value = Number(vars.KB_MAX_UPLOAD_BYTES);
  return Number.isInteger(value) && value > 0 ? value : KB_MAX_UPLOAD_BYTES;
};

/** What the API accepts, for error messages and the OpenAPI document. */
export const KB_ACCEPTED_TYPES = 'PDF, DOCX, HTML, Markdown, plain text or CSV';

const FILE_FORMATS: Record<KbDocumentType, { extension: string; contentType: string }> = {
  pdf: { extension: 'pdf', contentType: 'application/pdf' },
  docx: {
    extension: 'docx',
    contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  },
  html: { extension: 'html', contentType: 'text/html; charset=utf-8' },
  markdown: { extension: 'md', contentType: 'text/markdown; charset=utf-8' },
  text: { extension: 'txt', contentType: 'text/plain; charset=utf-8' },
  csv: { extension: 'csv', contentType: 'text/csv; charset=utf-8' },
};

export const kbFileFormat = (type: KbDocumentType) => FILE_FORMATS[type];

/** Every object of one document lives under this prefix (deleted as a whole). */
export const kbDocumentPrefix = (orgId: string, id: string) => `${orgPrefix(orgId)}kb/${id}/`;

export const kbOriginalKey = (orgId: string, id: string, type: KbDocumentType) =>
  `${kbDocumentPrefix(orgId, id)}original.${FILE_FORMATS[type].extension}`;

/**
 * Tags as the API takes them: trimmed, lower-cased (filters compare them exactly, in D1 and in the
 * vector index alike), empty ones and duplicates dropped. At most 20 tags of at most 50 characters
 * and 64 bytes (what a vector index keeps of a metadata string). An error message otherwise.
 */
export const cleanTags = (tags: readonly string[]): { tags: string[] } | { error: string } => {
  const out: string[] = [];
  for (const raw of tags) {
    const tag = raw.normalize('NFC').trim().toLowerCase();
    if (!tag) continue;
    if (Array.from(tag).length > KB_MAX_TAG_LENGTH || utf8Length(tag) > KB_MAX_METADATA_STRING_BYTES) {
      return { error: `Each tag must have at most ${KB_MAX_TAG_LENGTH} characters (64 bytes in UTF-8)` };
    }
    if (!out.includes(tag)) out.push(tag);
  }
  if (out.length > KB_MAX_TAGS) return { error: `At most ${KB_MAX_TAGS} tags` };
  return { tags: out };
};

/** A title from a file name: the name without its directory and extension. */
export const titleFromFilename = (filename: string | null | undefined): string | null => {
  const base = (filename ?? '').split(/[\\/]/).pop() ?? '';
  const stem = base.replace(/\.[A-Za-z0-9]{1,8}$/, '').trim();
  return stem ? Array.from(stem).slice(0, KB_MAX_TITLE).join('') : null;
};

/**
 * Whose documents: the organization's knowledge base (`botId` null) or one bot's training documents.
 * Each scope has indexes of its own (its keyword index object and vector namespace, named by
 * `kbIndexName`), so a search in one never sees another's documents; in D1 they are told apart by
 * `kb_documents.bot_id`.
 */
export interface KbScope {
  orgId: string;
  botId: string | null;
}

/** The organization's knowledge base. */
export const kbOrgScope = (orgId: string): KbScope => ({ orgId, botId: null });

/** The scope a document belongs to. */
export const kbScopeOf = (row: Pick<KbDocumentRow, 'orgId' | 'botId'>): KbScope => ({
  orgId: row.orgId,
  botId: row.botId,
});

/**
 * The name of a scope's indexes: the organization's id for its knowledge base, the bot's id for a
 * bot's (ids are random and unique across tenants, and a bot is found in its tenant before its index
 * is asked). At most 64 characters, as a Vectorize namespace must be.
 */
export const kbIndexName = (scope: KbScope): string => scope.botId ?? scope.orgId;

/** The D1 condition of a scope's documents. */
const inScope = (scope: KbScope): SQL =>
  and(
    eq(kbDocuments.orgId, scope.orgId),
    scope.botId === null ? isNull(kbDocuments.botId) : eq(kbDocuments.botId, scope.botId),
  )!;

/** A document of the tenant, whatever its scope (the indexing job knows its document by id). */
export const getKbDocument = async (db: Database, orgId: string, id: string): Promise<KbDocumentRow | null> => {
  const rows = await db
    .select()
    .from(kbDocuments)
    .where(and(eq(kbDocuments.id, id), eq(kbDocuments.orgId, orgId)))
    .limit(1);
  return rows[0] ?? null;
};

/** A document of this scope (another scope's or tenant's is null). */
export const findKbDocument = async (db: Database, scope: KbScope, id: string): Promise<KbDocumentRow | null> => {
  const rows = await db
    .select()
    .from(kbDocuments)
    .where(and(eq(kbDocuments.id, id), inScope(scope)))
    .limit(1);
  return rows[0] ?? null;
};

export const findKbDocumentBySha = async (
  db: Database,
  scope: KbScope,
  sha256: string,
): Promise<KbDocumentRow | null> => {
  const rows = await db
    .select()
    .from(kbDocuments)
    .where(and(inScope(scope), eq(kbDocuments.sha256, sha256)))
    .limit(1);
  return rows[0] ?? null;
};

export interface KbDocumentFilters {
  status?: KbDocumentStatus;
  tag?: string;
  category?: string;
}

/** Newest first: one page query and one count, in one batch. */
export const listKbDocuments = async (
  db: Database,
  scope: KbScope,
  query: PageRequest & KbDocumentFilters,
): Promise<{ items: KbDocumentRow[]; total: number }> => {
  const conditions: SQL[] = [inScope(scope)];
  if (query.status) conditions.push(eq(kbDocuments.status, query.status));
  if (query.category) conditions.push(eq(kbDocuments.category, query.category));
  if (query.tag) {
    conditions.push(
      sql`EXISTS (SELECT 1 FROM json_each(${kbDocuments.tags}) WHERE json_each.value = ${query.tag.toLowerCase()})`,
    );
  }
  return paginateNewestFirst(db, kbDocuments, and(...conditions), query);
};

export interface NewKbDocument {
  /** The bot whose training document it is; none for the knowledge base. */
  bot_id?: string | null;
  title: string;
  source_type: KbDocumentRow['sourceType'];
  filename: string | null;
  type: KbDocumentType;
  bytes: Uint8Array;
  tags: string[];
  category: string | null;
}

export type KbCreateOutcome =
  | { duplicate: false; document: KbDocumentRow; job: JobRow }
  | { duplicate: true; document: KbDocumentRow; job: null };

/**
 * Stores a new document: the original in R2 first, then the row and its job in one batch (no row
 * without its file, no document without its job). The same content (SHA-256) already in the tenant
 * is answered with that document instead: no new row, no job. The caller enqueues the job.
 */
export const createKbDocument = async (
  db: Database,
  files: R2Bucket,
  actor: Pick<Actor, 'orgId' | 'userId'>,
  input: NewKbDocument,
  /** Throws to refuse a new document (a plan quota); not asked for the same content again. */
  admit?: (bytes: number) => Promise<void>,
): Promise<KbCreateOutcome> => {
  const sha256 = await sha256OfBytes(input.bytes);
  const scope: KbScope = { orgId: actor.orgId, botId: input.bot_id ?? null };
  const existing = await findKbDocumentBySha(db, scope, sha256);
  if (existing) return { duplicate: true, document: existing, job: null };
  await admit?.(input.bytes.byteLength);

  const id = newId('kbd');
  const fileKey = kbOriginalKey(actor.orgId, id, input.type);
  await files.put(fileKey, input.bytes, {
    httpMetadata: { contentType: FILE_FORMATS[input.type].contentType },
  });
  const job = buildJob({
    orgId: actor.orgId,
    type: KB_INGEST_JOB_TYPE,
    resourceType: KB_RESOURCE_TYPE,
    resourceId: id,
    input: { document_id: id },
    createdBy: actor.userId,
  });
  const document: KbDocumentRow = {
    id,
    orgId: actor.orgId,
    botId: scope.botId,
    title: input.title,
    sourceType: input.source_type,
    filename: input.filename,
    detectedType: input.type,
    sizeBytes: input.bytes.byteLength,
    sha256,
    fileKey,
    status: 'uploading',
    errorCode: null,
    errorMessage: null,
    tags: input.tags,
    category: input.category,
    pageCount: null,
    chunkCount: 0,
    charCount: 0,
    embeddingModel: null,
    chunking: null,
    jobId: job.id,
    createdBy: actor.userId,
    createdAt: job.createdAt,
    updatedAt: job.createdAt,
    indexedAt: null,
  };
  try {
    await db.batch([db.insert(kbDocuments).values(document), db.insert(jobs).values(job)]);
  } catch (err) {
    await files.delete(fileKey);
    // The same content arrived twice at once: the first one wins, the other gets it as a duplicate.
    if (isUniqueViolation(err)) {
      const winner = await findKbDocumentBySha(db, scope, sha256);
      if (winner) return { duplicate: true, document: winner, job: null };
    }
    throw err;
  }
  return { duplicate: false, document, job };
};

/** Whether the document's indexing job is still queued or running. */
const hasLiveJob = async (db: Database, orgId: string, row: KbDocumentRow): Promise<boolean> => {
  if (!row.jobId) return false;
  const [job] = await db
    .select({ status: jobs.status })
    .from(jobs)
    .where(and(eq(jobs.id, row.jobId), eq(jobs.orgId, orgId)))
    .limit(1);
  return job ? !isTerminal(job.status) : false;
};

/**
 * A new `kb.ingest` job that re-chunks and re-embeds the document (current embedding model). The
 * document goes to `processing` at once. 409 while an indexing job of the document is still live.
 * The swap is guarded by the document's current job id, so two concurrent requests make one job.
 */
export const requestKbReindex = async (
  db: Database,
  actor: Pick<Actor, 'orgId' | 'userId'>,
  id: string,
  chunking: Partial<KbChunking>,
  /** The bot whose document it is; none for the knowledge base. */
  botId: string | null = null,
): Promise<{ document: KbDocumentRow; job: JobRow }> => {
  const current = await findKbDocument(db, { orgId: actor.orgId, botId }, id);
  if (!current) throw notFound('Document');
  if (await hasLiveJob(db, actor.orgId, current)) {
    throw conflict('The document is already being indexed; wait for its job to end', { job_id: current.jobId });
  }
  const job = buildJob({
    orgId: actor.orgId,
    type: KB_INGEST_JOB_TYPE,
    resourceType: KB_RESOURCE_TYPE,
    resourceId: id,
    input: { document_id: id, reindex: true, ...chunking },
    createdBy: actor.userId,
  });
  const sameJob = current.jobId === null ? sql`${kbDocuments.jobId} IS NULL` : eq(kbDocuments.jobId, current.jobId);
  const [, updated] = await db.batch([
    db.insert(jobs).values(job),
    db
      .update(kbDocuments)
      .set({ status: 'processing', jobId: job.id, errorCode: null, errorMessage: null, updatedAt: job.createdAt })
      .where(and(eq(kbDocuments.id, id), eq(kbDocuments.orgId, actor.orgId), sameJob))
      .returning(),
  ]);
  const document = updated[0];
  if (!document) {
    // Another request swapped the job first (or the document was deleted): this job never runs.
    await db.delete(jobs).where(and(eq(jobs.id, job.id), eq(jobs.orgId, actor.orgId)));
    const after = await getKbDocument(db, actor.orgId, id);
    if (!after) throw notFound('Document');
    throw conflict('The document is already being indexed; wait for its job to end', { job_id: after.jobId });
  }
  return { document, job };
};

/**
 * New content for a document another system keeps in sync (a page of an integration): a re-index
 * job as `requestKbReindex` makes it (409 while one is live), then the file replaced and the title,
 * size and SHA-256 updated for that job. The caller enqueues the job.
 */
export const replaceKbDocumentContent = async (
  db: Database,
  files: R2Bucket,
  actor: Pick<Actor, 'orgId' | 'userId'>,
  id: string,
  input: { title: string; type: KbDocumentType; bytes: Uint8Array },
): Promise<{ document: KbDocumentRow; job: JobRow }> => {
  const { document, job } = await requestKbReindex(db, actor, id, {});
  const fileKey = kbOriginalKey(actor.orgId, id, input.type);
  await files.put(fileKey, input.bytes, { httpMetadata: { contentType: FILE_FORMATS[input.type].contentType } });
  if (fileKey !== document.fileKey) await files.delete(document.fileKey);
  const [row] = await db
    .update(kbDocuments)
    .set({
      title: input.title,
      detectedType: input.type,
      fileKey,
      sizeBytes: input.bytes.byteLength,
      sha256: await sha256OfBytes(input.bytes),
      updatedAt: new Date().toISOString(),
    })
    .where(and(eq(kbDocuments.id, id), eq(kbDocuments.orgId, actor.orgId), eq(kbDocuments.jobId, job.id)))
    .returning();
  return { document: row ?? document, job };
};

/**
 * `uploading` (or `processing`, on a retry or a re-index) → `processing`, for the document's current
 * job only. Null when the document is gone, owned by another job, or already ended.
 */
export const markKbProcessing = async (
  db: Database,
  orgId: string,
  id: string,
  jobId: string,
): Promise<KbDocumentRow | null> => {
  const [row] = await db
    .update(kbDocuments)
    .set({ status: 'processing', errorCode: null, errorMessage: null, updatedAt: new Date().toISOString() })
    .where(
      and(
        eq(kbDocuments.id, id),
        eq(kbDocuments.orgId, orgId),
        eq(kbDocuments.jobId, jobId),
        inArray(kbDocuments.status, ['uploading', 'processing']),
      ),
    )
    .returning();
  return row ?? null;
};

export interface KbIndexResult {
  pageCount: number | null;
  chunkCount: number;
  charCount: number;
  embeddingModel: string;
  chunking: KbChunking;
}

/** `processing` → `indexed`, for the document's current job only. Null when that is no longer so. */
export const completeKbIndexing = async (
  db: Database,
  orgId: string,
  id: string,
  jobId: string,
  result: KbIndexResult,
): Promise<KbDocumentRow | null> => {
  const now = new Date().toISOString();
  const [row] = await db
    .update(kbDocuments)
    .set({
      status: 'indexed',
      pageCount: result.pageCount,
      chunkCount: result.chunkCount,
      charCount: result.charCount,
      embeddingModel: result.embeddingModel,
      chunking: { ...result.chunking },
      errorCode: null,
      errorMessage: null,
      indexedAt: now,
      updatedAt: now,
    })
    .where(
      and(
        eq(kbDocuments.id, id),
        eq(kbDocuments.orgId, orgId),
        eq(kbDocuments.jobId, jobId),
        eq(kbDocuments.status, 'processing'),
      ),
    )
    .returning();
  return row ?? null;
};

/**
 * → `failed` with a code and a message the API shows, for the given job only (a newer job owns the
 * document otherwise). Its chunks are removed by the caller. Idempotent.
 */
export const failKbDocument = async (
  db: Database,
  orgId: string,
  id: string,
  jobId: string,
  code: string,
  message: string,
): Promise<KbDocumentRow | null> => {
  const [row] = await db
    .update(kbDocuments)
    .set({
      status: 'failed',
      chunkCount: 0,
      errorCode: code,
      errorMessage: message,
      indexedAt: null,
      updatedAt: new Date().toISOString(),
    })
    .where(and(eq(kbDocuments.id, id), eq(kbDocuments.orgId, orgId), eq(kbDocuments.jobId, jobId)))
    .returning();
  return row ?? null;
};

/** Deletes the document's row and its chunks, in one batch (one transaction). */
export const deleteKbDocumentRows = async (db: Database, orgId: string, id: string): Promise<boolean> => {
  const d1: D1Database = db.$client;
  const results = await d1.batch([
    ...deleteStatements(db, orgId, id),
    d1.prepare('DELETE FROM kb_documents WHERE id = ?1 AND org_id = ?2').bind(id, orgId),
  ]);
  return (results.at(-1)?.meta.changes ?? 0) > 0;
};
