/**
 * The generation job's side of a document: loading it, pending → processing, committing a rendered
 * version, and marking it failed when the job ended without success (with its partial output removed).
 */
import { deletePrefix, newId } from '@flowspark/core';
import { type Database, schema } from '@flowspark/db';
import type { JobRow } from '@flowspark/jobs';
import { and, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { getDocument } from './document-reads';
import type { DocumentRow } from './document-types';
import { documentFileKey, resourcePrefix } from './files';

const { documents, documentVersions } = schema;

/** The input of a generation job, as its handler validates it. */
export const GenerationJobInputSchema = z.object({
  document_id: z.string().regex(/^doc_[0-9a-f]{32}$/),
  version: z.number().int().min(1),
  reservation_id: z
    .string()
    .regex(/^rsv_[0-9a-f]{32}$/)
    .optional(),
});

/** The document a job renders, whatever its kind; tenant-checked. */
export const getDocumentForJob = (db: Database, orgId: string, id: string): Promise<DocumentRow | null> =>
  getDocument(db, orgId, null, id);

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

/**
 * What a generation job that ended in error or was cancelled leaves behind: the document says why
 * (only while it still waits for that job and the version was not committed), and the file a dying
 * delivery wrote before committing is removed. A document deleted meanwhile has its prefix cleared.
 * Idempotent.
 */
export const failGeneration = async (db: Database, files: R2Bucket, job: JobRow): Promise<void> => {
  const parsed = GenerationJobInputSchema.safeParse(job.input);
  if (!parsed.success) return;
  const { document_id: id, version } = parsed.data;
  const doc = await getDocumentForJob(db, job.orgId, id);
  if (!doc) {
    // Deleted meanwhile: whatever a dying delivery wrote under its prefix belongs to nobody.
    const area = job.resourceType === 'presentation' ? 'presentations' : 'documents';
    await deletePrefix(files, resourcePrefix(job.orgId, area, id));
    return;
  }
  if (doc.jobId !== job.id || doc.currentVersion >= version) return;
  const cancelled = job.status === 'cancelled';
  const marked = await markDocumentFailed(db, job.orgId, id, job.id, {
    code: cancelled ? 'CANCELLED' : (job.errorCode ?? 'INTERNAL_ERROR'),
    message: cancelled ? 'The generation was cancelled' : (job.errorMessage ?? 'The document could not be generated'),
  });
  // A delivery that died after writing the file (before committing) leaves it behind: remove it.
  if (marked) await files.delete(documentFileKey(doc, version));
};
