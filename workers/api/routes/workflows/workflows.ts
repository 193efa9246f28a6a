import { conflict, notFound } from '@flowspark/core';
import { createExecution } from '@flowspark/workflows/executions';
import {
  createWorkflow,
  deleteWorkflowRow,
  getVersion,
  hasTrigger,
  listVersions,
  listWorkflows,
  requireWorkflow,
  rotateWebhookSecret,
  updateWorkflow,
} from '@flowspark/workflows/workflows';
import { cacheBypassRequested } from '../../../lib/ai-cache';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { noContent, ok, paginated } from '../../lib/respond';
import { errorResponses, jsonBody, jsonResponse, PageQuerySchema, paginatedResponse } from '../../lib/schemas';
import {
  presentExecutionSummary,
  presentVersion,
  presentWorkflow,
  RunWorkflowSchema,
  StartedSchema,
  VersionParams,
  WorkflowIdParams,
  WorkflowInputSchema,
  WorkflowSchema,
  WorkflowVersionSchema,
} from './schemas';
import { startExecution, stopActiveExecutions } from './shared';

const TAGS = ['Workflows'];
const read = { scope: 'workflows:read' } as const;
const write = { scope: 'workflows:write' } as const;
const SAVE_RULES =
  'The definition is validated as a whole and a 400 lists every problem by field, each message naming its step: an ' +
  'unknown step type, a missing field, a template or condition that does not parse, a reference to a later or ' +
  'missing step or to an undeclared variable, a jump backwards, a cron schedule that does not parse or never runs.';

const listRoute = defineRoute(read, {
  method: 'get',
  path: '/workflows',
  operationId: 'listWorkflows',
  tags: TAGS,
  summary: 'Workflows, newest first',
  request: { query: PageQuerySchema },
  responses: { 200: paginatedResponse(WorkflowSchema, 'A page of workflows, each with its current version') },
});
const createRoute = defineRoute(write, {
  method: 'post',
  path: '/workflows',
  operationId: 'createWorkflow',
  tags: TAGS,
  summary: 'Create a workflow (version 1)',
  description: `Steps run in order; a \`condition\` may jump forward. ${SAVE_RULES} With a webhook trigger the response carries \`webhook.secret\`, shown only this once.`,
  request: { body: jsonBody(WorkflowInputSchema) },
  responses: { 201: jsonResponse(WorkflowSchema, 'The workflow') },
});
const getRoute = defineRoute(read, {
  method: 'get',
  path: '/workflows/{id}',
  operationId: 'getWorkflow',
  tags: TAGS,
  summary: 'A workflow with its current version',
  request: { params: WorkflowIdParams },
  responses: { 200: jsonResponse(WorkflowSchema, 'The workflow'), ...errorResponses([404]) },
});
const updateRoute = defineRoute(write, {
  method: 'put',
  path: '/workflows/{id}',
  operationId: 'updateWorkflow',
  tags: TAGS,
  summary: 'Replace a workflow: writes its next version',
  description: `Every update writes a new version (the old ones are kept; executions record the version they ran). ${SAVE_RULES}`,
  request: { params: WorkflowIdParams, body: jsonBody(WorkflowInputSchema) },
  responses: { 200: jsonResponse(WorkflowSchema, 'The workflow at its new version'), ...errorResponses([404]) },
});
const deleteRoute = defineRoute(write, {
  method: 'delete',
  path: '/workflows/{id}',
  operationId: 'deleteWorkflow',
  tags: TAGS,
  summary: 'Delete a workflow, its versions and executions',
  description: 'Executions still queued or running are stopped first.',
  request: { params: WorkflowIdParams },
  responses: { 204: { description: 'Deleted' }, ...errorResponses([404]) },
});
const versionsRoute = defineRoute(read, {
  method: 'get',
  path: '/workflows/{id}/versions',
  operationId: 'listWorkflowVersions',
  tags: TAGS,
  summary: 'A workflow’s versions, newest first',
  request: { params: WorkflowIdParams, query: PageQuerySchema },
  responses: { 200: paginatedResponse(WorkflowVersionSchema, 'A page of versions'), ...errorResponses([404]) },
});
const versionRoute = defineRoute(read, {
  method: 'get',
  path: '/workflows/{id}/versions/{version}',
  operationId: 'getWorkflowVersion',
  tags: TAGS,
  summary: 'One version of a workflow',
  request: { params: VersionParams },
  responses: { 200: jsonResponse(WorkflowVersionSchema, 'The version'), ...errorResponses([404]) },
});
const runRoute = defineRoute(write, {
  method: 'post',
  path: '/workflows/{id}/run',
  operationId: 'runWorkflow',
  tags: TAGS,
  summary: 'Run a workflow',
  description:
    'Writes an execution of the current version and answers 202 with `execution_id`; the steps run durably ' +
    '(each with its retries and backoff) and report on the job feed (`execution.status`, `execution.step`). Follow it ' +
    'with GET /executions/{id}. The input is checked against the declared variables (400 naming `input.<name>`). ' +
    '409 when the workflow is disabled or has no manual trigger. `Cache-Control: no-cache` makes its LLM steps skip ' +
    'the semantic cache. LLM, knowledge-base and document steps are paid from the token wallet.',
  request: { params: WorkflowIdParams, body: jsonBody(RunWorkflowSchema) },
  responses: { 202: jsonResponse(StartedSchema, 'The execution, queued'), ...errorResponses([404, 409]) },
});
const rotateRoute = defineRoute(write, {
  method: 'post',
  path: '/workflows/{id}/webhook-secret',
  operationId: 'rotateWorkflowWebhookSecret',
  tags: TAGS,
  summary: 'Make a new webhook secret (the old one stops working)',
  request: { params: WorkflowIdParams },
  responses: { 200: jsonResponse(WorkflowSchema, 'The workflow with `webhook.secret`'), ...errorResponses([404, 409]) },
});

