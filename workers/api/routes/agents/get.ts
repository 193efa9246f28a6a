import { getAgentRun, presentAgentRun } from '@flowspark/agents';
import { notFound } from '@flowspark/core';
import { listAiRequests, presentAiRequest } from '@flowspark/workflows/ai-requests';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';
import { AgentRunDetailSchema, AgentRunIdParams, TAGS } from './schemas';

export const getAgentRunRoute = defineRoute(
  { scope: 'agents:read' },
  {
    method: 'get',
    path: '/agents/runs/{id}',
    operationId: 'getAgentRun',
    tags: TAGS,
    summary: 'Get an agent run: its route, steps, errors, retries, result and AI calls',
    description:
      'The run as it is now: `status` (queued, running, done, error, cancelled), the `route` and how it was chosen ' +
      '(`routed_by`), `current_step`, `completed_steps`, `errors`, `retry_count`, the `result` once done (the ' +
      'document with its download path, the images, or the answer with its citations), the tokens it used and its ' +
      'AI calls (`ai_requests`: model, tokens, time, cache; prompts are kept as a hash only). Another ' +
      "organization's run is 404.",
    request: { params: AgentRunIdParams },
    responses: { 200: jsonResponse(AgentRunDetailSchema, 'The run'), ...errorResponses([404]) },
  },
);

export const registerGetAgentRun = (app: GroupApp) =>
  app.openapi(getAgentRunRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const { id } = c.req.valid('param');
    // Both tenant-scoped, so they are read together: another organization's run has no requests here either.
    const [run, requests] = await Promise.all([
      getAgentRun(db, actor.orgId, id),
      listAiRequests(db, actor.orgId, { agentRunId: id }),
    ]);
    if (!run) throw notFound('Agent run');
    return ok(c, { ...presentAgentRun(run), ai_requests: requests.map(presentAiRequest) }, 200);
  });
