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
} from '../../../lib/chat-headers';
import { KEEP_REPLY_EVENTS, MAX_LOG_MESSAGES } from '../../../objects/chat-session';
import { type AppEnv, routeContext } from '../../lib/context';
import type { GroupApp } from '../../lib/group';
import { errorResponses } from '../../lib/schemas';
import { authenticate } from '../../middleware/authenticate';
import { admitThroughGate, gateBuckets } from '../../middleware/gate';
import { conversationIdParams } from './schemas';
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
    '(the 101 response echoes it). Another organization’s conversation, or one you may not see, is 404. Frames are JSON text;',
    'their types are in packages/chat/src/frames.ts.',
    '\n\nEvery event of the conversation carries an `event_id` (one increasing sequence per conversation, the same on every',
    'socket): `{"type":"user_message","event_id","message"}` when someone sends a message; `{"type":"token","event_id","reply_to",',
    '"message_id","text"}` as the reply is generated (`message_id`: the id the reply will be stored with); `{"type":"message",',
    '"event_id","message"}` for each stored message (the question, then the reply, once the reply is complete or stopped, also',
    'for replies sent over REST; a stopped reply has `stopped: true`); `{"type":"failed","event_id","reply_to","message_id","code",',
    '"message","details"}` when the reply failed (nothing was stored). Frames for one socket carry no `event_id`: first',
    '`{"type":"ready","conversation_id","last_event_id","replayed","truncated","generating"}`, then the `replayed` events after',
    '`last_event_id`, then live ones; `{"type":"error","code","message","details","retry_after"}` for a frame that was refused;',
    '`{"type":"pong"}`.',
    '\n\nClient → server: `{"type":"message","content":"…"}` (needs chat:write; one reply at a time per conversation, each message',
    'counted by the rate limit like a request); `{"type":"stop"}` ends the reply being generated (needs chat:write): what was',
    'generated so far is stored, marked `stopped`; a socket that disconnects does not stop it. `{"type":"resume","since":N}`',
    'replays the events after event N, then continues live (answered `resumed`, shaped like `ready`); `?since=N` on the URL does',
    'the same at connect time (a message id is accepted too: the events after that message was stored). Without `since` the',
    'socket starts from now, with the reply being generated (if any) from its start. `{"type":"ping"}` is answered `{"type":"pong"}`',
    'without waking the session.',
    `\n\nThe session keeps every event of the reply being generated and of the last ${KEEP_REPLY_EVENTS} replies, and the stored`,
    `messages of the last ${MAX_LOG_MESSAGES}: a resume from earlier is \`truncated\` (read the rest with GET /conversations/{id}/messages).`,
    '\n\nThe server closes the socket with `4401` (credentials revoked), `4403` (membership ended), `4404` (conversation',
    'deleted) or `1013` (the credential could not be checked just then: reconnect with `?since`).',
  ].join(' '),
  middleware: [socketAuth],
  security: [{ bearerAuth: [] }],
  request: {
    params: conversationIdParams,
    query: z.strictObject({
      since: z
        .string()
        .regex(/^(?:\d{1,15}|msg_[0-9a-f]{32})$/, 'Must be an event id (an integer from 0) or a message id')
        .optional()
        .openapi({
          param: { name: 'since', in: 'query' },
          example: '42',
          description: 'Replay the events after this event id (0: all the session keeps), or after this stored message',
        }),
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
