/** Changing a document (a change of content starts a new render) and deleting it with its files. */
import { type Actor, AppError, conflict, deletePrefix, notFound, validationError } from '@flowspark/core';
import { type Database, schema } from '@flowspark/db';
import type { DocumentModelInput } from '@flowspark/docgen';
import { cancelJob, getJob, isTerminal, type JobRow } from '@flowspark/jobs';
import { and, eq } from 'drizzle-orm';
import { assertPromptSize, assertTemplateFits, checkInput } from './document-checks';
import { getDocument } from './document-reads';
import { type DocumentKind, type DocumentRow, documentOptions } from './document-types';
import { fileAreaOf, resourcePrefix } from './files';
import { generationJob } from './generation';
import { getTemplate, type TemplateRecord } from './templates';

const { documents, documentVersions, jobs } = schema;

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
  actor: Pick<Actor, 'orgId' | 'userId'>,
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
