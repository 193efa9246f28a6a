import { deletePrefix, notFound } from '@flowspark/core';
import { deleteImageRow, getImage, imagePrefix } from '@flowspark/documents';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { stopJob } from '../../lib/jobs';
import { noContent } from '../../lib/respond';
import { errorResponses } from '../../lib/schemas';
import { imageIdParams } from './schemas';

export const deleteImageRoute = defineRoute(
  { scope: 'images:write' },
  {
    method: 'delete',
    path: '/images/{id}',
    operationId: 'deleteImage',
    tags: ['Images'],
    summary: 'Delete an image and its file',
    description:
      'An image still being generated has its job cancelled (a queued job at once, a running one at its next check); ' +
      'nothing it produces afterwards is kept.',
    request: { params: imageIdParams },
    responses: { 204: { description: 'Deleted' }, ...errorResponses([404]) },
  },
);

export const registerDeleteImage = (app: GroupApp) =>
  app.openapi(deleteImageRoute, async (c) => {
    const ctx = routeContext(c);
    const { db, actor } = ctx;
    const image = await getImage(db, actor.orgId, c.req.valid('param').id);
    if (!image) throw notFound('Image');
    // Stop the job first, so it does not write a file after the objects below are gone; if it still
    // does, its completion finds no row and removes the file, and its end hook clears the prefix.
    if (image.jobId && (image.status === 'pending' || image.status === 'processing')) {
      await stopJob(ctx, image.jobId, 'Cancellation requested: the image was deleted');
    }
    await deleteImageRow(db, actor.orgId, image.id);
    await deletePrefix(ctx.env.FILES, imagePrefix(actor.orgId, image.id));
    return noContent(c);
  });
