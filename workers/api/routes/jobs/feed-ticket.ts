import { z } from '@hono/zod-openapi';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { jsonResponse } from '../../lib/schemas';
import { FEED_TICKET_TTL_SECONDS, issueFeedTicket, TICKET_PROTOCOL_PREFIX } from './feed-tickets';

const FeedTicketSchema = z
  .object({
    ticket: z
      .string()
      .openapi({ example: 'org_0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f.q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c' }),
    expires_in: z.number().int().openapi({ example: FEED_TICKET_TTL_SECONDS, description: 'Seconds' }),
    url: z.string().openapi({ example: 'wss://api.example.com/api/v1/jobs/feed' }),
    protocol: z.string().openapi({
      example: `${TICKET_PROTOCOL_PREFIX}org_0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f.q1w2e3r4…`,
      description: 'Offer this WebSocket subprotocol: `new WebSocket(url, [protocol])`',
    }),
  })
  .openapi('JobFeedTicket');

export const createFeedTicketRoute = defineRoute(
  { scope: 'jobs:read' },
  {
    method: 'post',
    path: '/jobs/feed/ticket',
    operationId: 'createJobFeedTicket',
    tags: ['Jobs'],
    summary: 'A single-use ticket to open the job feed WebSocket from a browser',
    description: `Browsers cannot send an Authorization header with a WebSocket, and a long-lived token in a URL ends up in logs. This ticket works once, within ${FEED_TICKET_TTL_SECONDS} seconds, for the caller's organization only: offer it as the subprotocol \`${TICKET_PROTOCOL_PREFIX}<ticket>\` when connecting to \`url\`.`,
    responses: { 201: jsonResponse(FeedTicketSchema, 'The ticket') },
  },
);

export const registerCreateFeedTicket = (app: GroupApp) =>
  app.openapi(createFeedTicketRoute, async (c) => {
    const { actor } = routeContext(c);
    const ticket = await issueFeedTicket(c.env, {
      orgId: actor.orgId,
      userId: actor.userId,
      sessionId: actor.sessionId,
      apiKeyId: actor.apiKeyId,
      apiKeyRateLimitPerMinute: actor.apiKeyRateLimitPerMinute,
      plan: actor.plan,
      issuedAt: Math.floor(Date.now() / 1000),
    });
    const url = new URL('/api/v1/jobs/feed', c.req.url);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return ok(
      c,
      {
        ticket,
        expires_in: FEED_TICKET_TTL_SECONDS,
        url: url.toString(),
        protocol: `${TICKET_PROTOCOL_PREFIX}${ticket}`,
      },
      201,
    );
  });
