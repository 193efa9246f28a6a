/**
 * The ingestion pipeline of one knowledge-base document (the `kb.ingest` job runs it): original from
 * R2 → extract → chunk → chunks to D1 → its scope's keyword index (hidden from search) → embeddings in
 * batches → vectors (in its scope's namespace) → indexed in D1 → published in the keyword index
 * (shown to search). A bot's training document goes through the same pipeline into the bot's indexes.
 *
 * Idempotent under redelivery and re-indexing: chunk ids are derived from the document and the chunk's
 * position, the D1 rows are replaced (delete + insert) and the vectors upserted by those ids, and the
 * vectors of chunks that no longer exist are deleted. D1 is written before the vector index, so every
 * vector ever written has a D1 row naming it until both are removed together.
 */
import type { AiProvider } from '@flowspark/ai';
import { AppError, batches, deletePrefix, describeError, logger } from '@flowspark/core';
import type { Database } from '@flowspark/db';
import { JobError, type JobRow } from '@flowspark/jobs';
import { chunk as chunkExtraction, extract } from '@flowspark/rag';
import type { VectorIndex, VectorRecord } from '@flowspark/vectors';
import { z } from 'zod';
import { deleteKbChunks, embeddingText, type KbChunkInput, kbChunkId, listKbChunkIds, replaceKbChunks } from './chunks';
import {
  completeKbIndexing,
  deleteKbDocumentRows,
  failKbDocument,
  getKbDocument,
  KB_DEFAULT_CHUNKING,
  KB_MAX_CHUNK_SIZE,
  KB_MIN_CHUNK_SIZE,
  type KbChunking,
  type KbDocumentRow,
  type KbScope,
  kbDocumentPrefix,
  kbIndexName,
  kbScopeOf,
  markKbProcessing,
} from './documents';
import { type KbKeywordIndex, publishInKeywordIndex, removeFromKeywordIndex, writeKeywordIndex } from './keyword-index';

/** What ingestion, search and deletion need, made by the caller from its environment. */
export interface KbPorts {
  db: Database;
  files: R2Bucket;
  ai: Pick<AiProvider, 'embed'>;
  vectors: VectorIndex;
  /** The scopes' keyword indexes (one FTS5 index per knowledge base and per bot). */
  keywords: KbKeywordIndex;
}

/** Texts per embedding call (Workers AI's bge models take at most 100 per request). */
export const KB_EMBED_BATCH = 100;
/** Ids per vector delete call (Vectorize takes up to 1,000). */
const VECTOR_DELETE_BATCH = 500;

export interface KbIngestHooks {
  /** The job's progress (0–100); also where a cancelled job stops. */
  progress?: (percent: number, message: string) => Promise<void>;
  /** Throws when the job must stop before committing anything (cancellation). */
  checkpoint?: () => Promise<void>;
}

export interface KbIngestResult {
  document_id: string;
  status: 'indexed';
  chunk_count: number;
  page_count: number | null;
  char_count: number;
  embedding_model: string | null;
  chunking: KbChunking | null;
}

const resultOf = (row: KbDocumentRow): KbIngestResult => ({
  document_id: row.id,
  status: 'indexed',
  chunk_count: row.chunkCount,
  page_count: row.pageCount,
  char_count: row.charCount,
  embedding_model: row.embeddingModel,
  chunking: (row.chunking as KbChunking | null) ?? null,
});

const gone = () =>
  new JobError('KB_DOCUMENT_UNAVAILABLE', 'The document was deleted or is being indexed by a newer job');

export const deleteVectors = async (vectors: VectorIndex, scope: KbScope, ids: string[]) => {
  const namespace = kbIndexName(scope);
  for (const batch of batches(ids, VECTOR_DELETE_BATCH)) await vectors.deleteByIds(namespace, batch);
};

/** The chunking of this run: the request's, else the document's last one, else the defaults. */
export const resolveChunking = (requested: Partial<KbChunking> | undefined, previous: unknown): KbChunking => {
  const last = (previous ?? {}) as Partial<KbChunking>;
  const chunk_size = requested?.chunk_size ?? last.chunk_size ?? KB_DEFAULT_CHUNKING.chunk_size;
  let chunk_overlap = requested?.chunk_overlap ?? last.chunk_overlap ?? KB_DEFAULT_CHUNKING.chunk_overlap;
  // A new size with the old overlap could leave the overlap above half a chunk (the chunker's limit).
  if (chunk_overlap > Math.floor(chunk_size / 2)) chunk_overlap = Math.floor(chunk_size / 4);
  return { chunk_size, chunk_overlap };
};

