import { updateBot } from '@flowspark/chat';
import { chatSessions } from '../../../lib/chat';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonBody, jsonResponse } from '../../lib/schemas';
import { presentBot } from './present';
import { BotSchema, botIdParams, UpdateBotSchema } from './schemas';

export const updateBotRoute = defineRoute(
  { scope: 'bots:write' },
  {
    method: 'put',
    path: '/bots/{id}',
    operationId: 'updateBot',
    tags: ['Chat'],
    summary: 'Change a bot (fields left out stay as they are)',
    description:
      'The configuration fields given replace the stored ones (the theme field by field); the others stay. ' +
      'Only owners and admins may make a bot public, or change one that is (403 for members and their API keys). ' +
      'A bot changed by another request meanwhile is 409: read it again and retry. A public bot made private, or no ' +
      'longer allowing an origin, closes its widget visitors’ sockets (4403).',
    request: { params: botIdParams, body: jsonBody(UpdateBotSchema) },
    responses: { 200: jsonResponse(BotSchema, 'The changed bot'), ...errorResponses([404, 409]) },
  },
);

export const registerUpdateBot = (app: GroupApp) =>
  app.openapi(updateBotRoute, async (c) => {
    const { id } = c.req.valid('param');
    const change = c.req.valid('json');
    const { db, actor, env } = routeContext(c);
    return ok(c, presentBot(await updateBot({ db, sessions: chatSessions(env) }, actor, id, change)), 200);
  });
