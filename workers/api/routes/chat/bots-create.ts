import { assertBotQuota } from '@flowspark/billing';
import { createBot } from '@flowspark/chat';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonBody, jsonResponse } from '../../lib/schemas';
import { presentBot } from './present';
import { BotSchema, CreateBotSchema } from './schemas';

export const createBotRoute = defineRoute(
  { scope: 'bots:write' },
  {
    method: 'post',
    path: '/bots',
    operationId: 'createBot',
    tags: ['Chat'],
    summary: 'Create a bot',
    description:
      'A name and a configuration (fields left out take their defaults; unknown fields are refused). The answer ' +
      'carries the bot’s `public_key`, the key its web widget is embedded with. Only owners and admins may create ' +
      'a `public` bot. The plan bounds how many bots an organization has (403 `QUOTA_EXCEEDED`).',
    request: { body: jsonBody(CreateBotSchema) },
    responses: { 201: jsonResponse(BotSchema, 'The new bot'), ...errorResponses([403]) },
  },
);

export const registerCreateBot = (app: GroupApp) =>
  app.openapi(createBotRoute, async (c) => {
    const body = c.req.valid('json');
    const { db, actor, env } = routeContext(c);
    await assertBotQuota(db, actor.orgId, env.BILLING_PLANS);
    return ok(c, presentBot(await createBot(db, actor, body)), 201);
  });
