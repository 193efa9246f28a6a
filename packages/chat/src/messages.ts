/**
 * The messages of a conversation, in the order they were stored (`seq` 1, 2, …). A user message and
 * the assistant's reply to it are stored together, in one D1 batch, once the reply is complete (see
 * reply.ts): a conversation never holds a question without its answer.
 */
import type { TokenUsage } from '@flowspark/ai';
import { notFound, type PageRequest } from '@flowspark/core';
import { type Database, paginate, schema } from '@flowspark/db';
import { and, asc, desc, eq, gt, type SQL, sql } from 'drizzle-orm';
import type { ChatActor } from './access';
import { requireConversation } from './conversations';

const { messages, conversations } = schema;

export type MessageRow = typeof messages.$inferSelect;
export type MessageRole = MessageRow['role'];

export const MAX_MESSAGE_CHARS = 4_000;

export interface ChatCitation {
  document_id: string;
  chunk_id: string;
  title: string;
  snippet: string;
  score: number;
}

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
  actor: ChatActor,
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
 * What a reconnecting socket missed: the messages after `after` (null: from the start), oldest first,
 * at most `limit`; `truncated` when there are more (read the rest over REST).
 */
export const messagesAfter = async (
  db: Database,
  orgId: string,
  conversationId: string,
  after: string | null,
  limit: number,
): Promise<{ messages: MessageRow[]; truncated: boolean }> => {
  const conditions = inConversation(orgId, conversationId);
  if (after) conditions.push(gt(messages.seq, await seqOf(db, orgId, conversationId, after)));
  const rows = await db
    .select()
    .from(messages)
    .where(and(...conditions))
    .orderBy(asc(messages.seq))
    .limit(limit + 1);
  return { messages: rows.slice(0, limit), truncated: rows.length > limit };
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
  };
  /** Given to a conversation that has no title yet. */
  title: string;
}

const nextSeq = (orgId: string, conversationId: string) =>
  sql<number>`(SELECT coalesce(max(${messages.seq}), 0) + 1 FROM ${messages} WHERE ${messages.orgId} = ${orgId} AND ${messages.conversationId} = ${conversationId})`;

/**
 * The user message and the reply, and the conversation's counters, in one batch: all or nothing. A
 * conversation deleted meanwhile refuses the messages (foreign key), so nothing is stored.
 */
export const storeExchange = async (db: Database, exchange: ExchangeToStore): Promise<StoredExchange> => {
  const { orgId, conversationId, user, assistant } = exchange;
  const base = { orgId, conversationId };
  let result: [MessageRow[], MessageRow[], { id: string }[]];
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
  return { user: result[0][0]!, assistant: result[1][0]! };
};
