import { listUserSessions } from '@flowspark/identity';
import { z } from '@hono/zod-openapi';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { paginated } from '../../lib/respond';
import { PageQuerySchema, paginatedResponse, TimestampSchema } from '../../lib/schemas';

const SessionSchema = z
  .object({
    id: z.string().openapi({ example: 'ses_3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c' }),
    created_at: TimestampSchema,
    last_used_at: TimestampSchema.openapi({ description: 'Last sign-in or refresh' }),
    expires_at: TimestampSchema,
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    current: z.boolean().openapi({ description: 'The session making this request' }),
  })
  .openapi('AuthSession');

export const listSessionsRoute = defineRoute(
  { apiKeys: false },
  {
    method: 'get',
    path: '/auth/sessions',
    operationId: 'listSessions',
    tags: ['Auth'],
    summary: 'The caller’s live sessions in this organization, newest first',
    request: { query: PageQuerySchema },
    responses: { 200: paginatedResponse(SessionSchema, 'Live sessions') },
  },
);

export const registerListSessions = (app: GroupApp) =>
  app.openapi(listSessionsRoute, async (c) => {
    const { actor } = routeContext(c);
    const page = c.req.valid('query');
    const { items, total } = await listUserSessions(identityContext(c), actor, page);
    return paginated(c, items, page, total);
  });
