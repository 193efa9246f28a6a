/**
 * Which conversations have sockets open, one row per kind: `credential` (opened with a session or an
 * API key), so that a revocation asks only those chat-session objects to close them; `visitor` (a
 * widget visitor), so that a bot made private, re-keyed or deleted closes its visitors' sockets.
 * Either kind lets a reply stored over REST reach the sockets. The object writes a kind's row when
 * the first socket of that kind connects and removes it when the last one has gone; a row left behind
 * (an object that was reset with its sockets) costs one call to an object with nothing to close,
 * which then removes it.
 */
import type { Database } from '@flowspark/db';
import { schema } from '@flowspark/db';
import { and, eq, type SQL } from 'drizzle-orm';

const { chatConnections, conversations } = schema;

export type ConnectionKind = 'credential' | 'visitor';

export const markConnected = async (
  db: Database,
  orgId: string,
  conversationId: string,
  kind: ConnectionKind = 'credential',
): Promise<void> => {
  await db
    .insert(chatConnections)
    .values({ orgId, conversationId, kind, openedAt: new Date().toISOString() })
    .onConflictDoNothing();
};

export const markDisconnected = async (
  db: Database,
  orgId: string,
  conversationId: string,
  kind: ConnectionKind = 'credential',
): Promise<void> => {
  await db
    .delete(chatConnections)
    .where(
      and(
        eq(chatConnections.orgId, orgId),
        eq(chatConnections.conversationId, conversationId),
        eq(chatConnections.kind, kind),
      ),
    );
};

/**
 * The tenant's conversations with open sockets (of one bot, of one kind, when given), each once. A
 * query, not run.
 */
export const connectedConversations = (
  db: Database,
  orgId: string,
  filter: { botId?: string; kind?: ConnectionKind } = {},
) => {
  const conditions: SQL[] = [eq(chatConnections.orgId, orgId)];
  if (filter.kind) conditions.push(eq(chatConnections.kind, filter.kind));
  const base = db.selectDistinct({ conversationId: chatConnections.conversationId }).from(chatConnections);
  if (!filter.botId) return base.where(and(...conditions));
  return base
    .innerJoin(conversations, eq(conversations.id, chatConnections.conversationId))
    .where(and(...conditions, eq(conversations.orgId, orgId), eq(conversations.botId, filter.botId)));
};

/** The tenant's conversations with sockets opened by a credential: what a revocation asks. */
export const listConnectedConversations = async (db: Database, orgId: string): Promise<string[]> =>
  (await connectedConversations(db, orgId, { kind: 'credential' })).map((row) => row.conversationId);
