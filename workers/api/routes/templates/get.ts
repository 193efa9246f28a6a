import { getTemplate, presentTemplate } from '@flowspark/content';
import { notFound } from '@flowspark/core';
import { createDb } from '@flowspark/db';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';
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
    const { orgId } = c.get('auth');
    const template = await getTemplate(createDb(c.env.DB), orgId, id);
    if (!template) throw notFound('Template');
    return ok(c, presentTemplate(template, orgId), 200);
  });
