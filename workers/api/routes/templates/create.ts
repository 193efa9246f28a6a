import { createTemplate } from '@flowspark/documents';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { jsonBody, jsonResponse } from '../../lib/schemas';
import { presentTemplate } from './present';
import { CreateTemplateSchema, TemplateSchema } from './schemas';

export const createTemplateRoute = defineRoute(
  { scope: 'templates:write' },
  {
    method: 'post',
    path: '/templates',
    operationId: 'createTemplate',
    tags: ['Templates'],
    summary: 'Create a template from a document model and/or a prompt template',
    description:
      'A template needs a `body` (a document model whose texts may hold `{{variable}}` placeholders) or a ' +
      '`prompt_template`, or both. Every placeholder must be declared in `variables`. Only owners and admins ' +
      'may create a public template. To upload a DOCX or a fillable PDF, use `POST /templates/upload`.',
    request: { body: jsonBody(CreateTemplateSchema) },
    responses: { 201: jsonResponse(TemplateSchema, 'The new template') },
  },
);

export const registerCreateTemplate = (app: GroupApp) =>
  app.openapi(createTemplateRoute, async (c) => {
    const body = c.req.valid('json');
    const { db, actor } = routeContext(c);
    const template = await createTemplate(db, actor, body);
    return ok(c, presentTemplate(template, actor.orgId), 201);
  });
