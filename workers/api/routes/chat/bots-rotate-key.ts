import { rotateBotKey } from '@flowspark/chat';
import { chatSessions } from '../../../lib/chat';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';
import { presentBot } from './present';
import { BotSchema, botIdParams } from './schemas';

export const rotateBotKeyRoute = defineRoute(
  { scope: 'bots:write' },
  {
    method: 'post',
    path: '/bots/{id}/rotate-key',
    operationId: 'rotateBotKey',
    tags: ['Chat'],
    summary: 'Give a bot a new public key',
    description:
      'The old key stops working at once: a widget embedded with it stops loading until the page uses the new one, and ' +
      'its visitors’ open sockets close (4403). ' +
      'Only owners and admins may re-key a public bot.',
    request: { params: botIdParams },
    responses: { 200: jsonResponse(BotSchema, 'The bot with its new key'), ...errorResponses([404, 409]) },
  },
);

export const registerRotateBotKey = (app: GroupApp) =>
  app.openapi(rotateBotKeyRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { db, actor, env } = routeContext(c);
    return ok(c, presentBot(await rotateBotKey({ db, sessions: chatSessions(env) }, actor, id)), 200);
  });
