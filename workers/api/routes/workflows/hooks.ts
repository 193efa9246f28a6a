import { AppError, notFound, payloadTooLarge, unauthenticated } from '@flowspark/core';
import { createExecution } from '@flowspark/workflows/executions';
import { findWorkflowById, hasTrigger, webhookSecretMatches } from '@flowspark/workflows/workflows';
import { z } from '@hono/zod-openapi';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';
import { presentExecutionSummary, StartedSchema, WorkflowIdParams } from './schemas';
import { startExecution } from './shared';

/** Most bytes of a hook's body (its JSON object is the run's input). */
const MAX_HOOK_BODY = 64 * 1024;

const hookRoute = defineRoute('public', {
  method: 'post',
  path: '/hooks/workflows/{id}',
  operationId: 'triggerWorkflowWebhook',
  tags: ['Workflows'],
  summary: 'Run a workflow from outside: its webhook trigger',
  description:
    'For senders without an API key. The workflow must have a `webhook` trigger; the caller proves itself with the ' +
    'workflow’s webhook secret in `X-Workflow-Secret` (or `Authorization: Bearer <secret>`): a wrong or missing secret is ' +
    '401, an unknown workflow or one without the trigger 404. The body, a JSON object (at most 64 KB; empty means `{}`), ' +
    'is the run’s input, checked against the declared variables. Answers 202 with the execution id.',
  request: {
    params: WorkflowIdParams,
    headers: z.object({ 'x-workflow-secret': z.string().optional().openapi({ example: 'wfh_…' }) }),
  },
  responses: { 202: jsonResponse(StartedSchema, 'The execution, queued'), ...errorResponses([401, 404, 409, 413]) },
});

const secretOf = (header: (name: string) => string | undefined) => {
  const direct = header('x-workflow-secret');
  if (direct) return direct;
  const auth = header('authorization');
  return auth?.toLowerCase().startsWith('bearer ') ? auth.slice(7).trim() : undefined;
};

const inputOf = async (request: Request): Promise<Record<string, unknown>> => {
  const text = await request.text();
  const size = new TextEncoder().encode(text).byteLength;
  if (size > MAX_HOOK_BODY) {
    throw payloadTooLarge('The body is larger than 64 KB', { limit: MAX_HOOK_BODY, actual: size, unit: 'bytes' });
  }
  if (!text.trim()) return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new AppError('VALIDATION_ERROR', 'The body is not JSON', {
      details: { fields: { '(body)': ['Invalid JSON'] } },
    });
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('VALIDATION_ERROR', 'The body must be a JSON object', {
      details: { fields: { '(body)': ['Expected an object'] } },
    });
  }
  return body as Record<string, unknown>;
};

export const registerHookRoutes = (app: GroupApp) =>
  app.openapi(hookRoute, async (c) => {
    const { db, env, requestId } = routeContext(c);
    const record = await findWorkflowById(db, c.req.valid('param').id);
    if (!record || !hasTrigger(record.version, 'webhook')) throw notFound('Workflow');
    if (
      !(await webhookSecretMatches(
        record.workflow,
        secretOf((name) => c.req.header(name)),
      ))
    ) {
      throw unauthenticated('The webhook secret is missing or wrong');
    }
    const execution = await createExecution(db, record, {
      trigger: 'webhook',
      input: await inputOf(c.req.raw),
      createdBy: null,
    });
    await startExecution(env, execution, requestId);
    return ok(c, { execution_id: execution.id, execution: presentExecutionSummary(execution) }, 202);
  });
