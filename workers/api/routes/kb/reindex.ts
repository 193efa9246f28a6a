import { describeError, logger } from '@flowspark/core';
import { hideInKeywordIndex, kbScopeOf, requestKbReindex } from '@flowspark/kb';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { enqueueOrRecover } from '../../lib/jobs';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';
import { presentKbDocument } from './present';
import { KbReindexAcceptedSchema, kbDocumentIdParams, ReindexKbDocumentSchema } from './schemas';
import { kbPortsOf } from './shared';

export const reindexKbDocumentRoute = defineRoute(
  { scope: 'kb:write' },
  {
    method: 'post',
    path: '/kb/documents/{id}/reindex',
    operationId: 'reindexKbDocument',
    tags: ['Knowledge base'],
    summary: 'Re-chunk and re-embed a document (current embedding model)',
    description:
      'Optional JSON body `{chunk_size, chunk_overlap}` (default: the chunking of the last index). The document goes ' +
      'to `processing` at once and leaves search until its new `kb.ingest` job has indexed it again; its old chunks ' +
      'and vectors are replaced, never duplicated. 409 while the document is still being indexed.',
    request: {
      params: kbDocumentIdParams,
      body: { required: false, content: { 'application/json': { schema: ReindexKbDocumentSchema } } },
    },
    responses: {
      202: jsonResponse(KbReindexAcceptedSchema, 'The document (processing) and its new job'),
      ...errorResponses([404, 409]),
    },
  },
);

export const registerReindexKbDocument = (app: GroupApp) =>
  app.openapi(reindexKbDocumentRoute, async (c) => {
    const ctx = routeContext(c);
    const body = (c.req.valid('json') ?? {}) as { chunk_size?: number; chunk_overlap?: number };
    const chunking = {
      ...(body.chunk_size !== undefined ? { chunk_size: body.chunk_size } : {}),
      ...(body.chunk_overlap !== undefined ? { chunk_overlap: body.chunk_overlap } : {}),
    };
    const { document, job } = await requestKbReindex(ctx.db, ctx.actor, c.req.valid('param').id, chunking);
    // Out of search at once, as in D1. Should this fail, the job's first write hides it instead.
    await hideInKeywordIndex(kbPortsOf(c), kbScopeOf(document), document.id, job.id).catch((err) =>
      logger.warn('kb document not hidden for its re-index', {
        request_id: ctx.requestId,
        document_id: document.id,
        ...describeError(err),
      }),
    );
    await enqueueOrRecover(ctx, job, 'kb job not enqueued');
    return ok(c, { document: presentKbDocument(document), job_id: job.id }, 202);
  });
