import { getKbDocument, removeKbDocument } from '@flowspark/content';
import { isAppError, notFound } from '@flowspark/core';
import { cancelJob } from '@flowspark/jobs';
import { announceJobEnd } from '../../../jobs/ended';
import { publishJobEvent } from '../../../lib/job-events';
import type { AppContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
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

/** Stops the indexing job if it has not ended; one that ended meanwhile (409) needs nothing. */
const stopJob = async (c: AppContext, orgId: string, jobId: string, db: Parameters<typeof cancelJob>[0]) => {
  try {
    const { job, outcome } = await cancelJob(db, orgId, jobId);
    if (outcome === 'cancelled') await announceJobEnd(c.env, job, c.get('requestId'));
    else await publishJobEvent(c.env, orgId, job, 'job.status', 'Cancellation requested: the document was deleted');
  } catch (err) {
    if (!isAppError(err) || (err.code !== 'CONFLICT' && err.code !== 'NOT_FOUND')) throw err;
  }
};

export const registerDeleteKbDocument = (app: GroupApp) =>
  app.openapi(deleteKbDocumentRoute, async (c) => {
    const { orgId } = c.get('auth');
    const ports = kbPortsOf(c);
    const document = await getKbDocument(ports.db, orgId, c.req.valid('param').id);
    if (!document) throw notFound('Document');
    if (document.jobId && (document.status === 'uploading' || document.status === 'processing')) {
      await stopJob(c, orgId, document.jobId, ports.db);
    }
    await removeKbDocument(ports, orgId, document.id);
    return noContent(c);
  });
