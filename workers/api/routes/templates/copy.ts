import { copyTemplate } from '@flowspark/documents';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';
import { templateInspector } from '../../lib/template-files';
import { presentTemplate } from './present';
import { CopyTemplateSchema, TemplateSchema, templateIdParams } from './schemas';

export const copyTemplateRoute = defineRoute(
  { scope: 'templates:write' },
  {
    method: 'post',
    path: '/templates/{id}/copy',
    operationId: 'copyTemplate',
    tags: ['Templates'],
    summary: 'Copy a template of your organization or a public one into a private template of your organization',
    description:
      'Public templates are read-only for other organizations: copy one to change it. The copy is private, owned by your ' +
      'organization, with the same variables, body, prompt_template and file (an uploaded file is copied and checked ' +
      'again like an upload), a usage_count of 0 and the optional `name` (default: the original\'s with " (copy)"). ' +
      "Another organization's private template is 404.",
    request: {
      params: templateIdParams,
      body: { required: false, content: { 'application/json': { schema: CopyTemplateSchema } } },
    },
    responses: { 201: jsonResponse(TemplateSchema, 'The copy'), ...errorResponses([404, 413, 422]) },
  },
);

export const registerCopyTemplate = (app: GroupApp) =>
  app.openapi(copyTemplateRoute, async (c) => {
    const { id } = c.req.valid('param');
    const body = (c.req.valid('json') ?? {}) as { name?: string };
    const { db, actor, env } = routeContext(c);
    const template = await copyTemplate(db, env.FILES, actor, id, body, templateInspector(env));
    return ok(c, presentTemplate(template, actor.orgId), 201);
  });
