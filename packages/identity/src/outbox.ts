import type { PageRequest } from '@flowspark/core';
import { type Database, paginate, schema } from '@flowspark/db';
import { desc, inArray, sql } from 'drizzle-orm';

const { devOutbox } = schema;

export interface OutboxMail {
  id: string;
  to: string;
  subject: string;
  body: string;
  created_at: string;
}

/**
 * Mail the local mailer "sent", newest first (rowid breaks ties within one millisecond), optionally
 * for one recipient. Addresses are matched as given and lower-cased, the form accounts store.
 */
export const listOutbox = async (
  db: Database,
  filter: { to?: string },
  page: PageRequest,
): Promise<{ items: OutboxMail[]; total: number }> => {
  const where = filter.to
    ? inArray(devOutbox.recipient, [...new Set([filter.to, filter.to.toLowerCase()])])
    : undefined;
  const { items, total } = await paginate(
    db,
    db.select().from(devOutbox).where(where).orderBy(desc(devOutbox.createdAt), desc(sql`rowid`)),
    { table: devOutbox, where },
    page,
  );
  return {
    items: items.map((row) => ({
      id: row.id,
      to: row.recipient,
      subject: row.subject,
      body: row.body,
      created_at: row.createdAt,
    })),
    total,
  };
};
