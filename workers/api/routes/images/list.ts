import { listImages } from '@flowspark/documents';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { paginated } from '../../lib/respond';
import { paginatedResponse } from '../../lib/schemas';
import { presentImage } from './present';
import { ImageSchema, ListImagesQuery } from './schemas';

export const listImagesRoute = defineRoute(
  { scope: 'images:read' },
  {
    method: 'get',
    path: '/images',
    operationId: 'listImages',
    tags: ['Images'],
    summary: "List the organization's images, newest first",
    description: 'Filter: `status` (pending, processing, completed, failed).',
    request: { query: ListImagesQuery },
    responses: { 200: paginatedResponse(ImageSchema, 'A page of images') },
  },
);

export const registerListImages = (app: GroupApp) =>
  app.openapi(listImagesRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const query = c.req.valid('query');
    const { items, total } = await listImages(db, actor.orgId, query);
    return paginated(
      c,
      items.map((row) => presentImage(row)),
      query,
      total,
    );
  });
