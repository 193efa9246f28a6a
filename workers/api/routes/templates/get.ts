import { notFound } from '@flowspark/core';
import { getTemplate } from '@flowspark/documents';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';
import { presentTemplate } from './present';
import { TemplateSchema, templateIdParams } from './schemas';

export const getTemplateRoute = defineRoute(
  { scope: 'templates:read' },
  {
    method: 'get',
    path: '/templates/{id}',
    operationId: 'getTemplate',
    tags: ['Templates'],
    summary: 'Get a template of your organization or a public one',
    request: { params: templateIdParams },
    responses: { 200: jsonResponse(TemplateSchema, 'The template'), ...errorResponses([404]) },
  },
);

export const registerGetTemplate = (app: GroupApp) =>
  app.openapi(getTemplateRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { db, actor } = routeContext(c);
    const template = await getTemplate(db, actor.orgId, id);
    if (!template) throw notFound('Template');
    return ok(c, presentTemplate(template, actor.orgId), 200);
  });
