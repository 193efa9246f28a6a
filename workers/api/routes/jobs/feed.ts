import { AppError, PLANS, type Plan } from '@flowspark/core';
import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import {
  FEED_API_KEY_HEADER,
  FEED_ORG_HEADER,
  FEED_PROTOCOL_HEADER,
  FEED_SESSION_HEADER,
  FEED_USER_HEADER,
} from '../../../objects/job-feed';
import { type AppEnv, routeContext } from '../../lib/context';
import type { GroupApp } from '../../lib/group';
import { errorResponses } from '../../lib/schemas';
import { authenticate } from '../../middleware/authenticate';
import { admitThroughGate } from '../../middleware/gate';
import { offeredTicketProtocol, redeemFeedTicket, TICKET_PROTOCOL_PREFIX } from './feed-tickets';

const isUpgrade = (header: string | undefined) => header?.toLowerCase() === 'websocket';

/**
 * Authenticates the upgrade: a bearer token (access token or API key with jobs:read) through the
 * usual middleware, or, without an Authorization header, a ticket offered as a subprotocol; the
 * ticket is consumed and the tenant gate is asked here (rate limit and revocation), as for any
 * authenticated request.
 */
const feedAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!isUpgrade(c.req.header('upgrade'))) {
    throw new AppError('UPGRADE_REQUIRED', 'This route is a WebSocket: connect with Upgrade: websocket', {
      headers: { Upgrade: 'websocket' },
    });
  }
  const protocol = offeredTicketProtocol(c.req.header('sec-websocket-protocol'));
  if (c.req.header('authorization') || !protocol) return authenticate({ scope: 'jobs:read' })(c, next);
  const grant = await redeemFeedTicket(c.env, protocol.slice(TICKET_PROTOCOL_PREFIX.length));
  if (!grant) throw new AppError('INVALID_TOKEN', 'The ticket is invalid, expired or already used');
  const plan: Plan = (PLANS as readonly string[]).includes(grant.plan) ? (grant.plan as Plan) : 'free';
  await admitThroughGate(c, { ...grant, plan });
  c.set('auth', {
    kind: grant.apiKeyId ? 'api_key' : 'user',
    orgId: grant.orgId,
    userId: grant.userId,
    role: 'viewer',
    plan,
    sessionId: grant.sessionId,
    apiKeyId: grant.apiKeyId,
    apiKeyRateLimitPerMinute: grant.apiKeyRateLimitPerMinute ?? null,
    // A ticket opens the feed and nothing else.
    scopes: new Set(['jobs:read']),
  });
  await next();
};

export const jobFeedRoute = createRoute({
  method: 'get',
  path: '/jobs/feed',
  operationId: 'openJobFeed',
  tags: ['Jobs'],
  summary: "WebSocket: every job event of the caller's organization",
  description: [
    'Upgrade to a WebSocket (`Upgrade: websocket`). Authenticate with `Authorization: Bearer <access token or API key with jobs:read>`,',
    `or, from a browser, with a ticket from \`POST /jobs/feed/ticket\` offered as the subprotocol \`${TICKET_PROTOCOL_PREFIX}<ticket>\``,
    '(the 101 response echoes it). Never put a token in the URL.',
    '\n\nServer → client: every job event of the organization as JSON text (the `JobEvent` schema: `job.status` and',
    '`job.progress`, `id` increasing by one per event), and control messages: `{"type":"ready","last_event_id":N,"replayed":n,"truncated":false}`',
    'once connected, `{"type":"pong"}`, `{"type":"resumed",…}`, `{"type":"error","code","message"}`.',
    '\n\nClient → server: `{"type":"ping"}`; `{"type":"resume","since":N}` replays the events after id N that happened before',
    'this connection (live ones follow anyway). `?since=N` on the URL does the same at connect time. Events are kept for',
    '24 hours (the last 1,000); `truncated: true` means some were already gone: read `GET /jobs` instead.',
    '\n\nThe socket lives no longer than the credential that opened it. The server closes it with `4401`',
    '(credentials revoked: logout, session revoked, password changed or reset, API key revoked or expired) or',
    '`4403` (membership ended, or the account was deactivated): do not reconnect with the same credential.',
    '`1013` means the credential could not be checked just then: reconnect with `?since`.',
  ].join(' '),
  middleware: [feedAuth],
  security: [{ bearerAuth: [] }],
  request: {
    query: z.strictObject({
      since: z.coerce
        .number()
        .int()
        .min(0)
        .optional()
        .openapi({ description: 'Replay events after this id', example: 41 }),
    }),
  },
  responses: {
    101: { description: 'Switching protocols: the WebSocket is open' },
    426: {
      description: 'Not a WebSocket upgrade request (UPGRADE_REQUIRED)',
      content: errorResponses([400])[400]!.content,
    },
    ...errorResponses([400, 401, 403, 429, 500]),
  },
});

export const registerJobFeed = (app: GroupApp) =>
  app.openapi(jobFeedRoute, async (c) => {
    const { actor } = routeContext(c);
    const { since } = c.req.valid('query');
    const target = new URL('https://job-feed/connect');
    if (since !== undefined) target.searchParams.set('since', String(since));
    // Headers the Worker sets itself: nothing the client sent reaches the feed object.
    const headers = new Headers({
      Upgrade: 'websocket',
      [FEED_ORG_HEADER]: actor.orgId,
      [FEED_USER_HEADER]: actor.userId,
    });
    // The credential that opened the socket: its revocation closes the socket (see JobFeed).
    if (actor.sessionId) headers.set(FEED_SESSION_HEADER, actor.sessionId);
    if (actor.apiKeyId) headers.set(FEED_API_KEY_HEADER, actor.apiKeyId);
    const protocol = c.req.header('authorization')
      ? undefined
      : offeredTicketProtocol(c.req.header('sec-websocket-protocol'));
    if (protocol) headers.set(FEED_PROTOCOL_HEADER, protocol);
    const feed = c.env.JOB_FEED.get(c.env.JOB_FEED.idFromName(actor.orgId));
    const upstream = await feed.fetch(new Request(target, { headers }));
    if (upstream.status !== 101 || !upstream.webSocket)
      throw new AppError('SERVICE_UNAVAILABLE', 'The job feed is unavailable');
    // A fresh response: the group's middleware adds headers, and a fetched response's are immutable.
    return new Response(null, { status: 101, webSocket: upstream.webSocket, headers: upstream.headers });
  });
