import { cancelExecution, getExecutionDetail, listExecutions, prepareRetry } from '@flowspark/workflows/executions';
import { publishRunEvent } from '../../../lib/job-events';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok, paginated } from '../../lib/respond';
import { errorResponses, jsonResponse, paginatedResponse } from '../../lib/schemas';
import {
  ExecutionIdParams,
  ExecutionListQuery,
  ExecutionSchema,
  ExecutionSummarySchema,
  presentExecution,
  presentExecutionSummary,
} from './schemas';
import { startExecution } from './shared';

const TAGS = ['Workflows'];

const listRoute = defineRoute(
  { scope: 'workflows:read' },
  {
    method: 'get',
    path: '/executions',
    operationId: 'listExecutions',
    tags: TAGS,
    summary: 'Workflow executions, newest first',
    request: { query: ExecutionListQuery },
    responses: { 200: paginatedResponse(ExecutionSummarySchema, 'A page of executions') },
  },
);
const getRoute = defineRoute(
  { scope: 'workflows:read' },
  {
    method: 'get',
    path: '/executions/{id}',
    operationId: 'getExecution',
    tags: TAGS,
    summary: 'An execution with its steps and AI requests',
    description:
      'Each step: status (pending, running, done, error, skipped by a branch, cancelled), its input as run ' +
      '(templates filled in), output, last error, attempts, tokens and timings. AI requests: one per model call, with ' +
      'tokens, time and the semantic cache’s part (hit, miss, bypass).',
    request: { params: ExecutionIdParams },
    responses: { 200: jsonResponse(ExecutionSchema, 'The execution'), ...errorResponses([404]) },
  },
);
const retryRoute = defineRoute(
  { scope: 'workflows:write' },
  {
    method: 'post',
    path: '/executions/{id}/retry',
    operationId: 'retryExecution',
    tags: TAGS,
    summary: 'Resume a failed or cancelled execution from the step that stopped it',
    description:
      'The steps that are done keep their outputs and are not run again; the failed step runs again with the input it ' +
      'recorded, then the rest. Answers 202; `runs` counts the retries. 409 unless the execution is `error` or `cancelled`.',
    request: { params: ExecutionIdParams },
    responses: {
      202: jsonResponse(ExecutionSummarySchema, 'The execution, queued again'),
      ...errorResponses([404, 409]),
    },
  },
);
const cancelRoute = defineRoute(
  { scope: 'workflows:write' },
  {
    method: 'post',
    path: '/executions/{id}/cancel',
    operationId: 'cancelExecution',
    tags: TAGS,
    summary: 'Cancel a queued or running execution',
    description:
      'The execution and its unfinished steps become `cancelled` at once and its run is stopped; a step already under ' +
      'way may finish its call, but nothing more is recorded. 409 when it already ended. A cancelled execution can be retried.',
    request: { params: ExecutionIdParams },
    responses: { 200: jsonResponse(ExecutionSummarySchema, 'The execution, cancelled'), ...errorResponses([404, 409]) },
  },
);

export const registerExecutionRoutes = (app: GroupApp) => {
  app.openapi(listRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const query = c.req.valid('query');
    const { items, total } = await listExecutions(db, actor.orgId, query);
    return paginated(c, items.map(presentExecutionSummary), query, total);
  });
  app.openapi(getRoute, async (c) => {
    const { db, actor } = routeContext(c);
    return ok(c, presentExecution(await getExecutionDetail(db, actor.orgId, c.req.valid('param').id)), 200);
  });
  app.openapi(retryRoute, async (c) => {
    const { db, actor, env, requestId } = routeContext(c);
    const execution = await prepareRetry(db, actor, c.req.valid('param').id);
    await startExecution(env, execution, requestId);
    return ok(c, presentExecutionSummary(execution), 202);
  });
  app.openapi(cancelRoute, async (c) => {
    const { db, actor, env } = routeContext(c);
    const execution = await cancelExecution(db, actor.orgId, c.req.valid('param').id);
    await Promise.all([
      env.JOBS_SERVICE.stopRun('execution', execution.instanceId).catch(() => undefined),
      publishRunEvent(env, actor.orgId, {
        type: 'execution.status',
        run_id: execution.id,
        workflow_id: execution.workflowId,
        status: execution.status,
        progress: 0,
      }),
    ]);
    return ok(c, presentExecutionSummary(execution), 200);
  });
};
