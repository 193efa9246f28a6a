import { requireConversation } from '@flowspark/chat';
import { AppError, PLANS, type Plan, type Scope } from '@flowspark/core';
import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { chatSession } from '../../../lib/chat';
import {
  CHAT_API_KEY_HEADER,
  CHAT_BUCKETS_HEADER,
  CHAT_CONVERSATION_HEADER,
  CHAT_ISSUED_AT_HEADER,
  CHAT_ORG_HEADER,
  CHAT_PROTOCOL_HEADER,
  CHAT_ROLE_HEADER,
  CHAT_SESSION_HEADER,
  CHAT_USER_HEADER,
  CHAT_WRITE_HEADER,
  MAX_REPLAY_MESSAGES,
} from '../../../objects/chat-session';
import { type AppEnv, routeContext } from '../../lib/context';
import type { GroupApp } from '../../lib/group';
import { errorResponses, idParam } from '../../lib/schemas';
import { authenticate } from '../../middleware/authenticate';
import { admitThroughGate, gateBuckets } from '../../middleware/gate';
import { conversationIdParams, MESSAGE_ID_EXAMPLE } from './schemas';
import { CHAT_TICKET_PROTOCOL_PREFIX, offeredChatTicket, redeemChatTicket } from './socket-tickets';

const isUpgrade = (header: string | undefined) => header?.toLowerCase() === 'websocket';

const conversationOf = (path: string) => /\/conversations\/([^/]+)\/ws$/.exec(path)?.[1] ?? '';

/**
 * Authenticates the upgrade: a bearer token (access token or API key with chat:read) through the
 * usual middleware, or, without an Authorization header, a ticket for this conversation offered as a
 * subprotocol; the ticket is consumed and the tenant gate is asked here, as for any request.
 */
const socketAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!isUpgrade(c.req.header('upgrade'))) {
    throw new AppError('UPGRADE_REQUIRED', 'This route is a WebSocket: connect with Upgrade: websocket', {
      headers: { Upgrade: 'websocket' },
    });
  }
  const protocol = offeredChatTicket(c.req.header('sec-websocket-protocol'));
  if (c.req.header('authorization') || !protocol) return authenticate({ scope: 'chat:read' })(c, next);
  const grant = await redeemChatTicket(
    c.env,
    protocol.slice(CHAT_TICKET_PROTOCOL_PREFIX.length),
    conversationOf(c.req.path),
  );
  if (!grant) throw new AppError('INVALID_TOKEN', 'The ticket is invalid, expired, used or for another conversation');
  const plan: Plan = (PLANS as readonly string[]).includes(grant.plan) ? (grant.plan as Plan) : 'free';
  await admitThroughGate(c, { ...grant, plan });
  const scopes: Scope[] = grant.canWrite ? ['chat:read', 'chat:write'] : ['chat:read'];
  c.set('auth', {
    kind: grant.apiKeyId ? 'api_key' : 'user',
    orgId: grant.orgId,
    userId: grant.userId,
    role: grant.role,
    plan,
    sessionId: grant.sessionId,
    apiKeyId: grant.apiKeyId,
    apiKeyRateLimitPerMinute: grant.apiKeyRateLimitPerMinute ?? null,
    // A ticket opens this conversation's socket and nothing else.
    scopes: new Set(scopes),
  });
  await next();
};

