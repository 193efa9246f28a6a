import { notFound } from '@flowspark/core';
import { getImage } from '@flowspark/documents';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';
import { presentImage } from './present';
import { ImageSchema, imageIdParams } from './schemas';

export const getImageRoute = defineRoute(
  { scope: 'images:read' },
  {
    method: 'get',
    path: '/images/{id}',
    operationId: 'getImage',
    tags: ['Images'],
    summary: 'Get an image: status, file details, or why it failed',
    request: { params: imageIdParams },
    responses: { 200: jsonResponse(ImageSchema, 'The image'), ...errorResponses([404]) },
  },
);

export const registerGetImage = (app: GroupApp) =>
  app.openapi(getImageRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const image = await getImage(db, actor.orgId, c.req.valid('param').id);
    if (!image) throw notFound('Image');
    return ok(c, presentImage(image), 200);
  });
