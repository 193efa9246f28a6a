import { usageSummary } from '@flowspark/billing';
import { walletView } from '../../../lib/wallet';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { jsonResponse } from '../../lib/schemas';
import { UsageSummarySchema } from './schemas';

export const getUsageSummaryRoute = defineRoute(
  { scope: 'analytics:read' },
  {
    method: 'get',
    path: '/analytics/summary',
    operationId: 'getUsageSummary',
    tags: ['Analytics'],
    summary: "This billing period's usage and the wallet",
    description:
      'The current period (calendar month, UTC): the wallet, the usage totals and per feature. Owners and admins only.',
    responses: { 200: jsonResponse(UsageSummarySchema, 'The summary') },
  },
);

export const registerGetUsageSummary = (app: GroupApp) =>
  app.openapi(getUsageSummaryRoute, async (c) => {
    const { db, actor, env } = routeContext(c);
    const wallet = await walletView(env, actor.orgId);
    const usage = await usageSummary(db, actor.orgId, { from: wallet.period_start, to: wallet.period_end });
    return ok(
      c,
      {
        period_start: wallet.period_start,
        period_end: wallet.period_end,
        plan: wallet.plan,
        balance: wallet.balance,
        reserved: wallet.reserved,
        allowance: wallet.allowance,
        period: usage.totals,
        by_feature: usage.by_feature,
      },
      200,
    );
  });
