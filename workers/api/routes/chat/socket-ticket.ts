import { requireConversation } from '@flowspark/chat';
import { z } from '@hono/zod-openapi';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';
import { conversationIdParams } from './schemas';
import { CHAT_TICKET_PROTOCOL_PREFIX, CHAT_TICKET_TTL_SECONDS, issueChatTicket } from './socket-tickets';

const ChatTicketSchema = z
  .object({
    ticket: z
      .string()
      .openapi({ example: 'cnv_7b1c2d3e4f5a4b6c8d9e0f1a2b3c4d5e.q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c' }),
    expires_in: z.number().int().openapi({ example: CHAT_TICKET_TTL_SECONDS, description: 'Seconds' }),
    url: z.string().openapi({ example: 'wss://api.example.com/api/v1/conversations/cnv_…/ws' }),
    protocol: z.string().openapi({
      example: `${CHAT_TICKET_PROTOCOL_PREFIX}cnv_7b1c2d3e4f5a4b6c8d9e0f1a2b3c4d5e.q1w2e3r4…`,
      description: 'Offer this WebSocket subprotocol: `new WebSocket(url, [protocol])`',
    }),
  })
  .openapi('ChatSocketTicket');

export const createSocketTicketRoute = defineRoute(
  { scope: 'chat:read' },
  {
    method: 'post',
    path: '/conversations/{id}/ws/ticket',
    operationId: 'createConversationSocketTicket',
    tags: ['Chat'],
    summary: "A single-use ticket to open a conversation's WebSocket from a browser",
    description: `Browsers cannot send an Authorization header with a WebSocket, and a long-lived token in a URL ends up in logs. This ticket works once, within ${CHAT_TICKET_TTL_SECONDS} seconds, for this conversation only, with your permissions (sending needs chat:write): offer it as the subprotocol \`${CHAT_TICKET_PROTOCOL_PREFIX}<ticket>\` when connecting to \`url\`.`,
    request: { params: conversationIdParams },
    responses: { 201: jsonResponse(ChatTicketSchema, 'The ticket'), ...errorResponses([404]) },
  },
);

export const registerCreateSocketTicket = (app: GroupApp) =>
  app.openapi(createSocketTicketRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { db, actor, env } = routeContext(c);
    await requireConversation(db, actor, id);
    const ticket = await issueChatTicket(env, {
      conversationId: id,
      orgId: actor.orgId,
      userId: actor.userId,
      role: actor.role,
      sessionId: actor.sessionId,
      apiKeyId: actor.apiKeyId,
      apiKeyRateLimitPerMinute: actor.apiKeyRateLimitPerMinute,
      plan: actor.plan,
      issuedAt: Math.floor(Date.now() / 1000),
      canWrite: actor.scopes.has('chat:write'),
    });
    const url = new URL(`/api/v1/conversations/${id}/ws`, c.req.url);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return ok(
      c,
      {
        ticket,
        expires_in: CHAT_TICKET_TTL_SECONDS,
        url: url.toString(),
        protocol: `${CHAT_TICKET_PROTOCOL_PREFIX}${ticket}`,
      },
      201,
    );
  });
