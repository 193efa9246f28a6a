import { listMessages } from '@flowspark/chat';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { paginated } from '../../lib/respond';
import { errorResponses, paginatedResponse } from '../../lib/schemas';
import { presentMessage } from './present';
import { conversationIdParams, ListMessagesQuerySchema, MessageSchema } from './schemas';

export const listMessagesRoute = defineRoute(
  { scope: 'chat:read' },
  {
    method: 'get',
    path: '/conversations/{id}/messages',
    operationId: 'listMessages',
    tags: ['Chat'],
    summary: "A conversation's messages, oldest first",
    description:
      'Each question is stored with its reply, once the reply is complete. `after` (a message id of this ' +
      'conversation) lists only the later ones: what a client missed since the last message it saw.',
    request: { params: conversationIdParams, query: ListMessagesQuerySchema },
    responses: { 200: paginatedResponse(MessageSchema, 'A page of messages'), ...errorResponses([404]) },
  },
);

export const registerListMessages = (app: GroupApp) =>
  app.openapi(listMessagesRoute, async (c) => {
    const { id } = c.req.valid('param');
    const query = c.req.valid('query');
    const { db, actor } = routeContext(c);
    const { items, total } = await listMessages(db, actor, id, query);
    return paginated(c, items.map(presentMessage), query, total);
  });
