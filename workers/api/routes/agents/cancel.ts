import { cancelAgentRun, presentAgentRun } from '@flowspark/agents';
import { publishRunEvent } from '../../../lib/job-events';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';
import { AgentRunIdParams, AgentRunSchema, TAGS } from './schemas';

export const cancelAgentRunRoute = defineRoute(
  { scope: 'agents:write' },
  {
    method: 'post',
    path: '/agents/runs/{id}/cancel',
    operationId: 'cancelAgentRun',
    tags: TAGS,
    summary: 'Cancel a queued or running agent run',
    description:
      'The run becomes `cancelled` at once and its durable run is stopped, so it asks no further model and starts no ' +
      'further work (a document or image already being generated finishes as its own job). 409 when the run already ended.',
    request: { params: AgentRunIdParams },
    responses: { 200: jsonResponse(AgentRunSchema, 'The run, cancelled'), ...errorResponses([404, 409]) },
  },
);

export const registerCancelAgentRun = (app: GroupApp) =>
  app.openapi(cancelAgentRunRoute, async (c) => {
    const { db, actor, env } = routeContext(c);
    const run = await cancelAgentRun(db, actor.orgId, c.req.valid('param').id);
    await Promise.all([
      env.JOBS_SERVICE.stopRun('agent', run.id).catch(() => undefined),
      publishRunEvent(env, actor.orgId, {
        type: 'agent.status',
        run_id: run.id,
        status: run.status,
        progress: 0,
        error_code: 'CANCELLED',
      }),
    ]);
    return ok(c, presentAgentRun(run), 200);
  });
