/**
 * Books (seed 003): an ordered list of pages, each checked against the uploads it names when it is
 * saved. Every query is scoped to the tenant; a page is reached only through its book.
 */
import { newId, notFound, type PageRequest, validationError } from '@flowspark/core';
import { type Database, paginate, paginateNewestFirst, schema } from '@flowspark/db';
import { and, asc, count, eq, inArray } from 'drizzle-orm';
import type { UploadInfo } from './inspect';
import {
  type ConditionInput,
  checkPage,
  MAX_CONDITIONS,
  type PageConfig,
  type PageDraft,
  type PageType,
  pageUploadIds,
  type UploadFacts,
} from './pages';

const { books, bookPages, pageConditions, uploads } = schema;

export type BookRow = typeof books.$inferSelect;
export type PageRow = typeof bookPages.$inferSelect;
export type ConditionRow = typeof pageConditions.$inferSelect;
export type PageWithConditions = PageRow & { conditions: ConditionRow[] };

export interface BookInput {
  name: string;
  description?: string | null;
  table_of_contents?: boolean;
}

export const createBook = async (
  db: Database,
  actor: { orgId: string; userId: string | null },
  input: BookInput,
): Promise<BookRow> => {
  const now = new Date().toISOString();
  const row: BookRow = {
    id: newId('bok'),
    orgId: actor.orgId,
    name: input.name,
    description: input.description ?? null,
    tableOfContents: input.table_of_contents ?? false,
    createdBy: actor.userId,
    createdAt: now,
    updatedAt: now,
  };
  await db.insert(books).values(row);
  return row;
};

/** The book, or null (a job whose book was deleted meanwhile). */
export const getBookForJob = async (db: Database, orgId: string, id: string): Promise<BookRow | null> => {
  const [row] = await db
    .select()
    .from(books)
    .where(and(eq(books.orgId, orgId), eq(books.id, id)))
    .limit(1);
  return row ?? null;
};

export const requireBook = async (db: Database, orgId: string, id: string): Promise<BookRow> => {
  const row = await getBookForJob(db, orgId, id);
  if (!row) throw notFound('Book');
  return row;
};

export const listBooks = (db: Database, orgId: string, page: PageRequest) =>
  paginateNewestFirst(db, books, eq(books.orgId, orgId), page);

/** How many pages each book has, in one query. */
export const pageCounts = async (db: Database, orgId: string, bookIds: string[]): Promise<Map<string, number>> => {
  if (bookIds.length === 0) return new Map();
  const rows = await db
    .select({ bookId: bookPages.bookId, pages: count() })
    .from(bookPages)
    .where(and(eq(bookPages.orgId, orgId), inArray(bookPages.bookId, bookIds)))
    .groupBy(bookPages.bookId);
  return new Map(rows.map((r) => [r.bookId, r.pages]));
};

export const updateBook = async (db: Database, orgId: string, id: string, patch: Partial<BookInput>) => {
  const values: Partial<BookRow> = { updatedAt: new Date().toISOString() };
  if (patch.name !== undefined) values.name = patch.name;
  if (patch.description !== undefined) values.description = patch.description;
  if (patch.table_of_contents !== undefined) values.tableOfContents = patch.table_of_contents;
  const [row] = await db
    .update(books)
    .set(values)
    .where(and(eq(books.orgId, orgId), eq(books.id, id)))
    .returning();
  if (!row) throw notFound('Book');
  return row;
};

/** Deletes the book with its pages and their conditions; booklets made from it stay downloadable. */
export const deleteBook = async (db: Database, orgId: string, id: string): Promise<void> => {
  const rows = await db
    .delete(books)
    .where(and(eq(books.orgId, orgId), eq(books.id, id)))
    .returning({ id: books.id });
  if (rows.length === 0) throw notFound('Book');
};

/** The tenant's uploads among `ids`, by id (one query). */
export const uploadFacts = async (db: Database, orgId: string, ids: Iterable<string>) => {
  const wanted = [...new Set(ids)];
  const out = new Map<string, UploadFacts & { fileKey: string }>();
  if (wanted.length === 0) return out;
  const rows = await db
    .select({
      id: uploads.id,
      kind: uploads.kind,
      filename: uploads.filename,
      info: uploads.info,
      fileKey: uploads.fileKey,
    })
    .from(uploads)
    .where(and(eq(uploads.orgId, orgId), inArray(uploads.id, wanted)));
  for (const row of rows) out.set(row.id, { ...row, info: row.info as unknown as UploadInfo });
  return out;
};

