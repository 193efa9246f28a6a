import { cancelJob, presentJob } from '@flowspark/jobs';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { announceCancellation } from '../../lib/jobs';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';
import { JobIdParams, JobSchema } from './schemas';

export const cancelJobRoute = defineRoute(
  { scope: 'jobs:write' },
  {
    method: 'post',
    path: '/jobs/{id}/cancel',
    operationId: 'cancelJob',
    tags: ['Jobs'],
    summary: 'Cancel a job',
    description:
      'A queued job is cancelled at once (200, status `cancelled`). A running job is asked to stop (202, `cancel_requested: true`): it ends `cancelled` at its next progress check. A finished job is 409 CONFLICT.',
    request: { params: JobIdParams },
    responses: {
      200: jsonResponse(JobSchema, 'Cancelled'),
      202: jsonResponse(JobSchema, 'Cancellation requested; the job stops at its next check'),
      ...errorResponses([404, 409]),
    },
  },
);

export const registerCancelJob = (app: GroupApp) =>
  app.openapi(cancelJobRoute, async (c) => {
    const ctx = routeContext(c);
    const cancelled = await cancelJob(ctx.db, ctx.actor.orgId, c.req.valid('param').id);
    await announceCancellation(ctx, cancelled, 'Cancellation requested');
    return ok(c, presentJob(cancelled.job), cancelled.outcome === 'cancelled' ? 200 : 202);
  });
