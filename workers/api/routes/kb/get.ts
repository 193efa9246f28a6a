import { notFound } from '@flowspark/core';
import { findKbDocument, kbOrgScope } from '@flowspark/kb';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';
import { presentKbDocument } from './present';
import { KbDocumentSchema, kbDocumentIdParams } from './schemas';

export const getKbDocumentRoute = defineRoute(
  { scope: 'kb:read' },
  {
    method: 'get',
    path: '/kb/documents/{id}',
    operationId: 'getKbDocument',
    tags: ['Knowledge base'],
    summary: 'Get a knowledge-base document: status, counts, or why it failed',
    request: { params: kbDocumentIdParams },
    responses: { 200: jsonResponse(KbDocumentSchema, 'The document'), ...errorResponses([404]) },
  },
);

export const registerGetKbDocument = (app: GroupApp) =>
  app.openapi(getKbDocumentRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const document = await findKbDocument(db, kbOrgScope(actor.orgId), c.req.valid('param').id);
    if (!document) throw notFound('Document');
    return ok(c, presentKbDocument(document), 200);
  });
