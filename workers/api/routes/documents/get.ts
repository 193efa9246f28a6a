import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';
import { presentDocument } from './present';
import { DocumentIdParams, DocumentSchema } from './schemas';
import { findDocument } from './shared';

export const getDocumentRoute = defineRoute(
  { scope: 'documents:read' },
  {
    method: 'get',
    path: '/documents/{id}',
    operationId: 'getDocument',
    tags: ['Documents'],
    summary: 'Get a generated document: status, current version, figures and download link',
    request: { params: DocumentIdParams },
    responses: { 200: jsonResponse(DocumentSchema, 'The document'), ...errorResponses([404]) },
  },
);

export const registerGetDocument = (app: GroupApp) =>
  app.openapi(getDocumentRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const doc = await findDocument(db, actor.orgId, 'document', c.req.valid('param').id);
    return ok(c, presentDocument(doc), 200);
  });