/** Removes the document's chunks, keyword-index rows and vectors (not the document itself). */
export const discardKbIndex = async (ports: KbPorts, scope: KbScope, documentId: string): Promise<void> => {
  const ids = await listKbChunkIds(ports.db, scope.orgId, documentId);
  await deleteVectors(ports.vectors, scope, ids);
  await removeFromKeywordIndex(ports, scope, documentId);
  await deleteKbChunks(ports.db, scope.orgId, documentId);
};

/**
 * Deletes a document entirely: vectors first (their ids come from the chunk rows) and its keyword-index
 * rows, then its R2 objects, then the chunks and the row in one batch. A failure part-way leaves the
 * row, so the same delete can be sent again.
 */
export const removeKbDocument = async (
  ports: KbPorts,
  document: Pick<KbDocumentRow, 'id' | 'orgId' | 'botId'>,
): Promise<boolean> => {
  const scope = kbScopeOf(document);
  const ids = await listKbChunkIds(ports.db, scope.orgId, document.id);
  await deleteVectors(ports.vectors, scope, ids);
  await removeFromKeywordIndex(ports, scope, document.id);
  await deletePrefix(ports.files, kbDocumentPrefix(scope.orgId, document.id));
  return deleteKbDocumentRows(ports.db, scope.orgId, document.id);
};

/**
 * The file's chunks as rows to store. A function of its own so that the extraction (blocks, pages)
 * can be collected as soon as the rows exist: a large document is held a few times over otherwise.
 */
const chunkDocument = async (
  document: KbDocumentRow,
  bytes: Uint8Array,
  chunking: KbChunking,
  progress: (percent: number, message: string) => Promise<void>,
): Promise<{ rows: KbChunkInput[]; pageCount: number | null; charCount: number }> => {
  const extraction = await extract(bytes, document.detectedType);
  await progress(20, 'Text extracted');
  const chunks = chunkExtraction(extraction, chunking);
  if (chunks.length === 0) {
    throw new AppError('UNPROCESSABLE', 'The document contains no text to index', {
      details: { reason: 'NO_TEXT' },
    });
  }
  const ids = await Promise.all(chunks.map((c) => kbChunkId(document.id, c.index)));
  const rows = chunks.map(
    (c, i): KbChunkInput => ({
      id: ids[i]!,
      index: c.index,
      text: c.text,
      heading: c.heading,
      page_number: c.page_number,
      start_offset: c.start_offset,
      end_offset: c.end_offset,
      token_count: c.token_count,
    }),
  );
  return { rows, pageCount: extraction.page_count, charCount: extraction.text.length };
};

/**
 * Indexes the document for the job `jobId`. Throws JobError for a document that is gone or owned by
 * a newer job, AppError UNPROCESSABLE (details.reason ENCRYPTED, CORRUPT, EMPTY or NO_TEXT) for a file
 * that cannot be read, and lets provider errors through (the runner retries the transient ones).
 */
