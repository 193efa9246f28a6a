import { deleteTemplate } from '@flowspark/documents';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { noContent } from '../../lib/respond';
import { errorResponses } from '../../lib/schemas';
import { templateIdParams } from './schemas';

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
    const { db, actor, env } = routeContext(c);
    await deleteTemplate(db, env.FILES, actor, id);
    return noContent(c);
  });
