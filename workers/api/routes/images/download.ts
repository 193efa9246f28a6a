import { AppError, notFound } from '@flowspark/core';
import { getImage } from '@flowspark/documents';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import { binary, sendObject } from '../../lib/download';
import type { GroupApp } from '../../lib/group';
import { errorResponses } from '../../lib/schemas';
import { imageFileName } from './present';
import { imageIdParams } from './schemas';

/** A completed image never changes under its id; the short lifetime bounds how long a deleted one lingers. */
export const IMAGE_CACHE_SECONDS = 300;

export const downloadImageRoute = defineRoute(
  { scope: 'images:read' },
  {
    method: 'get',
    path: '/images/{id}/download',
    operationId: 'downloadImage',
    tags: ['Images'],
    summary: 'Download a completed image',
    description:
      'The PNG or JPEG bytes with `Content-Type`, `Content-Length`, `ETag` and a `Content-Disposition` file name ' +
      'made from the first words of the prompt. `If-None-Match` with the ETag answers 304. An image that is not ' +
      'completed (pending, processing or failed) is 409 CONFLICT with `details.status`.',
    request: { params: imageIdParams },
    responses: {
      200: { description: 'The image', content: { 'image/png': { schema: binary }, 'image/jpeg': { schema: binary } } },
      304: { description: 'Not modified (If-None-Match matched)' },
      ...errorResponses([404, 409]),
    },
  },
);

export const registerDownloadImage = (app: GroupApp) =>
  app.openapi(downloadImageRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const image = await getImage(db, actor.orgId, c.req.valid('param').id);
    if (!image) throw notFound('Image');
    if (image.status !== 'completed' || !image.fileKey) {
      throw new AppError('CONFLICT', `The image is not ready to download: it is ${image.status}`, {
        details: { status: image.status },
      });
    }
    return sendObject(c, image.fileKey, {
      missing: 'Image file',
      cacheControl: `private, max-age=${IMAGE_CACHE_SECONDS}`,
      describe: (object) => {
        const contentType = image.contentType ?? object.httpMetadata?.contentType ?? 'application/octet-stream';
        return { contentType, filename: imageFileName(image.prompt, contentType) };
      },
    });
  });
