/**
 * In-app notifications. Each is for one member: the user whose job it was, or the organization's
 * owners and admins for billing and webhook events. Listed newest first, marked read one by one or
 * all at once; every query is scoped to the organization and the user.
 */
import { newId, notFound, type PageRequest } from '@flowspark/core';
import { type Database, paginateNewestFirst, schema } from '@flowspark/db';
import { and, eq, inArray, isNull, type SQL } from 'drizzle-orm';

const { notifications, memberships } = schema;

export type NotificationRow = typeof notifications.$inferSelect;

export interface NewNotification {
  type: string;
  title: string;
  body?: string;
  data?: Record<string, unknown>;
}

/** Writes one notification per recipient, in one statement. */
export const createNotifications = async (
  db: Database,
  orgId: string,
  userIds: string[],
  input: NewNotification,
): Promise<NotificationRow[]> => {
  const recipients = [...new Set(userIds)];
  if (recipients.length === 0) return [];
  const now = new Date().toISOString();
  const rows: NotificationRow[] = recipients.map((userId) => ({
    id: newId('ntf'),
    orgId,
    userId,
    type: input.type,
    title: input.title,
    body: input.body ?? '',
    data: input.data ?? {},
    readAt: null,
    createdAt: now,
  }));
  await db.insert(notifications).values(rows);
  return rows;
};

/** The organization's owners and admins (who are told about billing and webhooks). */
export const organizationAdmins = async (db: Database, orgId: string): Promise<string[]> => {
  const rows = await db
    .select({ userId: memberships.userId })
    .from(memberships)
    .where(and(eq(memberships.orgId, orgId), inArray(memberships.role, ['owner', 'admin'])));
  return rows.map((r) => r.userId);
};

const mine = (orgId: string, userId: string): SQL =>
  and(eq(notifications.orgId, orgId), eq(notifications.userId, userId))!;

export const listNotifications = (
  db: Database,
  orgId: string,
  userId: string,
  query: PageRequest & { unread?: boolean },
) =>
  paginateNewestFirst(
    db,
    notifications,
    query.unread ? and(mine(orgId, userId), isNull(notifications.readAt)) : mine(orgId, userId),
    query,
  );

export const markNotificationRead = async (
  db: Database,
  orgId: string,
  userId: string,
  id: string,
): Promise<NotificationRow> => {
  const [row] = await db
    .select()
    .from(notifications)
    .where(and(mine(orgId, userId), eq(notifications.id, id)))
    .limit(1);
  if (!row) throw notFound('Notification');
  if (row.readAt) return row;
  const [updated] = await db
    .update(notifications)
    .set({ readAt: new Date().toISOString() })
    .where(and(mine(orgId, userId), eq(notifications.id, id)))
    .returning();
  return updated ?? row;
};

/** Marks every unread notification of the user read; answers how many. */
export const markAllNotificationsRead = async (db: Database, orgId: string, userId: string): Promise<number> => {
  const rows = await db
    .update(notifications)
    .set({ readAt: new Date().toISOString() })
    .where(and(mine(orgId, userId), isNull(notifications.readAt)))
    .returning({ id: notifications.id });
  return rows.length;
};