export const ingestKbDocument = async (
  ports: KbPorts,
  orgId: string,
  documentId: string,
  jobId: string,
  options: { chunking?: Partial<KbChunking> } & KbIngestHooks = {},
): Promise<KbIngestResult> => {
  const progress = options.progress ?? (async () => {});
  const checkpoint = options.checkpoint ?? (async () => {});
  const { db } = ports;

  const current = await getKbDocument(db, orgId, documentId);
  if (!current || current.jobId !== jobId) throw gone();
  // The knowledge base's or a bot's: its chunks go to that scope's indexes only.
  const scope = kbScopeOf(current);
  // A redelivery after this job committed (its own completion was lost): nothing to redo but showing
  // the document to search, which may be what failed.
  if (current.status === 'indexed') {
    await publishInKeywordIndex(ports, scope, {
      document_id: documentId,
      job_id: jobId,
      embedding_model: current.embeddingModel,
    });
    return resultOf(current);
  }
  const document = await markKbProcessing(db, orgId, documentId, jobId);
  if (!document) throw gone();

  await progress(5, 'Reading the file');
  const object = await ports.files.get(document.fileKey);
  if (!object) throw new JobError('KB_FILE_MISSING', 'The original file of the document is missing');
  const chunking = resolveChunking(options.chunking, document.chunking);
  const { rows, pageCount, charCount } = await chunkDocument(
    document,
    new Uint8Array(await object.arrayBuffer()),
    chunking,
    progress,
  );
  const ids = rows.map((row) => row.id);
  await progress(30, `${rows.length} chunks`);

  await checkpoint();
  // Vectors of chunks that no longer exist (a re-index into fewer chunks); the others are replaced.
  const kept = new Set(ids);
  const stale = (await listKbChunkIds(db, orgId, document.id)).filter((id) => !kept.has(id));
  await deleteVectors(ports.vectors, scope, stale);
  await replaceKbChunks(db, orgId, document.id, rows);
  // Hidden from search until this job publishes them after completion; a re-run replaces them.
  await writeKeywordIndex(
    ports,
    scope,
    {
      document_id: document.id,
      tags: document.tags ?? [],
      category: document.category,
      title: document.title,
      job_id: jobId,
    },
    rows,
  );
  await progress(40, 'Chunks stored');

  let embeddingModel: string | null = null;
  try {
    const embedBatches = batches(rows, KB_EMBED_BATCH);
    for (const [n, batch] of embedBatches.entries()) {
      const embedded = await ports.ai.embed(batch.map(embeddingText));
      if (embedded.vectors.length !== batch.length) {
        throw new JobError('AI_INVALID_OUTPUT', 'The embedding provider returned the wrong number of vectors');
      }
      embeddingModel ??= embedded.model;
      const records: VectorRecord[] = batch.map((row, i) => ({
        id: row.id,
        values: embedded.vectors[i]!,
        metadata: {
          document_id: document.id,
          chunk_index: row.index,
          page: row.page_number,
          tags: document.tags ?? [],
          category: document.category,
        },
      }));
      await ports.vectors.upsert(kbIndexName(scope), records);
      await progress(
        40 + Math.round((50 * (n + 1)) / embedBatches.length),
        `Embedded ${Math.min(rows.length, (n + 1) * KB_EMBED_BATCH)} of ${rows.length} chunks`,
      );
    }
    await checkpoint();
  } catch (err) {
    // Stopped because the document was deleted meanwhile (its job is cancelled then): the vectors
    // written since the delete have no row left to name them, so remove them here.
    const deleted = await getKbDocument(db, orgId, document.id).then(
      (row) => row === null,
      () => false,
    );
    if (deleted) {
      await deleteVectors(ports.vectors, scope, ids).catch(() => undefined);
      await removeFromKeywordIndex(ports, scope, document.id).catch(() => undefined);
    }
    throw err;
  }

  const done = await completeKbIndexing(db, orgId, document.id, jobId, {
    pageCount,
    chunkCount: rows.length,
    charCount,
    embeddingModel: embeddingModel ?? 'unknown',
    chunking,
  });
  if (!done) {
    // Deleted while we worked: leave nothing of this run behind. (Taken over by a newer job: that
    // job replaces the same chunk ids, so nothing is removed here.)
    if (!(await getKbDocument(db, orgId, document.id))) {
      await deleteVectors(ports.vectors, scope, ids);
      await removeFromKeywordIndex(ports, scope, document.id);
      await deleteKbChunks(db, orgId, document.id);
    }
    throw gone();
  }
  // Indexed in D1: search may show it. Should this call fail, the document is not shown meanwhile (as
  // if still processing) and the job's failure marks it failed; a redelivered message publishes it.
  await publishInKeywordIndex(ports, scope, {
    document_id: document.id,
    job_id: jobId,
    embedding_model: done.embeddingModel,
  });
  return resultOf(done);
};

/** The input of a `kb.ingest` job, as its handler validates it. */
export const KbIngestInputSchema = z.object({
  document_id: z.string().min(1).max(64),
  reindex: z.boolean().optional(),
  chunk_size: z.number().int().min(KB_MIN_CHUNK_SIZE).max(KB_MAX_CHUNK_SIZE).optional(),
  chunk_overlap: z.number().int().min(0).optional(),
});
export type KbIngestInput = z.infer<typeof KbIngestInputSchema>;

/**
 * What an indexing job that ended in error or was cancelled leaves behind: the document says why (a
 * reason the job already recorded is kept) and keeps no partial index. Only the document's current
 * job speaks for it (a newer re-index owns it otherwise). Idempotent; a failed index cleanup is logged.
 */
export const failKbIngestion = async (ports: KbPorts, job: JobRow, requestId: string): Promise<void> => {
  const input = KbIngestInputSchema.safeParse(job.input ?? {});
  const id = input.success ? input.data.document_id : job.resourceId;
  if (!id) return;
  const document = await getKbDocument(ports.db, job.orgId, id);
  if (!document || document.jobId !== job.id) return;
  const cancelled = job.status === 'cancelled';
  const existing = document.status === 'failed' ? document : null;
  await failKbDocument(
    ports.db,
    job.orgId,
    id,
    job.id,
    cancelled ? 'CANCELLED' : (existing?.errorCode ?? job.errorCode ?? 'INTERNAL_ERROR'),
    cancelled
      ? 'The indexing was cancelled'
      : (existing?.errorMessage ?? job.errorMessage ?? 'The document could not be indexed'),
  );
  try {
    await discardKbIndex(ports, kbScopeOf(document), id);
  } catch (err) {
    logger.warn('kb index cleanup failed', { request_id: requestId, document_id: id, ...describeError(err) });
  }
};
