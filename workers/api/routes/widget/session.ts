import { assertWidgetOrigin, findWidgetBot, visitorConversation, visitorFor } from '@flowspark/chat';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonBody, jsonResponse } from '../../lib/schemas';
import { PublicKeyParams, WidgetSessionInputSchema, WidgetSessionSchema } from './schemas';
import { corsForBot } from './shared';

export const widgetSessionRoute = defineRoute('public', {
  method: 'post',
  path: '/widget/{public_key}/session',
  operationId: 'openWidgetSession',
  tags: ['Widget'],
  summary: 'A visitor’s session with a public bot: their visitor token and conversation',
  description:
    'Called by the widget from the embedding page: the `Origin` must be one of the bot’s `allowed_origins` ' +
    '(403 otherwise, also without an Origin). Send back the `visitor_token` an earlier session gave to get ' +
    'the same conversation again (a token of another bot, or from before the key was rotated, starts a new ' +
    'visitor). Limited per client address.',
  request: { params: PublicKeyParams, body: jsonBody(WidgetSessionInputSchema, 'An empty object on a first visit') },
  responses: {
    200: jsonResponse(WidgetSessionSchema, 'The visitor’s token and conversation'),
    ...errorResponses([403, 404]),
  },
});

export const registerWidgetSession = (app: GroupApp) =>
  app.openapi(widgetSessionRoute, async (c) => {
    const { db, env } = routeContext(c);
    const bot = await findWidgetBot(db, c.req.valid('param').public_key);
    corsForBot(c, bot);
    assertWidgetOrigin(bot, c.req.header('origin'), true);
    const visitor = await visitorFor(env.ENCRYPTION_KEY, bot, c.req.valid('json').visitor_token);
    const conversation = await visitorConversation(db, {
      orgId: bot.orgId,
      botId: bot.id,
      visitorId: visitor.visitorId,
    });
    return ok(
      c,
      { visitor_token: visitor.visitorToken, conversation_id: conversation.id, returning: visitor.returning },
      200,
    );
  });
