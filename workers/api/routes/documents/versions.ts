import { listVersions } from '@flowspark/documents';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { paginated } from '../../lib/respond';
import { errorResponses, paginatedResponse } from '../../lib/schemas';
import { presentVersion } from './present';
import { DocumentIdParams, DocumentVersionSchema, ListVersionsQuery } from './schemas';
import { findDocument } from './shared';

export const listDocumentVersionsRoute = defineRoute(
  { scope: 'documents:read' },
  {
    method: 'get',
    path: '/documents/{id}/versions',
    operationId: 'listDocumentVersions',
    tags: ['Documents'],
    summary: 'List the rendered versions of a document, newest first',
    description: 'Every version stays downloadable at its `download_url` until the document is deleted.',
    request: { params: DocumentIdParams, query: ListVersionsQuery },
    responses: { 200: paginatedResponse(DocumentVersionSchema, 'A page of versions'), ...errorResponses([404]) },
  },
);

export const registerListDocumentVersions = (app: GroupApp) =>
  app.openapi(listDocumentVersionsRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const doc = await findDocument(db, actor.orgId, 'document', c.req.valid('param').id);
    const query = c.req.valid('query');
    const { items, total } = await listVersions(db, actor.orgId, doc.id, query);
    return paginated(
      c,
      items.map((row) => presentVersion(doc, row)),
      query,
      total,
    );
  });
