import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';
import { presentPresentation } from '../documents/present';
import { PresentationSchema } from '../documents/schemas';
import { findDocument } from '../documents/shared';
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
    const { db, actor } = routeContext(c);
    const doc = await findDocument(db, actor.orgId, 'presentation', c.req.valid('param').id);
    return ok(c, presentPresentation(doc), 200);
  });
