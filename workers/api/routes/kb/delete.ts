import { kbOrgScope } from '@flowspark/kb';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { noContent } from '../../lib/respond';
import { errorResponses } from '../../lib/schemas';
import { kbDocumentIdParams } from './schemas';
import { removeDocument } from './shared';

export const deleteKbDocumentRoute = defineRoute(
  { scope: 'kb:write' },
  {
    method: 'delete',
    path: '/kb/documents/{id}',
    operationId: 'deleteKbDocument',
    tags: ['Knowledge base'],
    summary: 'Delete a document: its file, chunks, keyword index and vectors',
    description:
      'Nothing of the document is found by search or query afterwards. A document still being indexed has its job ' +
      'cancelled; whatever the job writes afterwards is removed by the job itself.',
    request: { params: kbDocumentIdParams },
    responses: { 204: { description: 'Deleted' }, ...errorResponses([404]) },
  },
);

export const registerDeleteKbDocument = (app: GroupApp) =>
  app.openapi(deleteKbDocumentRoute, async (c) => {
    await removeDocument(c, kbOrgScope(routeContext(c).actor.orgId), c.req.valid('param').id);
    return noContent(c);
  });
