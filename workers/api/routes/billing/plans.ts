import { billingPlans, planPrices } from '@flowspark/billing';
import { PLANS } from '@flowspark/core';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { jsonResponse } from '../../lib/schemas';
import { PlanSchema } from './schemas';

export const listPlansRoute = defineRoute(
  { scope: 'billing:read' },
  {
    method: 'get',
    path: '/billing/plans',
    operationId: 'listPlans',
    tags: ['Billing'],
    summary: 'The plans: monthly tokens, quotas, rate limit, features and price',
    description:
      'From configuration (the `BILLING_PLANS` and `RATE_LIMITS` vars over the defaults). `checkout_available` says ' +
      'whether this server can sell the plan (Stripe keys and the plan’s price are set).',
    responses: { 200: jsonResponse(PlanSchema.array(), 'Every plan') },
  },
);

export const registerListPlans = (app: GroupApp) =>
  app.openapi(listPlansRoute, async (c) => {
    const { env, config } = routeContext(c);
    const plans = billingPlans(env.BILLING_PLANS);
    const prices = planPrices(env);
    return ok(
      c,
      PLANS.map((id) => ({
        ...plans[id],
        rate_limit_per_minute: config.rateLimits[id].per_minute,
        checkout_available: id !== 'free' && Boolean(env.STRIPE_SECRET_KEY && prices[id]),
      })),
      200,
    );
  });
