import { ROLE_RANK } from '@flowspark/core';
import { listKbQueries } from '@flowspark/kb';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { paginated } from '../../lib/respond';
import { PageQuerySchema, paginatedResponse } from '../../lib/schemas';
import { presentKbQuery } from './present';
import { KbQueryRecordSchema } from './schemas';

export const listKbQueriesRoute = defineRoute(
  { scope: 'kb:read' },
  {
    method: 'get',
    path: '/kb/queries',
    operationId: 'listKbQueries',
    tags: ['Knowledge base'],
    summary: 'Questions asked of the knowledge base, newest first',
    description:
      "Owners and admins see every question of the organization; members and viewers see their own (an API key's " +
      'questions are its creator’s).',
    request: { query: PageQuerySchema },
    responses: { 200: paginatedResponse(KbQueryRecordSchema, 'A page of questions with their answers') },
  },
);

export const registerListKbQueries = (app: GroupApp) =>
  app.openapi(listKbQueriesRoute, async (c) => {
    const page = c.req.valid('query');
    const { db, actor } = routeContext(c);
    const everyone = ROLE_RANK[actor.role] >= ROLE_RANK.admin;
    const { items, total } = await listKbQueries(db, actor.orgId, {
      ...page,
      ...(everyone ? {} : { userId: actor.userId }),
    });
    return paginated(c, items.map(presentKbQuery), page, total);
  });
