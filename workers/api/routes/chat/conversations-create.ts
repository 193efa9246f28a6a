import { createConversation } from '@flowspark/chat';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonBody, jsonResponse } from '../../lib/schemas';
import { presentConversation } from './present';
import { botIdParams, ConversationSchema, CreateConversationSchema } from './schemas';

export const createConversationRoute = defineRoute(
  { scope: 'chat:write' },
  {
    method: 'post',
    path: '/bots/{id}/conversations',
    operationId: 'createConversation',
    tags: ['Chat'],
    summary: 'Start a conversation with a bot',
    description: 'The conversation is yours: members and viewers see only their own, owners and admins every one.',
    request: { params: botIdParams, body: jsonBody(CreateConversationSchema) },
    responses: { 201: jsonResponse(ConversationSchema, 'The new conversation'), ...errorResponses([404]) },
  },
);

export const registerCreateConversation = (app: GroupApp) =>
  app.openapi(createConversationRoute, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const { db, actor } = routeContext(c);
    return ok(c, presentConversation(await createConversation(db, actor, id, body)), 201);
  });
