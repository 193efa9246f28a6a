import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { noContent } from '../../lib/respond';
import { errorResponses } from '../../lib/schemas';
import { DocumentIdParams } from './schemas';
import { remove } from './shared';

export const deleteDocumentRoute = defineRoute(
  { scope: 'documents:write' },
  {
    method: 'delete',
    path: '/documents/{id}',
    operationId: 'deleteDocument',
    tags: ['Documents'],
    summary: 'Delete a document, every version and all its files',
    description: 'A generation still queued or running is cancelled.',
    request: { params: DocumentIdParams },
    responses: { 204: { description: 'Deleted' }, ...errorResponses([404]) },
  },
);

export const registerDeleteDocument = (app: GroupApp) =>
  app.openapi(deleteDocumentRoute, async (c) => {
    await remove(c, 'document', c.req.valid('param').id);
    return noContent(c);
  });
