import { listDocuments } from '@flowspark/documents';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { paginated } from '../../lib/respond';
import { paginatedResponse } from '../../lib/schemas';
import { presentDocument } from './present';
import { DocumentSchema, ListDocumentsQuery } from './schemas';

export const listDocumentsRoute = defineRoute(
  { scope: 'documents:read' },
  {
    method: 'get',
    path: '/documents',
    operationId: 'listDocuments',
    tags: ['Documents'],
    summary: "List your organization's generated documents, newest first",
    description: 'Filters: `status` and `format`. Presentations are listed at `GET /presentations`.',
    request: { query: ListDocumentsQuery },
    responses: { 200: paginatedResponse(DocumentSchema, 'A page of documents') },
  },
);

export const registerListDocuments = (app: GroupApp) =>
  app.openapi(listDocumentsRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const query = c.req.valid('query');
    const { items, total } = await listDocuments(db, actor.orgId, 'document', query);
    return paginated(c, items.map(presentDocument), query, total);
  });
