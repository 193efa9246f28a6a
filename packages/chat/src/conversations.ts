/**
 * Conversations with a bot. A conversation belongs to the user who started it: owners and admins see
 * every conversation of the organization, members and viewers their own (access.ts). Every query is
 * scoped to the tenant; another tenant's conversation, or one the caller may not see, is not found.
 */
import { newId, notFound, type PageRequest } from '@flowspark/core';
import { type Database, paginate, schema } from '@flowspark/db';
import { and, desc, eq, type SQL } from 'drizzle-orm';
import { type ChatActor, seesAllConversations } from './access';
import { requireBot } from './bots';
import type { ChatSessionsPort } from './ports';

const { conversations } = schema;

export type ConversationRow = typeof conversations.$inferSelect;

export const MAX_CONVERSATION_TITLE_CHARS = 200;

/** The conditions under which `actor` sees a conversation row. */
export const visibleConversation = (actor: ChatActor): SQL[] => [
  eq(conversations.orgId, actor.orgId),
  ...(seesAllConversations(actor) ? [] : [eq(conversations.userId, actor.userId)]),
];

export const createConversation = async (
  db: Database,
  actor: ChatActor,
  botId: string,
  input: { title?: string | null },
): Promise<ConversationRow> => {
  await requireBot(db, actor.orgId, botId);
  const now = new Date().toISOString();
  const [row] = await db
    .insert(conversations)
    .values({
      id: newId('cnv'),
      orgId: actor.orgId,
      botId,
      title: input.title ?? null,
      userId: actor.userId,
      visitorId: null,
      messageCount: 0,
      lastMessageAt: null,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  return row!;
};

/** A bot's conversations the caller sees, most recently active first: one page query and one count. */
export const listConversations = async (
  db: Database,
  actor: ChatActor,
  botId: string,
  page: PageRequest,
): Promise<{ items: ConversationRow[]; total: number }> => {
  await requireBot(db, actor.orgId, botId);
  const where = and(...visibleConversation(actor), eq(conversations.botId, botId));
  const rows = db
    .select()
    .from(conversations)
    .where(where)
    .orderBy(desc(conversations.updatedAt), desc(conversations.id));
  return paginate(db, rows, { table: conversations, where }, page);
};

export const getConversation = async (db: Database, actor: ChatActor, id: string): Promise<ConversationRow | null> => {
  const [row] = await db
    .select()
    .from(conversations)
    .where(and(...visibleConversation(actor), eq(conversations.id, id)))
    .limit(1);
  return row ?? null;
};

export const requireConversation = async (db: Database, actor: ChatActor, id: string): Promise<ConversationRow> => {
  const row = await getConversation(db, actor, id);
  if (!row) throw notFound('Conversation');
  return row;
};

/** Deletes the conversation and its messages, and closes the sockets open on it. */
export const deleteConversation = async (
  ports: { db: Database; sessions?: ChatSessionsPort },
  actor: ChatActor,
  id: string,
): Promise<void> => {
  const deleted = await ports.db
    .delete(conversations)
    .where(and(...visibleConversation(actor), eq(conversations.id, id)))
    .returning({ id: conversations.id });
  if (deleted.length === 0) throw notFound('Conversation');
  await ports.sessions?.end(actor.orgId, [id]);
};
