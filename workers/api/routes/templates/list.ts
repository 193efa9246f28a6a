import { listTemplates, presentTemplate } from '@flowspark/content';
import { createDb } from '@flowspark/db';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { paginated } from '../../lib/respond';
import { paginatedResponse } from '../../lib/schemas';
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
    const { orgId } = c.get('auth');
    const { items, total } = await listTemplates(createDb(c.env.DB), orgId, query);
    return paginated(
      c,
      items.map((row) => presentTemplate(row, orgId)),
      query,
      total,
    );
  });