export const registerWorkflowRoutes = (app: GroupApp) => {
  app.openapi(listRoute, async (c) => {
    const { db, actor, config } = routeContext(c);
    const page = c.req.valid('query');
    const { items, total } = await listWorkflows(db, actor.orgId, page);
    return paginated(
      c,
      items.map((r) => presentWorkflow(r, config.appUrl)),
      page,
      total,
    );
  });
  app.openapi(createRoute, async (c) => {
    const { db, actor, config } = routeContext(c);
    const record = await createWorkflow(db, actor, c.req.valid('json'));
    return ok(c, presentWorkflow(record, config.appUrl), 201);
  });
  app.openapi(getRoute, async (c) => {
    const { db, actor, config } = routeContext(c);
    return ok(c, presentWorkflow(await requireWorkflow(db, actor.orgId, c.req.valid('param').id), config.appUrl), 200);
  });
  app.openapi(updateRoute, async (c) => {
    const { db, actor, config } = routeContext(c);
    const record = await updateWorkflow(db, actor, c.req.valid('param').id, c.req.valid('json'));
    return ok(c, presentWorkflow(record, config.appUrl), 200);
  });
  app.openapi(deleteRoute, async (c) => {
    const { db, actor, env } = routeContext(c);
    const { id } = c.req.valid('param');
    await requireWorkflow(db, actor.orgId, id);
    await stopActiveExecutions(env, db, actor.orgId, id);
    if (!(await deleteWorkflowRow(db, actor.orgId, id))) throw notFound('Workflow');
    return noContent(c);
  });
  app.openapi(versionsRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const page = c.req.valid('query');
    const { items, total } = await listVersions(db, actor.orgId, c.req.valid('param').id, page);
    return paginated(c, items.map(presentVersion), page, total);
  });
  app.openapi(versionRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const { id, version } = c.req.valid('param');
    const row = await getVersion(db, actor.orgId, id, version);
    if (!row) throw notFound('Workflow version');
    return ok(c, presentVersion(row), 200);
  });
  app.openapi(runRoute, async (c) => {
    const { db, actor, env, requestId } = routeContext(c);
    const record = await requireWorkflow(db, actor.orgId, c.req.valid('param').id);
    const execution = await createExecution(db, record, {
      trigger: 'manual',
      input: c.req.valid('json').input ?? {},
      createdBy: actor.userId,
      cacheBypass: cacheBypassRequested(c.req.raw.headers),
    });
    await startExecution(env, execution, requestId);
    return ok(c, { execution_id: execution.id, execution: presentExecutionSummary(execution) }, 202);
  });
  app.openapi(rotateRoute, async (c) => {
    const { db, actor, config } = routeContext(c);
    const { id } = c.req.valid('param');
    const current = await requireWorkflow(db, actor.orgId, id);
    if (!hasTrigger(current.version, 'webhook')) throw conflict('The workflow has no webhook trigger');
    const { workflow, secret } = await rotateWebhookSecret(db, actor.orgId, id);
    return ok(c, presentWorkflow({ workflow, version: current.version, webhookSecret: secret }, config.appUrl), 200);
  });
};
