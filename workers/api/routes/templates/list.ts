import { listTemplates } from '@flowspark/documents';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { paginated } from '../../lib/respond';
import { paginatedResponse } from '../../lib/schemas';
import { presentTemplate } from './present';
import { ListTemplatesQuerySchema, TemplateSchema } from './schemas';

export const listTemplatesRoute = defineRoute(
  { scope: 'templates:read' },
  {
    method: 'get',
    path: '/templates',
    operationId: 'listTemplates',
    tags: ['Templates'],
    summary: "List your organization's templates and public ones, newest first",
    description: 'Filters: `format`, `kind`, `visibility` (own, public, all) and `q` (name contains).',
    request: { query: ListTemplatesQuerySchema },
    responses: { 200: paginatedResponse(TemplateSchema, 'A page of templates') },
  },
);

export const registerListTemplates = (app: GroupApp) =>
  app.openapi(listTemplatesRoute, async (c) => {
    const query = c.req.valid('query');
    const { db, actor } = routeContext(c);
    const { items, total } = await listTemplates(db, actor.orgId, query);
    return paginated(
      c,
      items.map((row) => presentTemplate(row, actor.orgId)),
      query,
      total,
    );
  });
