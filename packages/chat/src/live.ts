/**
 * Which conversations have sockets opened with a credential (a session or an API key), so that a
 * revocation asks only their chat-session objects to close them. The object writes its row when such
 * a socket connects and removes it when the last one has gone; a row left behind (an object that was
 * reset with its sockets) costs one call to an object with nothing to close, which then removes it.
 */
import type { Database } from '@flowspark/db';
import { schema } from '@flowspark/db';
import { and, eq } from 'drizzle-orm';

const { chatConnections, conversations } = schema;

export const markConnected = async (db: Database, orgId: string, conversationId: string): Promise<void> => {
  await db
    .insert(chatConnections)
    .values({ orgId, conversationId, openedAt: new Date().toISOString() })
    .onConflictDoNothing();
};

export const markDisconnected = async (db: Database, orgId: string, conversationId: string): Promise<void> => {
  await db
    .delete(chatConnections)
    .where(and(eq(chatConnections.orgId, orgId), eq(chatConnections.conversationId, conversationId)));
};

/** The tenant's conversations with credentialed sockets (of one bot, when given). A query, not run. */
export const connectedConversations = (db: Database, orgId: string, filter: { botId?: string } = {}) => {
  const base = db.select({ conversationId: chatConnections.conversationId }).from(chatConnections);
  if (!filter.botId) return base.where(eq(chatConnections.orgId, orgId));
  return base
    .innerJoin(conversations, eq(conversations.id, chatConnections.conversationId))
    .where(
      and(eq(chatConnections.orgId, orgId), eq(conversations.orgId, orgId), eq(conversations.botId, filter.botId)),
    );
};

export const listConnectedConversations = async (db: Database, orgId: string): Promise<string[]> =>
  (await connectedConversations(db, orgId)).map((row) => row.conversationId);
