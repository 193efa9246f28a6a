/**
 * Booklet generation from the API's side: the checks made before a job is queued (every page against
 * its uploads, with 400 naming the page), the job, and the generated files `GET /downloads/{id}`
 * serves. No parser is loaded here.
 */
import { AppError, newId, notFound, orgPrefix, type PageRequest } from '@flowspark/core';
import { type Database, paginateNewestFirst, schema } from '@flowspark/db';
import { buildJob, type JobRow } from '@flowspark/jobs';
import { and, eq } from 'drizzle-orm';
import { allPages, type BookRow, type PageWithConditions, requireBook, uploadFacts } from './books';
import { requireCustomer } from './customers';
import { checkPage, type PageConfig, pageUploadIds } from './pages';

const { bookletFiles, jobs } = schema;

export type BookletFileRow = typeof bookletFiles.$inferSelect;

export const BOOKLET_JOB_TYPE = 'booklet.generate';

/** What the job carries: ids only. */
export interface BookletJobInput {
  book_id: string;
  customer_id: string;
  spreadsheet_upload_id: string | null;
  /** Chosen up front, so a retried attempt writes the same file. */
  file_id: string;
}

export const bookletFileKey = (orgId: string, fileId: string) => `${orgPrefix(orgId)}booklets/${fileId}/booklet.pdf`;

/** A page as messages name it: its position and type, and its title when it has one. */
export const describePage = (page: Pick<PageWithConditions, 'orderIndex' | 'type' | 'title'>, position: number) =>
  `Page ${position} (${page.type}${page.title ? ` "${page.title}"` : ''}, order_index ${page.orderIndex})`;

const invalidPage = (page: PageWithConditions, position: number, problems: { field: string; message: string }[]) =>
  new AppError('VALIDATION_ERROR', `${describePage(page, position)}: ${problems[0].message}`, {
    details: {
      page_id: page.id,
      position,
      order_index: page.orderIndex,
      fields: Object.fromEntries(problems.map((p) => [p.field, [p.message]])),
    },
  });

/**
 * Checks what a generation can check before it runs (the customer, the book's pages against their
 * uploads and the spreadsheet), then writes the job. 400 names the first page that cannot be built.
 */
export const startBookletGeneration = async (
  db: Database,
  actor: { orgId: string; userId: string | null },
  bookId: string,
  input: { customer_id: string; spreadsheet_upload_id?: string | null },
): Promise<{ book: BookRow; job: JobRow }> => {
  const { orgId } = actor;
  const [book, pages] = await Promise.all([
    requireBook(db, orgId, bookId),
    allPages(db, orgId, bookId),
    requireCustomer(db, orgId, input.customer_id),
  ]);
  if (pages.length === 0) {
    throw new AppError('VALIDATION_ERROR', 'The book has no pages yet', {
      details: { fields: { book: ['No pages'] } },
    });
  }
  const sheetId = input.spreadsheet_upload_id ?? null;
  const facts = await uploadFacts(db, orgId, [...pages.flatMap(pageUploadIds), ...(sheetId ? [sheetId] : [])]);
  const spreadsheet = sheetId ? facts.get(sheetId) : null;
  if (sheetId && spreadsheet?.info.kind !== 'xlsx') {
    const message = spreadsheet ? `Upload ${sheetId} is not an XLSX workbook` : `Upload ${sheetId} not found`;
    throw new AppError('VALIDATION_ERROR', message, { details: { fields: { spreadsheet_upload_id: [message] } } });
  }
  pages.forEach((page, i) => {
    const problems = checkPage(
      {
        type: page.type,
        uploadId: page.uploadId,
        config: page.config as PageConfig,
        conditions: page.conditions,
      },
      facts,
      spreadsheet,
    );
    if (page.type === 'excel' && !page.uploadId && !spreadsheet) {
      problems.push({
        field: 'spreadsheet_upload_id',
        message: 'The page has no workbook of its own: give spreadsheet_upload_id',
      });
    }
    if (problems.length) throw invalidPage(page, i + 1, problems);
  });
  const jobInput: BookletJobInput = {
    book_id: book.id,
    customer_id: input.customer_id,
    spreadsheet_upload_id: sheetId,
    file_id: newId('fil'),
  };
  const job = buildJob({
    orgId,
    type: BOOKLET_JOB_TYPE,
    resourceType: 'book',
    resourceId: book.id,
    input: jobInput as unknown as Record<string, unknown>,
    createdBy: actor.userId,
    maxAttempts: 3,
  });
  await db.insert(jobs).values(job);
  return { book, job };
};

export const requireBookletFile = async (db: Database, orgId: string, id: string): Promise<BookletFileRow> => {
  const [row] = await db
    .select()
    .from(bookletFiles)
    .where(and(eq(bookletFiles.orgId, orgId), eq(bookletFiles.id, id)))
    .limit(1);
  if (!row) throw notFound('File');
  return row;
};

/** The file a job already recorded (a redelivery after it was written). */
export const findBookletFileOfJob = async (db: Database, orgId: string, jobId: string) => {
  const [row] = await db
    .select()
    .from(bookletFiles)
    .where(and(eq(bookletFiles.orgId, orgId), eq(bookletFiles.jobId, jobId)))
    .limit(1);
  return row ?? null;
};

export const listBookletFiles = (db: Database, orgId: string, page: PageRequest & { book_id?: string }) =>
  paginateNewestFirst(
    db,
    bookletFiles,
    page.book_id
      ? and(eq(bookletFiles.orgId, orgId), eq(bookletFiles.bookId, page.book_id))
      : eq(bookletFiles.orgId, orgId),
    page,
  );

/**
 * Records a generated booklet after its PDF was stored. A retried attempt that finds its row already
 * written (same job) keeps it.
 */
export const recordBookletFile = async (db: Database, row: BookletFileRow): Promise<void> => {
  await db.insert(bookletFiles).values(row).onConflictDoNothing({ target: bookletFiles.jobId });
};

/** Deletes a generated booklet's file and row. */
export const deleteBookletFile = async (db: Database, files: R2Bucket, orgId: string, id: string) => {
  const row = await requireBookletFile(db, orgId, id);
  await files.delete(row.fileKey);
  await db.delete(bookletFiles).where(and(eq(bookletFiles.orgId, orgId), eq(bookletFiles.id, id)));
};
