import { updateTemplate } from '@flowspark/documents';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonBody, jsonResponse } from '../../lib/schemas';
import { templateInspector } from '../../lib/template-files';
import { presentTemplate } from './present';
import { TemplateSchema, templateIdParams, UpdateTemplateSchema } from './schemas';

export const updateTemplateRoute = defineRoute(
  { scope: 'templates:write' },
  {
    method: 'put',
    path: '/templates/{id}',
    operationId: 'updateTemplate',
    tags: ['Templates'],
    summary: 'Change a template of your organization (fields left out stay as they are)',
    description:
      'The result is checked as a whole: every placeholder declared; a model template keeps a body or a ' +
      "prompt_template. Another organization's public template is 403 (copy it with POST /templates/{id}/copy); " +
      'its private one is 404. Only owners and admins may make a template public, and only they may change or ' +
      'unpublish one that is public (every organization sees it): 403 for members and their API keys.',
    request: { params: templateIdParams, body: jsonBody(UpdateTemplateSchema) },
    responses: { 200: jsonResponse(TemplateSchema, 'The updated template'), ...errorResponses([404]) },
  },
);

export const registerUpdateTemplate = (app: GroupApp) =>
  app.openapi(updateTemplateRoute, async (c) => {
    const { id } = c.req.valid('param');
    const patch = c.req.valid('json');
    const { db, actor, env } = routeContext(c);
    const template = await updateTemplate(db, env.FILES, actor, id, patch, templateInspector(env));
    return ok(c, presentTemplate(template, actor.orgId), 200);
  });
