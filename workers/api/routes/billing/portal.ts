import { getSubscription } from '@flowspark/billing';
import { AppError } from '@flowspark/core';
import { stripeClient } from '../../../lib/stripe';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';
import { PortalSchema, SessionUrlSchema } from './schemas';
import { returnUrl } from './shared';

export const portalRoute = defineRoute(
  { scope: 'billing:write' },
  {
    method: 'post',
    path: '/billing/portal',
    operationId: 'createBillingPortal',
    tags: ['Billing'],
    summary: "Stripe's billing portal for the organization (invoices, payment method, cancellation)",
    description:
      'Owners and admins. 409 before the organization has a Stripe customer (subscribe with POST /billing/checkout ' +
      'first); 503 `BILLING_NOT_CONFIGURED` without Stripe keys.',
    request: { body: { required: false, content: { 'application/json': { schema: PortalSchema } } } },
    responses: { 200: jsonResponse(SessionUrlSchema, 'The portal session'), ...errorResponses([409, 503]) },
  },
);

export const registerPortal = (app: GroupApp) =>
  app.openapi(portalRoute, async (c) => {
    const body = (c.req.valid('json') ?? {}) as { return_url?: string };
    const { db, actor, env } = routeContext(c);
    const stripe = await stripeClient(env);
    const subscription = await getSubscription(db, actor.orgId);
    if (!subscription) {
      throw new AppError('CONFLICT', 'The organization has no Stripe customer yet: subscribe through checkout first');
    }
    const session = await stripe.billingPortal.sessions.create({
      customer: subscription.stripeCustomerId,
      return_url: returnUrl(c, body.return_url, '/billing', 'return_url'),
    });
    return ok(c, { url: session.url, session_id: session.id }, 200);
  });
