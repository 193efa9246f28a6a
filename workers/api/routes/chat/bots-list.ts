import { listBots } from '@flowspark/chat';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { paginated } from '../../lib/respond';
import { PageQuerySchema, paginatedResponse } from '../../lib/schemas';
import { presentBot } from './present';
import { BotSchema } from './schemas';

export const listBotsRoute = defineRoute(
  { scope: 'bots:read' },
  {
    method: 'get',
    path: '/bots',
    operationId: 'listBots',
    tags: ['Chat'],
    summary: "List your organization's bots, newest first",
    request: { query: PageQuerySchema },
    responses: { 200: paginatedResponse(BotSchema, 'A page of bots') },
  },
);

export const registerListBots = (app: GroupApp) =>
  app.openapi(listBotsRoute, async (c) => {
    const page = c.req.valid('query');
    const { db, actor } = routeContext(c);
    const { items, total } = await listBots(db, actor.orgId, page);
    return paginated(c, items.map(presentBot), page, total);
  });
