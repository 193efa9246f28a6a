import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';
import { KbReindexAcceptedSchema, kbDocumentIdParams, ReindexKbDocumentSchema } from './schemas';
import { reindexDocument } from './shared';

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
    const body = (c.req.valid('json') ?? {}) as { chunk_size?: number; chunk_overlap?: number };
    return ok(c, await reindexDocument(c, null, c.req.valid('param').id, body), 202);
  });
