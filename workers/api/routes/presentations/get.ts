import { getDocument, presentPresentation } from '@flowspark/content';
import { notFound } from '@flowspark/core';
import { createDb } from '@flowspark/db';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';
import { PresentationSchema } from '../documents/schemas';
import { PresentationIdParams } from './schemas';

export const getPresentationRoute = defineRoute(
  { scope: 'documents:read' },
  {
    method: 'get',
    path: '/presentations/{id}',
    operationId: 'getPresentation',
    tags: ['Presentations'],
    summary: 'Get a presentation: status, figures and download link',
    request: { params: PresentationIdParams },
    responses: { 200: jsonResponse(PresentationSchema, 'The presentation'), ...errorResponses([404]) },
  },
);

export const registerGetPresentation = (app: GroupApp) =>
  app.openapi(getPresentationRoute, async (c) => {
    const { id } = c.req.valid('param');
    const doc = await getDocument(createDb(c.env.DB), c.get('auth').orgId, 'presentation', id);
    if (!doc) throw notFound('Presentation');
    return ok(c, presentPresentation(doc), 200);
  });
