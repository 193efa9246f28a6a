import { requireConversation } from '@flowspark/chat';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';
import { presentConversation } from './present';
import { ConversationSchema, conversationIdParams } from './schemas';

export const getConversationRoute = defineRoute(
  { scope: 'chat:read' },
  {
    method: 'get',
    path: '/conversations/{id}',
    operationId: 'getConversation',
    tags: ['Chat'],
    summary: 'Get a conversation',
    description: "Another member's conversation is 404 for members and viewers.",
    request: { params: conversationIdParams },
    responses: { 200: jsonResponse(ConversationSchema, 'The conversation'), ...errorResponses([404]) },
  },
);

export const registerGetConversation = (app: GroupApp) =>
  app.openapi(getConversationRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { db, actor } = routeContext(c);
    return ok(c, presentConversation(await requireConversation(db, actor, id)), 200);
  });
