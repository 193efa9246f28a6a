import { listAgentRuns, presentAgentRun } from '@flowspark/agents';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { paginated } from '../../lib/respond';
import { paginatedResponse } from '../../lib/schemas';
import { AgentRunSchema, ListAgentRunsQuery, TAGS } from './schemas';

export const listAgentRunsRoute = defineRoute(
  { scope: 'agents:read' },
  {
    method: 'get',
    path: '/agents/runs',
    operationId: 'listAgentRuns',
    tags: TAGS,
    summary: "List the organization's agent runs, newest first",
    description:
      'Filters: `status` (queued, running, done, error) and `route`. A run’s AI calls are in `GET /agents/runs/{id}`.',
    request: { query: ListAgentRunsQuery },
    responses: { 200: paginatedResponse(AgentRunSchema, 'A page of agent runs') },
  },
);

export const registerListAgentRuns = (app: GroupApp) =>
  app.openapi(listAgentRunsRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const query = c.req.valid('query');
    const { items, total } = await listAgentRuns(db, actor.orgId, query);
    return paginated(c, items.map(presentAgentRun), query, total);
  });
