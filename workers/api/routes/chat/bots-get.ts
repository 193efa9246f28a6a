import { requireBot } from '@flowspark/chat';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';
import { presentBot } from './present';
import { BotSchema, botIdParams } from './schemas';

export const getBotRoute = defineRoute(
  { scope: 'bots:read' },
  {
    method: 'get',
    path: '/bots/{id}',
    operationId: 'getBot',
    tags: ['Chat'],
    summary: 'Get a bot with its configuration',
    request: { params: botIdParams },
    responses: { 200: jsonResponse(BotSchema, 'The bot'), ...errorResponses([404]) },
  },
);

export const registerGetBot = (app: GroupApp) =>
  app.openapi(getBotRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { db, actor } = routeContext(c);
    return ok(c, presentBot(await requireBot(db, actor.orgId, id)), 200);
  });
