import { listDocuments } from '@flowspark/documents';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { paginated } from '../../lib/respond';
import { paginatedResponse } from '../../lib/schemas';
import { presentPresentation } from '../documents/present';
import { PresentationSchema } from '../documents/schemas';
import { ListPresentationsQuery } from './schemas';

export const listPresentationsRoute = defineRoute(
  { scope: 'documents:read' },
  {
    method: 'get',
    path: '/presentations',
    operationId: 'listPresentations',
    tags: ['Presentations'],
    summary: "List your organization's presentations, newest first",
    description: 'Filter: `status`.',
    request: { query: ListPresentationsQuery },
    responses: { 200: paginatedResponse(PresentationSchema, 'A page of presentations') },
  },
);

export const registerListPresentations = (app: GroupApp) =>
  app.openapi(listPresentationsRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const query = c.req.valid('query');
    const { items, total } = await listDocuments(db, actor.orgId, 'presentation', query);
    return paginated(c, items.map(presentPresentation), query, total);
  });
