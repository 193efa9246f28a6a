/**
 * The messages of a conversation, in the order they were stored (`seq` 1, 2, …). A user message and
 * the assistant's reply to it are stored together, in one D1 batch, once the reply is complete (see
 * reply.ts): a conversation never holds a question without its answer.
 */
import type { TokenUsage } from '@flowspark/ai';
import { notFound, type PageRequest } from '@flowspark/core';
import { type Database, paginate, schema } from '@flowspark/db';
import { and, asc, desc, eq, gt, type SQL, sql } from 'drizzle-orm';
import type { ChatParticipant } from './access';
import { requireConversation } from './conversations';
import type { ChatCitationView } from './frames';

const { messages, conversations, chatConnections } = schema;

export type MessageRow = typeof messages.$inferSelect;
export type MessageRole = MessageRow['role'];

export const MAX_MESSAGE_CHARS = 4_000;

export type ChatCitation = ChatCitationView;

/** The seq of a message of this conversation; not found when it is not one. */
const seqOf = async (db: Database, orgId: string, conversationId: string, messageId: string): Promise<number> => {
  const [row] = await db
    .select({ seq: messages.seq })
    .from(messages)
    .where(and(eq(messages.orgId, orgId), eq(messages.conversationId, conversationId), eq(messages.id, messageId)))
    .limit(1);
  if (!row) throw notFound('Message');
  return row.seq;
};

const inConversation = (orgId: string, conversationId: string): SQL[] => [
  eq(messages.orgId, orgId),
  eq(messages.conversationId, conversationId),
];

/**
 * A page of the conversation's messages, oldest first; with `after` (a message id of the
 * conversation), only the messages stored after that one.
 */
export const listMessages = async (
  db: Database,
  actor: ChatParticipant,
  conversationId: string,
  query: PageRequest & { after?: string },
): Promise<{ items: MessageRow[]; total: number }> => {
  await requireConversation(db, actor, conversationId);
  const conditions = inConversation(actor.orgId, conversationId);
  if (query.after) conditions.push(gt(messages.seq, await seqOf(db, actor.orgId, conversationId, query.after)));
  const where = and(...conditions);
  const rows = db.select().from(messages).where(where).orderBy(asc(messages.seq));
  return paginate(db, rows, { table: messages, where }, query);
};

/**
 * The messages stored after `seq` (the chat session's catch-up with D1: replies stored over REST while
 * no socket was open), oldest first: the last `limit` of them, and `truncated` when there were more.
 */
export const messagesAfterSeq = async (
  db: Database,
  orgId: string,
  conversationId: string,
  seq: number,
  limit: number,
): Promise<{ messages: MessageRow[]; truncated: boolean }> => {
  const rows = await db
    .select()
    .from(messages)
    .where(and(...inConversation(orgId, conversationId), gt(messages.seq, seq)))
    .orderBy(desc(messages.seq))
    .limit(limit + 1);
  return { messages: rows.slice(0, limit).reverse(), truncated: rows.length > limit };
};

/** The last `count` messages of the conversation, oldest first. A query, not run. */
export const lastMessages = (db: Database, orgId: string, conversationId: string, count: number) =>
  db
    .select({ role: messages.role, content: messages.content })
    .from(messages)
    .where(and(...inConversation(orgId, conversationId)))
    .orderBy(desc(messages.seq))
    .limit(count);

export interface StoredExchange {
  user: MessageRow;
  assistant: MessageRow;
  /** Sockets were open on the conversation when it was stored (read in the same batch). */
  connected: boolean;
}

export interface ExchangeToStore {
  orgId: string;
  conversationId: string;
  user: { id: string; content: string; createdAt: string };
  assistant: {
    id: string;
    content: string;
    citations: ChatCitation[];
    usage: TokenUsage;
    model: string | null;
    latencyMs: number;
    createdAt: string;
    /** Ended by a stop request: the text generated until then. */
    stopped?: boolean;
  };
  /** Given to a conversation that has no title yet. */
  title: string;
}

const nextSeq = (orgId: string, conversationId: string) =>
  sql<number>`(SELECT coalesce(max(${messages.seq}), 0) + 1 FROM ${messages} WHERE ${messages.orgId} = ${orgId} AND ${messages.conversationId} = ${conversationId})`;

/**
 * The user message and the reply, and the conversation's counters, in one batch: all or nothing. A
 * conversation deleted meanwhile refuses the messages (foreign key), so nothing is stored. The batch
 * also reads whether sockets are open on the conversation: a socket registered before the batch is
 * seen here, and one registered after it reads these messages when it catches up, so a reply stored
 * over REST reaches every socket.
 */
export const storeExchange = async (db: Database, exchange: ExchangeToStore): Promise<StoredExchange> => {
  const { orgId, conversationId, user, assistant } = exchange;
  const base = { orgId, conversationId };
  let result: [MessageRow[], MessageRow[], { id: string }[], { one: number }[]];
  try {
    result = await db.batch([
      db
        .insert(messages)
        .values({
          ...base,
          id: user.id,
          seq: nextSeq(orgId, conversationId),
          role: 'user',
          content: user.content,
          citations: [],
          createdAt: user.createdAt,
        })
        .returning(),
      db
        .insert(messages)
        .values({
          ...base,
          id: assistant.id,
          seq: nextSeq(orgId, conversationId),
          role: 'assistant',
          content: assistant.content,
          citations: assistant.citations,
          promptTokens: assistant.usage.prompt_tokens,
          completionTokens: assistant.usage.completion_tokens,
          totalTokens: assistant.usage.total_tokens,
          usageEstimated: assistant.usage.estimated,
          model: assistant.model,
          latencyMs: assistant.latencyMs,
          stopped: assistant.stopped ?? false,
          createdAt: assistant.createdAt,
        })
        .returning(),
      db
        .update(conversations)
        .set({
          messageCount: sql`${conversations.messageCount} + 2`,
          lastMessageAt: assistant.createdAt,
          updatedAt: assistant.createdAt,
          title: sql`coalesce(${conversations.title}, ${exchange.title})`,
        })
        .where(and(eq(conversations.orgId, orgId), eq(conversations.id, conversationId)))
        .returning({ id: conversations.id }),
      db
        .select({ one: sql<number>`1` })
        .from(chatConnections)
        .where(and(eq(chatConnections.orgId, orgId), eq(chatConnections.conversationId, conversationId)))
        .limit(1),
    ]);
  } catch (err) {
    const [still] = await db
      .select({ id: conversations.id })
      .from(conversations)
      .where(and(eq(conversations.orgId, orgId), eq(conversations.id, conversationId)))
      .limit(1);
    if (!still) throw notFound('Conversation');
    throw err;
  }
  return { user: result[0][0]!, assistant: result[1][0]!, connected: result[3].length > 0 };
};
