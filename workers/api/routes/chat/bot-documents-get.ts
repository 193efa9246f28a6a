import { botScope, requireBot } from '@flowspark/chat';
import { notFound } from '@flowspark/core';
import { findKbDocument } from '@flowspark/kb';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';
import { presentKbDocument } from '../kb/present';
import { KbDocumentSchema } from '../kb/schemas';
import { botDocumentParams } from './schemas';

export const getBotDocumentRoute = defineRoute(
  { scope: 'bots:read' },
  {
    method: 'get',
    path: '/bots/{id}/documents/{document_id}',
    operationId: 'getBotDocument',
    tags: ['Chat'],
    summary: "Get one of a bot's training documents: status, counts, or why it failed",
    request: { params: botDocumentParams },
    responses: { 200: jsonResponse(KbDocumentSchema, 'The document'), ...errorResponses([404]) },
  },
);

export const registerGetBotDocument = (app: GroupApp) =>
  app.openapi(getBotDocumentRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const params = c.req.valid('param');
    const bot = await requireBot(db, actor.orgId, params.id);
    const document = await findKbDocument(db, botScope(bot), params.document_id);
    if (!document) throw notFound('Document');
    return ok(c, presentKbDocument(document), 200);
  });
