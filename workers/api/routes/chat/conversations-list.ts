import { listConversations } from '@flowspark/chat';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { paginated } from '../../lib/respond';
import { errorResponses, PageQuerySchema, paginatedResponse } from '../../lib/schemas';
import { presentConversation } from './present';
import { botIdParams, ConversationSchema } from './schemas';

export const listConversationsRoute = defineRoute(
  { scope: 'chat:read' },
  {
    method: 'get',
    path: '/bots/{id}/conversations',
    operationId: 'listConversations',
    tags: ['Chat'],
    summary: "A bot's conversations, most recently active first",
    description:
      "Owners and admins see every conversation; members and viewers their own (an API key's are its creator's).",
    request: { params: botIdParams, query: PageQuerySchema },
    responses: { 200: paginatedResponse(ConversationSchema, 'A page of conversations'), ...errorResponses([404]) },
  },
);

export const registerListConversations = (app: GroupApp) =>
  app.openapi(listConversationsRoute, async (c) => {
    const { id } = c.req.valid('param');
    const page = c.req.valid('query');
    const { db, actor } = routeContext(c);
    const { items, total } = await listConversations(db, actor, id, page);
    return paginated(c, items.map(presentConversation), page, total);
  });
