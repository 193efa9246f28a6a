import { assertWidgetOrigin, findWidgetBot, widgetView } from '@flowspark/chat';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';
import { PublicKeyParams, WidgetConfigSchema } from './schemas';
import { corsForBot } from './shared';

export const widgetConfigRoute = defineRoute('public', {
  method: 'get',
  path: '/widget/{public_key}/config',
  operationId: 'getWidgetConfig',
  tags: ['Widget'],
  summary: 'What the chat widget shows: the bot’s name, welcome, suggestions and theme',
  description:
    'Public (no credentials): the widget loader reads it with the bot’s public key. A private bot and an ' +
    'unknown key are both 404. From a browser page, the page’s origin must be one of the bot’s ' +
    '`allowed_origins` (403 otherwise), and only that origin may read the answer (CORS).',
  request: { params: PublicKeyParams },
  responses: {
    200: jsonResponse(WidgetConfigSchema, 'The widget’s configuration'),
    ...errorResponses([403, 404]),
  },
});

export const registerWidgetConfig = (app: GroupApp) =>
  app.openapi(widgetConfigRoute, async (c) => {
    const { db } = routeContext(c);
    const bot = await findWidgetBot(db, c.req.valid('param').public_key);
    corsForBot(c, bot);
    assertWidgetOrigin(bot, c.req.header('origin'), false);
    c.header('Cache-Control', 'public, max-age=60');
    return ok(c, { bot: widgetView(bot) }, 200);
  });
