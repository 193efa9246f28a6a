import { requireTrainableBot } from '@flowspark/chat';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';
import { KbReindexAcceptedSchema, ReindexKbDocumentSchema } from '../kb/schemas';
import { reindexDocument } from '../kb/shared';
import { botDocumentParams } from './schemas';

export const reindexBotDocumentRoute = defineRoute(
  { scope: 'bots:write' },
  {
    method: 'post',
    path: '/bots/{id}/documents/{document_id}/reindex',
    operationId: 'reindexBotDocument',
    tags: ['Chat'],
    summary: "Re-chunk and re-embed one of a bot's documents (current embedding model)",
    description:
      'Optional JSON body `{chunk_size, chunk_overlap}` (default: the chunking of the last index), as for the ' +
      'knowledge base. The bot stops citing the document until its new `kb.ingest` job has indexed it again. 409 ' +
      'while it is still being indexed. Only owners and admins may change a public bot’s documents.',
    request: {
      params: botDocumentParams,
      body: { required: false, content: { 'application/json': { schema: ReindexKbDocumentSchema } } },
    },
    responses: {
      202: jsonResponse(KbReindexAcceptedSchema, 'The document (processing) and its new job'),
      ...errorResponses([403, 404, 409]),
    },
  },
);

export const registerReindexBotDocument = (app: GroupApp) =>
  app.openapi(reindexBotDocumentRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const params = c.req.valid('param');
    const bot = await requireTrainableBot(db, actor, params.id);
    const body = (c.req.valid('json') ?? {}) as { chunk_size?: number; chunk_overlap?: number };
    return ok(c, await reindexDocument(c, bot.id, params.document_id, body), 202);
  });
