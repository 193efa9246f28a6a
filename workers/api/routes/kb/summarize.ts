import { startSummary } from '@flowspark/summaries';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { enqueueOrRecover } from '../../lib/jobs';
import { ok } from '../../lib/respond';
import { errorResponses, jsonBody, jsonResponse } from '../../lib/schemas';
import { presentSummary, SummarizeSchema, SummarySchema } from '../summaries/schemas';
import { kbDocumentIdParams } from './schemas';

export const summarizeKbDocumentRoute = defineRoute(
  { scope: 'kb:write' },
  {
    method: 'post',
    path: '/kb/documents/{id}/summaries',
    operationId: 'summarizeKbDocument',
    tags: ['Summaries'],
    summary: 'Summarise a knowledge-base document',
    description:
      'Answers 202 with the summary (`pending`) and its `job_id`; follow the job, then `GET /summaries/{id}`. A document ' +
      'that fits one prompt is summarised in one call; a longer one map-reduce: each part of about 12,000 characters on its ' +
      'own, then the parts combined. The text cites its passages as [n]; `citations` name the chunk, page and snippet of ' +
      'each, `pages_used` the pages. `length` short, medium or long; `focus` narrows it; `template_id` uses a summary ' +
      'template’s prompt with `variables` (400 naming a missing or mistyped one). The document must be indexed (409 ' +
      'otherwise). Each model call is paid from the token wallet.',
    request: { params: kbDocumentIdParams, body: jsonBody(SummarizeSchema) },
    responses: { 202: jsonResponse(SummarySchema, 'The summary, pending'), ...errorResponses([404, 409]) },
  },
);

export const registerSummarizeKbDocument = (app: GroupApp) =>
  app.openapi(summarizeKbDocumentRoute, async (c) => {
    const ctx = routeContext(c);
    const { summary, job } = await startSummary(ctx.db, ctx.actor, c.req.valid('param').id, c.req.valid('json'));
    await enqueueOrRecover(ctx, job, 'summary job not enqueued');
    return ok(c, presentSummary(summary), 202);
  });
