import { deleteConversation } from '@flowspark/chat';
import { chatSessions } from '../../../lib/chat';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { noContent } from '../../lib/respond';
import { errorResponses } from '../../lib/schemas';
import { conversationIdParams } from './schemas';

export const deleteConversationRoute = defineRoute(
  { scope: 'chat:write' },
  {
    method: 'delete',
    path: '/conversations/{id}',
    operationId: 'deleteConversation',
    tags: ['Chat'],
    summary: 'Delete a conversation and its messages',
    request: { params: conversationIdParams },
    responses: { 204: { description: 'Deleted' }, ...errorResponses([404]) },
  },
);

export const registerDeleteConversation = (app: GroupApp) =>
  app.openapi(deleteConversationRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { db, actor, env } = routeContext(c);
    await deleteConversation({ db, sessions: chatSessions(env) }, actor, id);
    return noContent(c);
  });
