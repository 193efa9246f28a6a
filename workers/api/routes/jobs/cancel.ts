import { cancelJob, presentJob } from '@flowspark/jobs';
import { announceJobEnd } from '../../../jobs/ended';
import { publishJobEvent } from '../../../lib/job-events';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
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
    const { db, actor } = routeContext(c);
    const { job, outcome } = await cancelJob(db, actor.orgId, c.req.valid('param').id);
    if (outcome === 'cancelled') {
      await announceJobEnd(c.env, job, c.get('requestId'));
      return ok(c, presentJob(job), 200);
    }
    await publishJobEvent(c.env, actor.orgId, job, 'job.status', 'Cancellation requested');
    return ok(c, presentJob(job), 202);
  });
