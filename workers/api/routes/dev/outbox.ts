import { AppError } from '@flowspark/core';
import { listOutbox } from '@flowspark/identity';
import { z } from '@hono/zod-openapi';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { paginated } from '../../lib/respond';
import { errorResponses, PageQuerySchema, paginatedResponse, TimestampSchema } from '../../lib/schemas';

const OutboxMailSchema = z
  .object({
    id: z.string(),
    to: z.string().openapi({ example: 'ada@example.com' }),
    subject: z.string(),
    body: z.string(),
    created_at: TimestampSchema,
  })
  .openapi('DevOutboxMail');

const OutboxQuerySchema = PageQuerySchema.extend({
  to: z.string().trim().min(1).max(254).optional().openapi({ description: 'Only mail to this address' }),
});

/** Config is per request, so the route is always registered and refuses itself in production. */
export const outboxRoute = defineRoute('public', {
  method: 'get',
  path: '/dev/outbox',
  operationId: 'listDevOutbox',
  tags: ['Development'],
  summary: 'Local only: mail the outbox mailer has sent, newest first',
  description:
    'Exists only outside production (config `devRoutes`); in production it answers 404 like any ' +
    'unknown route. Mail here can contain reset and invitation tokens.',
  // Before validation, so production answers 404 whatever the query says.
  middleware: [
    async (c, next) => {
      if (!c.get('config').devRoutes) throw new AppError('NOT_FOUND', `No route for ${c.req.method} ${c.req.path}`);
      await next();
    },
  ],
  request: { query: OutboxQuerySchema },
  responses: { 200: paginatedResponse(OutboxMailSchema, 'Sent mail'), ...errorResponses([404]) },
});

export const registerOutbox = (app: GroupApp) =>
  app.openapi(outboxRoute, async (c) => {
    const { to, ...page } = c.req.valid('query');
    const { items, total } = await listOutbox(routeContext(c).db, { to }, page);
    return paginated(c, items, page, total);
  });
