import { botScope, requireTrainableBot } from '@flowspark/chat';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { noContent } from '../../lib/respond';
import { errorResponses } from '../../lib/schemas';
import { removeDocument } from '../kb/shared';
import { botDocumentParams } from './schemas';

export const deleteBotDocumentRoute = defineRoute(
  { scope: 'bots:write' },
  {
    method: 'delete',
    path: '/bots/{id}/documents/{document_id}',
    operationId: 'deleteBotDocument',
    tags: ['Chat'],
    summary: "Delete one of a bot's training documents: its file, chunks and indexes",
    description:
      'The bot stops answering from it at once. A document still being indexed has its job cancelled. Only owners ' +
      'and admins may change a public bot’s documents.',
    request: { params: botDocumentParams },
    responses: { 204: { description: 'Deleted' }, ...errorResponses([403, 404]) },
  },
);

export const registerDeleteBotDocument = (app: GroupApp) =>
  app.openapi(deleteBotDocumentRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const params = c.req.valid('param');
    const bot = await requireTrainableBot(db, actor, params.id);
    await removeDocument(c, botScope(bot), params.document_id);
    return noContent(c);
  });