const attachConditions = async (db: Database, orgId: string, pages: PageRow[]): Promise<PageWithConditions[]> => {
  const choosable = pages.filter((p) => p.type === 'choosable').map((p) => p.id);
  const rows = choosable.length
    ? await db
        .select()
        .from(pageConditions)
        .where(and(eq(pageConditions.orgId, orgId), inArray(pageConditions.pageId, choosable)))
        .orderBy(asc(pageConditions.position))
    : [];
  return pages.map((page) => ({ ...page, conditions: rows.filter((c) => c.pageId === page.id) }));
};

const pageOrder = [asc(bookPages.orderIndex), asc(bookPages.createdAt), asc(bookPages.id)];

/** A page of the book's pages in order (order_index, then when they were added), with their conditions. */
export const listPages = async (db: Database, orgId: string, bookId: string, page: PageRequest) => {
  await requireBook(db, orgId, bookId);
  const where = and(eq(bookPages.orgId, orgId), eq(bookPages.bookId, bookId));
  const { items, total } = await paginate(
    db,
    db
      .select()
      .from(bookPages)
      .where(where)
      .orderBy(...pageOrder),
    { table: bookPages, where },
    page,
  );
  return { items: await attachConditions(db, orgId, items), total };
};

/** Every page of the book in order, with conditions: what a generation works from. */
export const allPages = async (db: Database, orgId: string, bookId: string): Promise<PageWithConditions[]> => {
  const [pages, conditions] = await db.batch([
    db
      .select()
      .from(bookPages)
      .where(and(eq(bookPages.orgId, orgId), eq(bookPages.bookId, bookId)))
      .orderBy(...pageOrder),
    db
      .select({ condition: pageConditions })
      .from(pageConditions)
      .innerJoin(bookPages, eq(bookPages.id, pageConditions.pageId))
      .where(and(eq(pageConditions.orgId, orgId), eq(bookPages.bookId, bookId)))
      .orderBy(asc(pageConditions.position)),
  ]);
  return pages.map((page) => ({
    ...page,
    conditions: conditions.filter((c) => c.condition.pageId === page.id).map((c) => c.condition),
  }));
};

export const requirePage = async (
  db: Database,
  orgId: string,
  bookId: string,
  pageId: string,
): Promise<PageWithConditions> => {
  const [row] = await db
    .select()
    .from(bookPages)
    .where(and(eq(bookPages.orgId, orgId), eq(bookPages.bookId, bookId), eq(bookPages.id, pageId)))
    .limit(1);
  if (!row) {
    await requireBook(db, orgId, bookId);
    throw notFound('Page');
  }
  return (await attachConditions(db, orgId, [row]))[0];
};

export interface PageInput {
  type: PageType;
  order_index: number;
  title?: string | null;
  upload_id?: string | null;
  config: PageConfig;
  /** Choosable pages only; omitted on a change keeps the page's conditions. */
  conditions?: ConditionInput[];
}

/** 400 naming every field of the page that does not fit its uploads. */
const assertSound = async (db: Database, orgId: string, draft: PageDraft) => {
  const facts = await uploadFacts(db, orgId, pageUploadIds(draft));
  const problems = checkPage(draft, facts);
  if (problems.length === 0) return;
  const fields: Record<string, string[]> = {};
  for (const { field, message } of problems) fields[field] = [...(fields[field] ?? []), message];
  throw validationError(problems[0].message, fields);
};

const conditionRows = (orgId: string, pageId: string, conditions: ConditionInput[], at: string): ConditionRow[] =>
  conditions.map((c, position) => ({
    id: newId('bpc'),
    orgId,
    pageId,
    position,
    attributeKey: c.attribute_key,
    attributeValue: c.attribute_value,
    targetUploadId: c.target_upload_id,
    createdAt: at,
  }));

const draftOf = (input: PageInput, conditions: { targetUploadId: string }[]): PageDraft => ({
  type: input.type,
  uploadId: input.upload_id ?? null,
  config: input.config,
  conditions,
});

const noConditions = () =>
  validationError('Only choosable pages have conditions', { conditions: ['Only choosable pages have conditions'] });

