import { type PageRequest, pageOffset } from '@flowspark/core';
import { count, desc, type SQL } from 'drizzle-orm';
import type { AnySQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Database } from './client';

/** A select for the page rows, with its where and orderBy already applied; the limit and offset come from the page. */
export interface PageQuery<TRow> {
  limit(limit: number): {
    offset(offset: number): { readonly _: { readonly dialect: 'sqlite'; readonly result: TRow[] } };
  };
}

/** What the total counts: every row of `table` matching `where` (the page query's own condition). */
export interface CountOf {
  table: SQLiteTable;
  where: SQL | undefined;
}

/** One page of rows and the total they are taken from, read in one D1 batch (one round trip, one snapshot). */
export const paginate = async <TRow>(
  db: Database,
  rows: PageQuery<TRow>,
  total: CountOf,
  page: PageRequest,
): Promise<{ items: TRow[]; total: number }> => {
  const [items, totals] = await db.batch([
    rows.limit(page.page_size).offset(pageOffset(page)),
    db.select({ total: count() }).from(total.table).where(total.where),
  ]);
  return { items, total: totals[0]?.total ?? 0 };
};

/** A table whose rows are listed newest first: by `created_at`, then by id for rows created together. */
export type NewestFirstTable = SQLiteTable & { createdAt: AnySQLiteColumn; id: AnySQLiteColumn };

/** One page of `table`'s rows matching `where`, newest first, with their total (one batch). */
export const paginateNewestFirst = <T extends NewestFirstTable>(
  db: Database,
  table: T,
  where: SQL | undefined,
  page: PageRequest,
): Promise<{ items: T['$inferSelect'][]; total: number }> => {
  const rows = db
    .select()
    .from(table as SQLiteTable)
    .where(where)
    .orderBy(desc(table.createdAt), desc(table.id));
  return paginate(db, rows as unknown as PageQuery<T['$inferSelect']>, { table, where }, page);
};
