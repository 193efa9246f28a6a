/**
 * Summaries of knowledge-base documents (seed 002 Summary). A request writes the summary (pending)
 * and its `summary.generate` job in one batch; the job (workers/jobs) reads the document's chunks,
 * summarises them (summarize.ts) and completes or fails the row. Every query is tenant-scoped.
 */
import { type Actor, AppError, newId, notFound, type PageRequest } from '@flowspark/core';
import { type Database, paginateNewestFirst, schema } from '@flowspark/db';
import { checkTemplateInput, fillTextVariables } from '@flowspark/docgen';
import { buildJob, type JobRow } from '@flowspark/jobs';
import { getKbDocument } from '@flowspark/kb';
import { and, asc, eq, type SQL } from 'drizzle-orm';
import type { SummaryChunk, SummaryLength, SummaryResult } from './summarize';
import { requireSummaryTemplate, templateVariablesOf } from './templates';

const { summaries, kbChunks, jobs } = schema;

export type SummaryRow = typeof summaries.$inferSelect;
export const SUMMARY_JOB_TYPE = 'summary.generate';
export const SUMMARY_LENGTHS = ['short', 'medium', 'long'] as const;
export const SUMMARY_STATUSES = ['pending', 'processing', 'completed', 'failed'] as const;

export interface SummaryRequest {
  template_id?: string;
  length?: SummaryLength;
  focus?: string;
  variables?: Record<string, unknown>;
}

/**
 * Checks the request (the organization's indexed document, the template and its variables), then
 * writes the summary and its job; the caller enqueues the job. A document still being indexed is 409.
 */
export const startSummary = async (
  db: Database,
  actor: Pick<Actor, 'orgId' | 'userId'>,
  documentId: string,
  request: SummaryRequest,
): Promise<{ summary: SummaryRow; job: JobRow }> => {
  const doc = await getKbDocument(db, actor.orgId, documentId);
  if (!doc || doc.botId !== null) throw notFound('Document');
  if (doc.status !== 'indexed') {
    throw new AppError('CONFLICT', `The document is ${doc.status}: it can be summarised once it is indexed`, {
      details: { status: doc.status },
    });
  }
  let variables: Record<string, unknown> = request.variables ?? {};
  if (request.template_id) {
    const template = await requireSummaryTemplate(db, actor.orgId, request.template_id);
    try {
      variables = checkTemplateInput(templateVariablesOf(template), variables);
    } catch (err) {
      // The template's checks name `input_data.<name>`; here the values are `variables`.
      if (err instanceof AppError && err.details?.fields) {
        const fields = Object.fromEntries(
          Object.entries(err.details.fields as Record<string, string[]>).map(([k, v]) => [
            k.replace(/^input_data/, 'variables'),
            v,
          ]),
        );
        throw new AppError(err.code, err.message, { details: { fields } });
      }
      throw err;
    }
  }
  const at = new Date().toISOString();
  const id = newId('smy');
  const job = buildJob({
    orgId: actor.orgId,
    type: SUMMARY_JOB_TYPE,
    resourceType: 'summary',
    resourceId: id,
    input: { summary_id: id },
    createdBy: actor.userId,
  });
  const summary: SummaryRow = {
    id,
    orgId: actor.orgId,
    documentId,
    templateId: request.template_id ?? null,
    length: request.length ?? 'medium',
    focus: request.focus ?? null,
    variables,
    status: 'pending',
    summaryText: null,
    citations: [],
    pagesUsed: [],
    passes: 0,
    model: null,
    tokensUsed: 0,
    jobId: job.id,
    errorCode: null,
    errorMessage: null,
    createdBy: actor.userId,
    createdAt: at,
    updatedAt: at,
    completedAt: null,
  };
  await db.batch([db.insert(summaries).values(summary), db.insert(jobs).values(job)]);
  return { summary, job };
};

export const getSummary = async (db: Database, orgId: string, id: string): Promise<SummaryRow | null> => {
  const rows = await db
    .select()
    .from(summaries)
    .where(and(eq(summaries.id, id), eq(summaries.orgId, orgId)))
    .limit(1);
  return rows[0] ?? null;
};

