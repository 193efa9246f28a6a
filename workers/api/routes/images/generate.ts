import { IMAGE_TOKENS } from '@flowspark/billing';
import { createImageGeneration } from '@flowspark/documents';
import { withReservedTokens } from '../../../lib/wallet';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { enqueueOrRecover } from '../../lib/jobs';
import { ok } from '../../lib/respond';
import { errorResponses, jsonBody, jsonResponse } from '../../lib/schemas';
import { presentImage } from './present';
import { GenerateImageSchema, ImageWithJobSchema } from './schemas';

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
      'and the completed image reports it. An image costs ' +
      `${IMAGE_TOKENS.toLocaleString('en-US')} tokens from the organization's wallet, held when it is requested (402 ` +
      '`INSUFFICIENT_TOKENS` when not available) and charged when it is done.',
    request: { body: jsonBody(GenerateImageSchema) },
    responses: {
      202: jsonResponse(ImageWithJobSchema, 'The image, pending, and its job'),
      ...errorResponses([402]),
    },
  },
);

export const registerGenerateImage = (app: GroupApp) =>
  app.openapi(generateImageRoute, async (c) => {
    const ctx = routeContext(c);
    const { orgId } = ctx.actor;
    // The image's price is held before anything is written; the job settles it when it ends.
    const created = await withReservedTokens(ctx.env, { orgId, feature: 'image.generate' }, IMAGE_TOKENS, (id) =>
      createImageGeneration(ctx.db, ctx.actor, c.req.valid('json'), id),
    );
    const { image, job } = created;
    await enqueueOrRecover(ctx, job, 'image job not enqueued');
    return ok(c, { ...presentImage(image), job_id: job.id }, 202);
  });
