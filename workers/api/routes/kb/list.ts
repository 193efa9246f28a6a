import { kbOrgScope, listKbDocuments } from '@flowspark/kb';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { paginated } from '../../lib/respond';
import { paginatedResponse } from '../../lib/schemas';
import { presentKbDocument } from './present';
import { KbDocumentSchema, ListKbDocumentsQuery } from './schemas';

export const listKbDocumentsRoute = defineRoute(
  { scope: 'kb:read' },
  {
    method: 'get',
    path: '/kb/documents',
    operationId: 'listKbDocuments',
    tags: ['Knowledge base'],
    summary: "List the knowledge base's documents, newest first",
    description: 'Filters: `status` (uploading, processing, indexed, failed), `tag`, `category`.',
    request: { query: ListKbDocumentsQuery },
    responses: { 200: paginatedResponse(KbDocumentSchema, 'A page of documents') },
  },
);

export const registerListKbDocuments = (app: GroupApp) =>
  app.openapi(listKbDocumentsRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const query = c.req.valid('query');
    const { items, total } = await listKbDocuments(db, kbOrgScope(actor.orgId), query);
    return paginated(c, items.map(presentKbDocument), query, total);
  });
