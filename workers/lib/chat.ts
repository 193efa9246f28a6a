import type { TokenUsage } from '@flowspark/ai';
import {
  type ChatCitation,
  type ChatPorts,
  type ChatSessionsPort,
  listConnectedConversations,
  type MessageRow,
  untrainedBots,
} from '@flowspark/chat';
import { describeError, logger } from '@flowspark/core';
import { createDb, type Database } from '@flowspark/db';
import type { ConnectionOwners } from '@flowspark/identity';
import type { Env } from '../env';
import { aiProvider } from './ai';

/** The conversation's chat-session object (one per conversation, named by its id). */
export const chatSession = (env: Pick<Env, 'CHAT_SESSION'>, conversationId: string) =>
  env.CHAT_SESSION.get(env.CHAT_SESSION.idFromName(conversationId));

/** The chat services' view of the chat-session objects. */
export const chatSessions = (env: Pick<Env, 'CHAT_SESSION'>): ChatSessionsPort => ({
  end: async (_orgId, conversationIds) => {
    await Promise.all(conversationIds.map((id) => chatSession(env, id).end()));
  },
  announce: async (_orgId, conversationId, stored) => {
    await chatSession(env, conversationId).announce(stored.map(presentMessage));
  },
});

/**
 * What chat replies need, from the Worker's bindings: D1, the AI provider, the bots' retrieval and
 * the chat-session objects. No bot has trained documents yet, so retrieval finds nothing
 * (`untrainedBots`).
 */
export const chatPorts = (env: Env, db: Database = createDb(env.DB)): ChatPorts => ({
  db,
  ai: aiProvider(env),
  retrieval: untrainedBots,
  sessions: chatSessions(env),
});

/**
 * Closes the chat sockets these credentials opened in the tenant: every conversation with a
 * credentialed socket is asked (see `chat_connections`). Failures are logged: a socket that stays
 * open is refused by the tenant gate at its next message.
 */
export const closeChatConnections = async (env: Env, orgId: string, who: ConnectionOwners): Promise<void> => {
  let ids: string[];
  try {
    ids = await listConnectedConversations(createDb(env.DB), orgId);
  } catch (err) {
    logger.warn('chat sockets not looked up', { org_id: orgId, ...describeError(err) });
    return;
  }
  const results = await Promise.allSettled(ids.map((id) => chatSession(env, id).closeConnections(who)));
  for (const result of results) {
    if (result.status === 'rejected')
      logger.warn('chat sockets not closed', { org_id: orgId, ...describeError(result.reason) });
  }
};

export interface MessageView {
  id: string;
  conversation_id: string;
  role: MessageRow['role'];
  content: string;
  citations: ChatCitation[];
  /** The reply's token usage; null for a user message. */
  usage: TokenUsage | null;
  /** The model that wrote the reply; null for a user message, and for a reply given without a model. */
  model: string | null;
  /** From the message's arrival to the stored reply; null for a user message. */
  latency_ms: number | null;
  created_at: string;
}

/** A message as REST, SSE and the chat socket all send it. Never the organization. */
export const presentMessage = (row: MessageRow): MessageView => ({
  id: row.id,
  conversation_id: row.conversationId,
  role: row.role,
  content: row.content,
  citations: row.citations as ChatCitation[],
  usage:
    row.role === 'assistant'
      ? {
          prompt_tokens: row.promptTokens ?? 0,
          completion_tokens: row.completionTokens ?? 0,
          total_tokens: row.totalTokens ?? 0,
          estimated: row.usageEstimated ?? false,
        }
      : null,
  model: row.model,
  latency_ms: row.latencyMs,
  created_at: row.createdAt,
});
