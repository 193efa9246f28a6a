import {
  type ChatCitation,
  type ChatMessageView,
  type ChatPorts,
  type ChatSessionsPort,
  listConnectedConversations,
  type MessageRow,
  trainedBots,
} from '@flowspark/chat';
import { AppError, describeError, logger } from '@flowspark/core';
import { createDb, type Database } from '@flowspark/db';
import type { ConnectionOwners } from '@flowspark/identity';
import type { Env } from '../env';
import { aiProvider } from './ai';
import {
  CHAT_BOT_HEADER,
  CHAT_BOT_KEY_HEADER,
  CHAT_BUCKETS_HEADER,
  CHAT_CONVERSATION_HEADER,
  CHAT_ORG_HEADER,
  CHAT_VISITOR_HEADER,
  CHAT_VISITOR_LIMIT_HEADER,
  type ChatGateBucket,
} from './chat-headers';
import { kbSearchOptions, keywordIndex } from './kb-ports';
import { vectorIndex } from './vectors';
import { billedProvider } from './wallet';

/** The conversation's chat-session object (one per conversation, named by its id). */
export const chatSession = (env: Pick<Env, 'CHAT_SESSION'>, conversationId: string) =>
  env.CHAT_SESSION.get(env.CHAT_SESSION.idFromName(conversationId));

/** The chat services' view of the chat-session objects. */
export const chatSessions = (env: Pick<Env, 'CHAT_SESSION'>): ChatSessionsPort => ({
  end: async (_orgId, conversationIds) => {
    await Promise.all(conversationIds.map((id) => chatSession(env, id).end()));
  },
  announce: async (_orgId, conversationId, stored) => {
    await chatSession(env, conversationId).announce(
      stored.map((row) => ({ seq: row.seq, message: presentMessage(row) })),
    );
  },
  closeVisitors: async (_orgId, conversationIds, reason) => {
    await Promise.all(conversationIds.map((id) => chatSession(env, id).closeVisitors(reason)));
  },
});

/**
 * What chat replies need, from the Worker's bindings: D1, the AI provider (each reply paid from the
 * organization's token wallet when `billed` says whose it is), the bots' retrieval (the
 * knowledge-base search in each bot's own indexes) and the chat-session objects.
 */
export const chatPorts = (
  env: Env,
  db: Database = createDb(env.DB),
  billed?: { orgId: string; userId: string | null; conversationId: string },
): ChatPorts => {
  const ai = aiProvider(env);
  return {
    db,
    ai: billed
      ? billedProvider(env, ai, {
          orgId: billed.orgId,
          feature: 'chat.reply',
          userId: billed.userId,
          resourceId: billed.conversationId,
        })
      : ai,
    retrieval: trainedBots({ db, ai, vectors: vectorIndex(env), keywords: keywordIndex(env) }, kbSearchOptions(env)),
    sessions: chatSessions(env),
  };
};

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

/** A message as every channel shows it (packages/chat/src/frames.ts). */
export type MessageView = ChatMessageView;

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
  stopped: row.stopped,
  created_at: row.createdAt,
});

/** Who a visitor socket is, as the widget route checked it (see `forwardVisitorSocket`). */
export interface VisitorSocket {
  orgId: string;
  /** The visitor's conversation with the bot (`visitorConversation` finds or creates it). */
  conversationId: string;
  /** 1 to 128 letters, digits, `_` or `-`. */
  visitorId: string;
  botId: string;
  /** The public key the widget connected with: once the bot is re-keyed the socket is refused. */
  publicKey: string;
  /** The bot's `visitor_message_limit`: messages per visitor per hour. */
  limitPerHour: number;
  /** The tenant gate's buckets each of the visitor's messages is counted against. */
  buckets: ChatGateBucket[];
}

const SINCE = /^(?:\d{1,15}|msg_[0-9a-f]{32})$/;

/**
 * Forwards a widget visitor's WebSocket upgrade to their conversation's session, once the widget route
 * has checked the bot (public, key, origin) and found the conversation. `?since=<event id>` on the
 * request's URL is passed on (the replay). Resolves with the 101 response to return; a bad `since` is
 * 400 VALIDATION_ERROR, a session that refused is 503.
 */
export const forwardVisitorSocket = async (
  env: Pick<Env, 'CHAT_SESSION'>,
  visitor: VisitorSocket,
  request: Request,
): Promise<Response> => {
  const since = new URL(request.url).searchParams.get('since');
  if (since !== null && !SINCE.test(since)) {
    throw new AppError('VALIDATION_ERROR', '"since" must be an event id', {
      details: { fields: { since: ['Invalid event id'] } },
    });
  }
  const target = new URL('https://chat-session/connect');
  if (since !== null) target.searchParams.set('since', since);
  // Headers set here only: nothing the client sent reaches the session object.
  const headers = new Headers({
    Upgrade: 'websocket',
    [CHAT_ORG_HEADER]: visitor.orgId,
    [CHAT_CONVERSATION_HEADER]: visitor.conversationId,
    [CHAT_VISITOR_HEADER]: visitor.visitorId,
    [CHAT_BOT_HEADER]: visitor.botId,
    [CHAT_BOT_KEY_HEADER]: visitor.publicKey,
    [CHAT_VISITOR_LIMIT_HEADER]: String(visitor.limitPerHour),
    [CHAT_BUCKETS_HEADER]: JSON.stringify(visitor.buckets),
  });
  const upstream = await chatSession(env, visitor.conversationId).fetch(new Request(target, { headers }));
  if (upstream.status !== 101 || !upstream.webSocket) {
    throw new AppError('SERVICE_UNAVAILABLE', 'The conversation’s live session is unavailable');
  }
  return new Response(null, { status: 101, webSocket: upstream.webSocket, headers: upstream.headers });
};