export const createPage = async (
  db: Database,
  orgId: string,
  bookId: string,
  input: PageInput,
): Promise<PageWithConditions> => {
  await requireBook(db, orgId, bookId);
  const conditions = input.conditions ?? [];
  if (conditions.length && input.type !== 'choosable') throw noConditions();
  await assertSound(
    db,
    orgId,
    draftOf(
      input,
      conditions.map((c) => ({ targetUploadId: c.target_upload_id })),
    ),
  );
  const now = new Date().toISOString();
  const row: PageRow = {
    id: newId('bpg'),
    orgId,
    bookId,
    type: input.type,
    orderIndex: input.order_index,
    title: input.title ?? null,
    uploadId: input.upload_id ?? null,
    config: input.config as Record<string, unknown>,
    createdAt: now,
    updatedAt: now,
  };
  const rows = conditionRows(orgId, row.id, conditions, now);
  await db.batch([
    db.insert(bookPages).values(row),
    ...(rows.length ? [db.insert(pageConditions).values(rows)] : []),
    db.update(books).set({ updatedAt: now }).where(eq(books.id, bookId)),
  ]);
  return { ...row, conditions: rows };
};

/** Replaces the page (type, order, upload, config; conditions when given, or dropped when no longer choosable). */
export const replacePage = async (
  db: Database,
  orgId: string,
  bookId: string,
  pageId: string,
  input: PageInput,
): Promise<PageWithConditions> => {
  const current = await requirePage(db, orgId, bookId, pageId);
  if (input.conditions?.length && input.type !== 'choosable') throw noConditions();
  const keep = input.type === 'choosable' && input.conditions === undefined;
  const conditions = keep
    ? current.conditions
    : conditionRows(
        orgId,
        pageId,
        input.type === 'choosable' ? (input.conditions ?? []) : [],
        new Date().toISOString(),
      );
  await assertSound(db, orgId, draftOf(input, conditions));
  const now = new Date().toISOString();
  const values = {
    type: input.type,
    orderIndex: input.order_index,
    title: input.title ?? null,
    uploadId: input.upload_id ?? null,
    config: input.config as Record<string, unknown>,
    updatedAt: now,
  };
  await db.batch([
    db
      .update(bookPages)
      .set(values)
      .where(and(eq(bookPages.orgId, orgId), eq(bookPages.id, pageId))),
    ...(keep
      ? []
      : [
          db.delete(pageConditions).where(and(eq(pageConditions.orgId, orgId), eq(pageConditions.pageId, pageId))),
          ...(conditions.length ? [db.insert(pageConditions).values(conditions)] : []),
        ]),
    db.update(books).set({ updatedAt: now }).where(eq(books.id, bookId)),
  ]);
  return { ...current, ...values, conditions };
};

export const deletePage = async (db: Database, orgId: string, bookId: string, pageId: string): Promise<void> => {
  await requirePage(db, orgId, bookId, pageId);
  await db.batch([
    db.delete(bookPages).where(and(eq(bookPages.orgId, orgId), eq(bookPages.id, pageId))),
    db.update(books).set({ updatedAt: new Date().toISOString() }).where(eq(books.id, bookId)),
  ]);
};

/** Checks and writes a choosable page's whole list of conditions (in order: the first match wins). */
const writeConditions = async (
  db: Database,
  orgId: string,
  page: PageWithConditions,
  conditions: ConditionInput[],
): Promise<ConditionRow[]> => {
  if (page.type !== 'choosable') throw noConditions();
  if (conditions.length > MAX_CONDITIONS) {
    const message = `A page has at most ${MAX_CONDITIONS} conditions`;
    throw validationError(message, { conditions: [message] });
  }
  const rows = conditionRows(orgId, page.id, conditions, new Date().toISOString());
  await assertSound(db, orgId, {
    type: 'choosable',
    uploadId: null,
    config: page.config as PageConfig,
    conditions: rows,
  });
  await db.batch([
    db.delete(pageConditions).where(and(eq(pageConditions.orgId, orgId), eq(pageConditions.pageId, page.id))),
    ...(rows.length ? [db.insert(pageConditions).values(rows)] : []),
  ]);
  return rows;
};

/** Replaces a choosable page's conditions. */
export const setConditions = async (
  db: Database,
  orgId: string,
  bookId: string,
  pageId: string,
  conditions: ConditionInput[],
): Promise<ConditionRow[]> => writeConditions(db, orgId, await requirePage(db, orgId, bookId, pageId), conditions);

/** Adds a condition after a choosable page's others. */
export const addCondition = async (
  db: Database,
  orgId: string,
  bookId: string,
  pageId: string,
  condition: ConditionInput,
): Promise<ConditionRow[]> => {
  const page = await requirePage(db, orgId, bookId, pageId);
  const existing = page.conditions.map((row) => ({
    attribute_key: row.attributeKey,
    attribute_value: row.attributeValue,
    target_upload_id: row.targetUploadId,
  }));
  return writeConditions(db, orgId, page, [...existing, condition]);
};
