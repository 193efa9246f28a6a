import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { noContent } from '../../lib/respond';
import { errorResponses } from '../../lib/schemas';
import { remove } from '../documents/shared';
import { PresentationIdParams } from './schemas';

export const deletePresentationRoute = defineRoute(
  { scope: 'documents:write' },
  {
    method: 'delete',
    path: '/presentations/{id}',
    operationId: 'deletePresentation',
    tags: ['Presentations'],
    summary: 'Delete a presentation and all its files',
    description: 'A generation still queued or running is cancelled.',
    request: { params: PresentationIdParams },
    responses: { 204: { description: 'Deleted' }, ...errorResponses([404]) },
  },
);

export const registerDeletePresentation = (app: GroupApp) =>
  app.openapi(deletePresentationRoute, async (c) => {
    await remove(c, 'presentation', c.req.valid('param').id);
    return noContent(c);
  });
