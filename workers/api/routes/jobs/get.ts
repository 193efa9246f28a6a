import { notFound } from '@flowspark/core';
import { getJob, presentJob } from '@flowspark/jobs';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';
import { JobIdParams, JobSchema } from './schemas';

export const getJobRoute = defineRoute(
  { scope: 'jobs:read' },
  {
    method: 'get',
    path: '/jobs/{id}',
    operationId: 'getJob',
    tags: ['Jobs'],
    summary: 'Get a job: status, progress, result or error',
    request: { params: JobIdParams },
    responses: { 200: jsonResponse(JobSchema, 'The job'), ...errorResponses([404]) },
  },
);

export const registerGetJob = (app: GroupApp) =>
  app.openapi(getJobRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const job = await getJob(db, actor.orgId, c.req.valid('param').id);
    if (!job) throw notFound('Job');
    return ok(c, presentJob(job), 200);
  });