export const requireSummary = async (db: Database, orgId: string, id: string) => {
  const row = await getSummary(db, orgId, id);
  if (!row) throw notFound('Summary');
  return row;
};

export const listSummaries = (
  db: Database,
  orgId: string,
  page: PageRequest & { document_id?: string; status?: SummaryRow['status'] },
) => {
  const conditions: SQL[] = [eq(summaries.orgId, orgId)];
  if (page.document_id) conditions.push(eq(summaries.documentId, page.document_id));
  if (page.status) conditions.push(eq(summaries.status, page.status));
  return paginateNewestFirst(db, summaries, and(...conditions), page);
};

export const deleteSummary = async (db: Database, orgId: string, id: string): Promise<SummaryRow> => {
  const [row] = await db
    .delete(summaries)
    .where(and(eq(summaries.id, id), eq(summaries.orgId, orgId)))
    .returning();
  if (!row) throw notFound('Summary');
  return row;
};

// ——— What the job does ———

export interface SummaryWork {
  summary: SummaryRow;
  title: string;
  chunks: SummaryChunk[];
  /** The template's prompt with the summary's variables filled in. */
  instructions: string | null;
}

/** The summary, its document's chunks in order, and its template's instructions; null when gone. */
export const loadSummaryWork = async (db: Database, orgId: string, id: string): Promise<SummaryWork | null> => {
  const summary = await getSummary(db, orgId, id);
  if (!summary) return null;
  const [doc, chunks] = await Promise.all([
    getKbDocument(db, orgId, summary.documentId),
    db
      .select({ id: kbChunks.id, index: kbChunks.chunkIndex, text: kbChunks.text, pageNumber: kbChunks.pageNumber })
      .from(kbChunks)
      .where(and(eq(kbChunks.documentId, summary.documentId), eq(kbChunks.orgId, orgId)))
      .orderBy(asc(kbChunks.chunkIndex)),
  ]);
  if (!doc) return null;
  let instructions: string | null = null;
  if (summary.templateId) {
    const template = await requireSummaryTemplate(db, orgId, summary.templateId);
    instructions = fillTextVariables(template.promptTemplate, summary.variables);
  }
  return { summary, title: doc.title, chunks, instructions };
};

export const markSummaryProcessing = (db: Database, orgId: string, id: string) =>
  db
    .update(summaries)
    .set({ status: 'processing', updatedAt: new Date().toISOString() })
    .where(and(eq(summaries.id, id), eq(summaries.orgId, orgId)));

export const completeSummary = async (db: Database, orgId: string, id: string, result: SummaryResult) => {
  const at = new Date().toISOString();
  const [row] = await db
    .update(summaries)
    .set({
      status: 'completed',
      summaryText: result.text,
      citations: result.citations as unknown as Record<string, unknown>[],
      pagesUsed: result.pagesUsed,
      passes: result.passes,
      model: result.model,
      tokensUsed: result.usage.total_tokens,
      errorCode: null,
      errorMessage: null,
      completedAt: at,
      updatedAt: at,
    })
    .where(and(eq(summaries.id, id), eq(summaries.orgId, orgId)))
    .returning();
  return row ?? null;
};

export const failSummary = (db: Database, orgId: string, id: string, code: string, message: string) =>
  db
    .update(summaries)
    .set({ status: 'failed', errorCode: code, errorMessage: message, updatedAt: new Date().toISOString() })
    .where(and(eq(summaries.id, id), eq(summaries.orgId, orgId)));

/** The summary of a job that ended without success says why (idempotent). */
export const failSummaryOfJob = async (
  db: Database,
  job: Pick<JobRow, 'orgId' | 'resourceId' | 'status' | 'errorCode' | 'errorMessage'>,
): Promise<void> => {
  if (!job.resourceId) return;
  await failSummary(
    db,
    job.orgId,
    job.resourceId,
    job.errorCode ?? (job.status === 'cancelled' ? 'CANCELLED' : 'FAILED'),
    job.errorMessage ?? `The summary job ended ${job.status}`,
  );
};
