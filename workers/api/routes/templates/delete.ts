import { deleteTemplate } from '@flowspark/content';
import { createDb } from '@flowspark/db';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { noContent } from '../../lib/respond';
import { errorResponses } from '../../lib/schemas';
import { templateActor, templateIdParams } from './schemas';

export const deleteTemplateRoute = defineRoute(
  { scope: 'templates:write' },
  {
    method: 'delete',
    path: '/templates/{id}',
    operationId: 'deleteTemplate',
    tags: ['Templates'],
    summary: 'Delete a template of your organization and its uploaded file',
    description:
      'Documents made from it keep their files. A public template is deleted only by owners and admins (403 for ' +
      "members and their API keys). Another organization's public template is 403; its private one is 404.",
    request: { params: templateIdParams },
    responses: { 204: { description: 'Deleted' }, ...errorResponses([404]) },
  },
);

export const registerDeleteTemplate = (app: GroupApp) =>
  app.openapi(deleteTemplateRoute, async (c) => {
    const { id } = c.req.valid('param');
    await deleteTemplate(createDb(c.env.DB), c.env.FILES, templateActor(c), id);
    return noContent(c);
  });
