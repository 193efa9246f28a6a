import { createImageGeneration } from '@flowspark/content';
import { describeError, logger } from '@flowspark/core';
import { createDb } from '@flowspark/db';
import { enqueueJob } from '@flowspark/jobs';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { jsonBody, jsonResponse } from '../../lib/schemas';
import { GenerateImageSchema, ImageWithJobSchema, present } from './schemas';

export const generateImageRoute = defineRoute(
  { scope: 'images:write' },
  {
    method: 'post',
    path: '/images/generate',
    operationId: 'generateImage',
    tags: ['Images'],
    summary: 'Generate an image from a prompt',
    description:
      'Creates the image (status `pending`) and its `image.generate` job, and answers 202 at once. Follow the job ' +
      '(`GET /jobs/{id}`, its SSE stream or the job feed), then `GET /images/{id}/download`. Width and height: ' +
      '256 to 2048 pixels, multiples of 64 (default 1024); models without size control return their own size, ' +
      'and the completed image reports it.',
    request: { body: jsonBody(GenerateImageSchema) },
    responses: { 202: jsonResponse(ImageWithJobSchema, 'The image, pending, and its job') },
  },
);

export const registerGenerateImage = (app: GroupApp) =>
  app.openapi(generateImageRoute, async (c) => {
    const { orgId, userId } = c.get('auth');
    const { image, job } = await createImageGeneration(createDb(c.env.DB), { orgId, userId }, c.req.valid('json'));
    try {
      await enqueueJob(c.env.JOBS, job);
    } catch (err) {
      // The job stays queued and the scheduled recovery sends it again: the request still succeeded.
      logger.warn('image job not enqueued', { request_id: c.get('requestId'), job_id: job.id, ...describeError(err) });
    }
    return ok(c, { ...present(image), job_id: job.id }, 202);
  });
