import { listJobs, presentJob } from '@flowspark/jobs';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { paginated } from '../../lib/respond';
import { paginatedResponse } from '../../lib/schemas';
import { JobSchema, ListJobsQuery } from './schemas';

export const listJobsRoute = defineRoute(
  { scope: 'jobs:read' },
  {
    method: 'get',
    path: '/jobs',
    operationId: 'listJobs',
    tags: ['Jobs'],
    summary: "List the organization's jobs, newest first",
    description: 'Filters: `status`, `type`, `resource_id` (e.g. the document a job produces).',
    request: { query: ListJobsQuery },
    responses: { 200: paginatedResponse(JobSchema, 'A page of jobs') },
  },
);

export const registerListJobs = (app: GroupApp) =>
  app.openapi(listJobsRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const query = c.req.valid('query');
    const { items, total } = await listJobs(db, actor.orgId, query);
    return paginated(c, items.map(presentJob), query, total);
  });
