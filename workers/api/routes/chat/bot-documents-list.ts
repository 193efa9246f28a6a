import { botScope, requireBot } from '@flowspark/chat';
import { listKbDocuments } from '@flowspark/kb';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { paginated } from '../../lib/respond';
import { errorResponses, paginatedResponse } from '../../lib/schemas';
import { presentKbDocument } from '../kb/present';
import { KbDocumentSchema } from '../kb/schemas';
import { botIdParams, ListBotDocumentsQuery } from './schemas';

export const listBotDocumentsRoute = defineRoute(
  { scope: 'bots:read' },
  {
    method: 'get',
    path: '/bots/{id}/documents',
    operationId: 'listBotDocuments',
    tags: ['Chat'],
    summary: "A bot's training documents with their indexing status, newest first",
    description:
      'Filter: `status` (uploading, processing, indexed, failed). Only `indexed` documents are searched when the bot ' +
      'answers; a `failed` one says why (`error_code`, `error_message`).',
    request: { params: botIdParams, query: ListBotDocumentsQuery },
    responses: { 200: paginatedResponse(KbDocumentSchema, 'A page of documents'), ...errorResponses([404]) },
  },
);

export const registerListBotDocuments = (app: GroupApp) =>
  app.openapi(listBotDocumentsRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const bot = await requireBot(db, actor.orgId, c.req.valid('param').id);
    const query = c.req.valid('query');
    const { items, total } = await listKbDocuments(db, botScope(bot), query);
    return paginated(c, items.map(presentKbDocument), query, total);
  });
