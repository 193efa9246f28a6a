import { assertWidgetOrigin, findWidgetBot, openVisitorToken, visitorConversation } from '@flowspark/chat';
import { AppError, PLANS, type Plan } from '@flowspark/core';
import { schema } from '@flowspark/db';
import { z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { forwardVisitorSocket } from '../../../lib/chat';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { errorResponses } from '../../lib/schemas';
import { ipRateLimit } from '../../middleware/ip-rate-limit';
import { PublicKeyParams } from './schemas';

const SocketQuerySchema = z.object({
  visitor_token: z
    .string()
    .min(1)
    .max(512)
    .openapi({ param: { name: 'visitor_token', in: 'query' }, description: 'From POST /widget/{public_key}/session' }),
  since: z
    .string()
    .regex(/^\d{1,15}$/, 'Must be an event id')
    .optional()
    .openapi({
      param: { name: 'since', in: 'query' },
      description: 'The last event id the widget saw: replay after it',
    }),
});

export const widgetSocketRoute = defineRoute('public', {
  method: 'get',
  path: '/widget/{public_key}/ws',
  operationId: 'openWidgetSocket',
  tags: ['Widget'],
  summary: 'WebSocket: an anonymous visitor chatting with a public bot',
  description: [
    'Upgrade to a WebSocket. Checked before the upgrade and before any AI cost: the bot is public and the key',
    'current (404 otherwise), the page’s `Origin` is one of the bot’s `allowed_origins` (403), and the',
    '`visitor_token` from `POST /widget/{public_key}/session` belongs to this bot and key (401). The socket is the',
    'visitor’s conversation and speaks the protocol of `GET /api/v1/conversations/{id}/ws` (frames in',
    'packages/chat/src/frames.ts); each message counts against the bot’s `visitor_message_limit` per visitor',
    'per hour (an error frame `RATE_LIMITED` with `retry_after` past it) and the organization’s rate limit.',
    'Making the bot private, rotating its key or removing the origin closes the socket (4403); deleting the bot',
    'closes it with 4404.',
  ].join(' '),
  // Each connection costs the per-IP limit of public routes (the session route's too).
  middleware: [ipRateLimit],
  request: { params: PublicKeyParams, query: SocketQuerySchema },
  responses: {
    101: { description: 'Switching protocols: the WebSocket is open' },
    426: {
      description: 'Not a WebSocket upgrade request (UPGRADE_REQUIRED)',
      content: errorResponses([400])[400]!.content,
    },
    ...errorResponses([401, 403, 404]),
  },
});

export const registerWidgetSocket = (app: GroupApp) =>
  app.openapi(widgetSocketRoute, async (c) => {
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
      throw new AppError('UPGRADE_REQUIRED', 'This route is a WebSocket: connect with Upgrade: websocket', {
        headers: { Upgrade: 'websocket' },
      });
    }
    const { db, env, config } = routeContext(c);
    const bot = await findWidgetBot(db, c.req.valid('param').public_key);
    assertWidgetOrigin(bot, c.req.header('origin'), true);
    const visitorId = await openVisitorToken(env.ENCRYPTION_KEY, bot, c.req.valid('query').visitor_token);
    if (!visitorId) {
      throw new AppError('INVALID_TOKEN', 'The visitor token is not this bot’s: open a new session');
    }
    const [conversation, [org]] = await Promise.all([
      visitorConversation(db, { orgId: bot.orgId, botId: bot.id, visitorId }),
      db
        .select({ plan: schema.organizations.plan })
        .from(schema.organizations)
        .where(eq(schema.organizations.id, bot.orgId))
        .limit(1),
    ]);
    const plan: Plan = (PLANS as readonly string[]).includes(org?.plan ?? '') ? (org!.plan as Plan) : 'free';
    const tenantLimit = config.rateLimits[plan].per_minute;
    // The bot's visitors together may use the same share of the tenant's limit a user may.
    const botShare = Math.max(1, Math.floor(tenantLimit * config.rateLimitCredentialShare));
    return forwardVisitorSocket(
      env,
      {
        orgId: bot.orgId,
        conversationId: conversation.id,
        visitorId,
        botId: bot.id,
        publicKey: bot.publicKey,
        limitPerHour: bot.configuration.visitor_message_limit,
        buckets: [
          { key: 'tenant', per_minute: tenantLimit },
          { key: `bot:${bot.id}`, per_minute: botShare },
        ],
      },
      c.req.raw,
    ) as never;
  });
