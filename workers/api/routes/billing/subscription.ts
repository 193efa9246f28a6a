import { getSubscription, planOf } from '@flowspark/billing';
import { schema } from '@flowspark/db';
import { eq } from 'drizzle-orm';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { jsonResponse } from '../../lib/schemas';
import { SubscriptionSchema } from './schemas';

export const getSubscriptionRoute = defineRoute(
  { scope: 'billing:read' },
  {
    method: 'get',
    path: '/billing/subscription',
    operationId: 'getSubscription',
    tags: ['Billing'],
    summary: "The organization's plan and its Stripe subscription",
    description:
      'The plan changes when Stripe says the subscription did (POST /webhooks/stripe): at once for quotas, the wallet ' +
      'and this route; rate limits follow with the next access token (at most 15 minutes).',
    responses: { 200: jsonResponse(SubscriptionSchema, 'The subscription') },
  },
);

export const registerGetSubscription = (app: GroupApp) =>
  app.openapi(getSubscriptionRoute, async (c) => {
    const { db, actor, env } = routeContext(c);
    const [subscription, [org]] = await Promise.all([
      getSubscription(db, actor.orgId),
      db
        .select({ plan: schema.organizations.plan })
        .from(schema.organizations)
        .where(eq(schema.organizations.id, actor.orgId))
        .limit(1),
    ]);
    return ok(
      c,
      {
        plan: planOf(org?.plan),
        status: subscription?.status ?? null,
        current_period_end: subscription?.currentPeriodEnd ?? null,
        cancel_at_period_end: subscription?.cancelAtPeriodEnd ?? false,
        has_customer: subscription !== null,
        billing_configured: Boolean(env.STRIPE_SECRET_KEY),
      },
      200,
    );
  });
