import { getDocument, presentDocument } from '@flowspark/content';
import { notFound } from '@flowspark/core';
import { createDb } from '@flowspark/db';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';
import { DocumentIdParams, DocumentSchema } from './schemas';

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
    const doc = await getDocument(createDb(c.env.DB), c.get('auth').orgId, 'document', c.req.valid('param').id);
    if (!doc) throw notFound('Document');
    return ok(c, presentDocument(doc), 200);
  });
