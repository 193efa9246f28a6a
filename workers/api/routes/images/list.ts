import { listImages } from '@flowspark/content';
import { createDb } from '@flowspark/db';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { paginated } from '../../lib/respond';
import { paginatedResponse } from '../../lib/schemas';
import { ImageSchema, ListImagesQuery, present } from './schemas';

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
    const query = c.req.valid('query');
    const { items, total } = await listImages(createDb(c.env.DB), c.get('auth').orgId, query);
    return paginated(
      c,
      items.map((row) => present(row)),
      query,
      total,
    );
  });