export const conversationSocketRoute = createRoute({
  method: 'get',
  path: '/conversations/{id}/ws',
  operationId: 'openConversationSocket',
  tags: ['Chat'],
  summary: 'WebSocket: a conversation live, in every tab at once',
  description: [
    'Upgrade to a WebSocket (`Upgrade: websocket`). Authenticate with `Authorization: Bearer <access token or API key with chat:read>`,',
    `or, from a browser, with a ticket from \`POST /conversations/{id}/ws/ticket\` offered as the subprotocol \`${CHAT_TICKET_PROTOCOL_PREFIX}<ticket>\``,
    '(the 101 response echoes it). Another organization’s conversation, or one you may not see, is 404.',
    '\n\nClient → server (JSON text): `{"type":"message","content":"…"}` (needs chat:write; one reply at a time per',
    'conversation, each message counted by the rate limit like a request); `{"type":"resume","since":"msg_…"}` sends the',
    'messages stored after that one (`?since=msg_…` on the URL does the same at connect time); `{"type":"ping"}`',
    '(answered `{"type":"pong"}` without waking the session).',
    '\n\nServer → client: `{"type":"ready"|"resumed","conversation_id","last_message_id","replayed","truncated","generating"}`',
    `after the replayed messages (at most ${MAX_REPLAY_MESSAGES}; \`truncated\`: read the rest with GET /conversations/{id}/messages?after=);`,
    '`{"type":"user_message","message"}` when someone sends a message; `{"type":"token","reply_to","text"}` as the reply is',
    'generated; `{"type":"message","message"}` for each stored message (the question, then the reply, once the reply is',
    'complete, also for replies sent over REST); `{"type":"failed","reply_to","code","message","details"}` when the reply',
    'failed (nothing was stored); `{"type":"error","code","message","details"}` for a frame that was refused.',
    'A socket that connects or resumes while a reply is being generated gets its message and the text so far, then the rest.',
    '\n\nThe server closes the socket with `4401` (credentials revoked), `4403` (membership ended), `4404` (conversation',
    'deleted) or `1013` (the credential could not be checked just then: reconnect with `?since`).',
  ].join(' '),
  middleware: [socketAuth],
  security: [{ bearerAuth: [] }],
  request: {
    params: conversationIdParams,
    query: z.strictObject({
      since: idParam('since', MESSAGE_ID_EXAMPLE)
        .optional()
        .openapi({ param: { name: 'since', in: 'query' }, description: 'Replay the messages stored after this one' }),
    }),
  },
  responses: {
    101: { description: 'Switching protocols: the WebSocket is open' },
    426: {
      description: 'Not a WebSocket upgrade request (UPGRADE_REQUIRED)',
      content: errorResponses([400])[400]!.content,
    },
    ...errorResponses([400, 401, 403, 404, 429, 500]),
  },
});

export const registerConversationSocket = (app: GroupApp) =>
  app.openapi(conversationSocketRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { since } = c.req.valid('query');
    const { db, actor, config } = routeContext(c);
    await requireConversation(db, actor, id);
    const target = new URL('https://chat-session/connect');
    if (since) target.searchParams.set('since', since);
    const buckets = gateBuckets(config, { ...actor, issuedAt: null });
    // Headers the Worker sets itself: nothing the client sent reaches the session object.
    const headers = new Headers({
      Upgrade: 'websocket',
      [CHAT_ORG_HEADER]: actor.orgId,
      [CHAT_CONVERSATION_HEADER]: id,
      [CHAT_USER_HEADER]: actor.userId,
      [CHAT_ROLE_HEADER]: actor.role,
      [CHAT_WRITE_HEADER]: actor.scopes.has('chat:write') ? '1' : '0',
      [CHAT_BUCKETS_HEADER]: JSON.stringify(buckets),
    });
    // The credential that opened the socket: its revocation closes the socket.
    if (actor.sessionId) headers.set(CHAT_SESSION_HEADER, actor.sessionId);
    if (actor.apiKeyId) headers.set(CHAT_API_KEY_HEADER, actor.apiKeyId);
    // Checked by the gate at every message against the user's token cut-off (a role change, a
    // password change): the credential was valid now, so later cut-offs close the socket.
    if (actor.kind === 'user') headers.set(CHAT_ISSUED_AT_HEADER, String(Math.floor(Date.now() / 1000)));
    const protocol = c.req.header('authorization')
      ? undefined
      : offeredChatTicket(c.req.header('sec-websocket-protocol'));
    if (protocol) headers.set(CHAT_PROTOCOL_HEADER, protocol);
    const upstream = await chatSession(c.env, id).fetch(new Request(target, { headers }));
    if (upstream.status !== 101 || !upstream.webSocket) {
      throw new AppError('SERVICE_UNAVAILABLE', 'The conversation’s live session is unavailable');
    }
    // A fresh response: the group's middleware adds headers, and a fetched response's are immutable.
    return new Response(null, { status: 101, webSocket: upstream.webSocket, headers: upstream.headers });
  });
