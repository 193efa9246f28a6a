import {
  type AgentRunRow,
  createAgentRun,
  failAgentRunStart,
  firstCallEstimate,
  presentAgentRun,
} from '@flowspark/agents';
import { AppError, describeError, logger } from '@flowspark/core';
import { cacheBypassRequested } from '../../../lib/ai-cache';
import { insufficientTokens, walletView } from '../../../lib/wallet';
import { type RouteContext, routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';
import { AgentRunSchema, RunAgentSchema, TAGS } from './schemas';

export const runAgentRoute = defineRoute(
  { scope: 'agents:write' },
  {
    method: 'post',
    path: '/agents/run',
    operationId: 'runAgent',
    tags: TAGS,
    summary: 'Run the agent on a request: it routes it to a document, a knowledge-base answer or an image',
    description:
      'Answers 202 with the run (`queued`) and runs it in the background as a durable run: an intent step asks ' +
      'the AI which capability the request needs (structured output; a keyword router when the answer is invalid ' +
      'or the provider unavailable), then the capability runs (a document generation, a knowledge-base answer with ' +
      'citations, or an image), then a validation step checks the result. A capability that fails or does not ' +
      'pass validation is tried once more with the error added to its request (`retry_count` 1); a second failure ' +
      'ends the run `error`, and a failure a retry cannot mend (402 `INSUFFICIENT_TOKENS`, a cancelled job) ends it ' +
      'at once. Follow it with `GET /agents/runs/{id}` or the job feed (`agent.status` events). `route` skips ' +
      'the intent step. `Cache-Control: no-cache` makes the intent call skip the semantic cache. Everything is ' +
      "paid from the organization's token wallet: 402 `INSUFFICIENT_TOKENS` when it cannot cover the run's first " +
      'call, before anything is written.',
    request: {
      body: {
        required: true,
        content: {
          'application/json': {
            schema: RunAgentSchema,
            examples: {
              report: {
                summary: 'A document',
                value: { request: 'Write a PDF report about our solar panel sales in Q3' },
              },
              lookup: {
                summary: 'A knowledge-base answer',
                value: { request: 'Find the vacation policy in our docs' },
              },
              image: {
                summary: 'An image, route given',
                value: { request: 'A logo for a coffee shop', route: 'image' },
              },
            },
          },
        },
      },
    },
    responses: {
      202: jsonResponse(AgentRunSchema, 'The run, queued'),
      ...errorResponses([402, 503]),
    },
  },
);

/**
 * Starts the run's durable instance (instance id = run id; a repeated start is a no-op), trying twice.
 * A run that still cannot start is ended `error` and the request answers 503: it is never left queued.
 */
const startInstance = async (ctx: RouteContext, run: AgentRunRow) => {
  const params = { org_id: run.orgId, run_id: run.id };
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      await ctx.env.JOBS_SERVICE.startRun('agent', run.id, params);
      return;
    } catch (err) {
      logger.warn('agent run not started', {
        request_id: ctx.requestId,
        run_id: run.id,
        attempt,
        ...describeError(err),
      });
    }
  }
  await failAgentRunStart(ctx.db, run.orgId, run.id, 'RUN_NOT_STARTED', 'The run could not be started; ask again');
  throw new AppError('SERVICE_UNAVAILABLE', 'The run could not be started; ask again', {
    details: { reason: 'RUN_NOT_STARTED', run_id: run.id },
  });
};

export const registerRunAgent = (app: GroupApp) =>
  app.openapi(runAgentRoute, async (c) => {
    const ctx = routeContext(c);
    const body = c.req.valid('json');
    // The run pays as it goes; a wallet that cannot cover its first call is refused before anything is written.
    const required = firstCallEstimate(body.request, body.route);
    const { available } = await walletView(ctx.env, ctx.actor.orgId);
    if (available < required) throw insufficientTokens(required, available);
    const run = await createAgentRun(ctx.db, ctx.actor, {
      request: body.request,
      ...(body.route ? { route: body.route } : {}),
      cacheBypass: cacheBypassRequested(c.req.raw.headers),
    });
    await startInstance(ctx, run);
    return ok(c, presentAgentRun(run), 202);
  });
