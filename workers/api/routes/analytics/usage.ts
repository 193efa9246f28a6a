import { usageBuckets } from '@flowspark/billing';
import { walletView } from '../../../lib/wallet';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { jsonResponse } from '../../lib/schemas';
import { UsageQuery, UsageReportSchema } from './schemas';

export const getUsageRoute = defineRoute(
  { scope: 'analytics:read' },
  {
    method: 'get',
    path: '/analytics/usage',
    operationId: 'getUsage',
    tags: ['Analytics'],
    summary: "The organization's AI usage in a time range, per day, feature or model",
    description:
      'Every billable action (generation, image, knowledge-base answer, chat reply) records a usage event: feature, ' +
      "model, input and output tokens, tokens charged, latency, job, and the semantic cache's part (`cache_hits`, " +
      '`cache_misses`, `cache_bypasses`; a hit uses and is charged no tokens). Owners and admins only. `from` (included) and ' +
      '`to` (excluded) are dates or ISO 8601 times, at most 366 days apart (default: the last 30 days).',
    request: { query: UsageQuery },
    responses: { 200: jsonResponse(UsageReportSchema, 'The usage, grouped') },
  },
);

export const registerGetUsage = (app: GroupApp) =>
  app.openapi(getUsageRoute, async (c) => {
    const { db, actor, env } = routeContext(c);
    const { from, to, group_by } = c.req.valid('query');
    // The wallet writes the usage events it still holds to D1 before answering: then they are all here.
    await walletView(env, actor.orgId);
    const buckets = await usageBuckets(db, actor.orgId, { from, to }, group_by);
    return ok(c, { from, to, group_by, buckets }, 200);
  });
