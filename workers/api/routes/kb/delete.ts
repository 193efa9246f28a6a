import { notFound } from '@flowspark/core';
import { getKbDocument, removeKbDocument } from '@flowspark/kb';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { stopJob } from '../../lib/jobs';
import { noContent } from '../../lib/respond';
import { errorResponses } from '../../lib/schemas';
import { kbDocumentIdParams } from './schemas';
import { kbPortsOf } from './shared';

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
    const ctx = routeContext(c);
    const { orgId } = ctx.actor;
    const ports = kbPortsOf(c);
    const document = await getKbDocument(ports.db, orgId, c.req.valid('param').id);
    if (!document) throw notFound('Document');
    if (document.jobId && (document.status === 'uploading' || document.status === 'processing')) {
      await stopJob(ctx, document.jobId, 'Cancellation requested: the document was deleted');
    }
    await removeKbDocument(ports, orgId, document.id);
    return noContent(c);
  });
