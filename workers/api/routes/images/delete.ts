import { deleteImageRow, deletePrefix, getImage, imagePrefix } from '@flowspark/content';
import { isAppError, notFound } from '@flowspark/core';
import { createDb, type Database } from '@flowspark/db';
import { cancelJob } from '@flowspark/jobs';
import { announceJobEnd } from '../../../jobs/ended';
import { publishJobEvent } from '../../../lib/job-events';
import type { AppContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
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

/** Stops the image's job if it has not ended; a job that ended meanwhile (409) needs nothing. */
const stopJob = async (c: AppContext, db: Database, orgId: string, jobId: string) => {
  try {
    const { job, outcome } = await cancelJob(db, orgId, jobId);
    if (outcome === 'cancelled') await announceJobEnd(c.env, job, c.get('requestId'));
    else await publishJobEvent(c.env, orgId, job, 'job.status', 'Cancellation requested: the image was deleted');
  } catch (err) {
    if (!isAppError(err) || (err.code !== 'CONFLICT' && err.code !== 'NOT_FOUND')) throw err;
  }
};

export const registerDeleteImage = (app: GroupApp) =>
  app.openapi(deleteImageRoute, async (c) => {
    const { orgId } = c.get('auth');
    const db = createDb(c.env.DB);
    const image = await getImage(db, orgId, c.req.valid('param').id);
    if (!image) throw notFound('Image');
    // Stop the job first, so it does not write a file after the objects below are gone; if it still
    // does, its completion finds no row and removes the file, and its end hook clears the prefix.
    if (image.jobId && (image.status === 'pending' || image.status === 'processing')) {
      await stopJob(c, db, orgId, image.jobId);
    }
    await deleteImageRow(db, orgId, image.id);
    await deletePrefix(c.env.FILES, imagePrefix(orgId, image.id));
    return noContent(c);
  });
