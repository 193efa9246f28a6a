/**
 * Conversations with a bot. A conversation belongs to the user who started it: owners and admins see
 * every conversation of the organization, members and viewers their own (access.ts). Every query is
 * scoped to the tenant; another tenant's conversation, or one the caller may not see, is not found.
 */
import { newId, notFound, type PageRequest } from '@flowspark/core';
import { type Database, paginate, schema } from '@flowspark/db';
import { and, desc, eq, type SQL } from 'drizzle-orm';
import { type ChatActor, type ChatParticipant, type ChatVisitor, isVisitor, seesAllConversations } from './access';
import { getBot, requireBot } from './bots';
import type { ChatSessionsPort } from './ports';

const { conversations } = schema;

export type ConversationRow = typeof conversations.$inferSelect;

export const MAX_CONVERSATION_TITLE_CHARS = 200;

/** The conditions under which `who` sees a conversation row: a visitor only their own with the bot. */
export const visibleConversation = (who: ChatParticipant): SQL[] =>
  isVisitor(who)
    ? [
        eq(conversations.orgId, who.orgId),
        eq(conversations.botId, who.botId),
        eq(conversations.visitorId, who.visitorId),
      ]
    : [
        eq(conversations.orgId, who.orgId),
        ...(seesAllConversations(who) ? [] : [eq(conversations.userId, who.userId)]),
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

export const getConversation = async (
  db: Database,
  actor: ChatParticipant,
  id: string,
): Promise<ConversationRow | null> => {
  const [row] = await db
    .select()
    .from(conversations)
    .where(and(...visibleConversation(actor), eq(conversations.id, id)))
    .limit(1);
  return row ?? null;
};

export const requireConversation = async (
  db: Database,
  actor: ChatParticipant,
  id: string,
): Promise<ConversationRow> => {
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

/** A visitor id, as the widget route makes them: 1 to 128 letters, digits, `_` or `-`. */
const VISITOR_ID = /^[A-Za-z0-9_-]{1,128}$/;
export const isVisitorId = (value: string): boolean => VISITOR_ID.test(value);

/**
 * A widget visitor's conversation with a bot: the one they have, or a new one (one per visitor and bot,
 * kept unique by an index, so two tabs opening at once share it). Not found unless the bot is the
 * tenant's and public.
 */
export const visitorConversation = async (
  db: Database,
  visitor: Pick<ChatVisitor, 'orgId' | 'botId' | 'visitorId'>,
): Promise<ConversationRow> => {
  if (!isVisitorId(visitor.visitorId)) throw notFound('Conversation');
  const bot = await getBot(db, visitor.orgId, visitor.botId);
  if (bot?.configuration.visibility !== 'public') throw notFound('Bot');
  const mine = and(...visibleConversation(visitor));
  const [found] = await db.select().from(conversations).where(mine).limit(1);
  if (found) return found;
  const now = new Date().toISOString();
  const [created] = await db
    .insert(conversations)
    .values({
      id: newId('cnv'),
      orgId: visitor.orgId,
      botId: visitor.botId,
      title: null,
      userId: null,
      visitorId: visitor.visitorId,
      messageCount: 0,
      lastMessageAt: null,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing()
    .returning();
  if (created) return created;
  // Another tab created it meanwhile.
  const [theirs] = await db.select().from(conversations).where(mine).limit(1);
  if (!theirs) throw notFound('Conversation');
  return theirs;
};
