import { getSubscription, PAID_STATUSES, planPrices, rememberCustomer } from '@flowspark/billing';
import { AppError } from '@flowspark/core';
import { billingNotConfigured, stripeClient } from '../../../lib/stripe';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonBody, jsonResponse } from '../../lib/schemas';
import { CheckoutSchema, SessionUrlSchema } from './schemas';
import { returnUrl } from './shared';

export const checkoutRoute = defineRoute(
  { scope: 'billing:write' },
  {
    method: 'post',
    path: '/billing/checkout',
    operationId: 'createCheckout',
    tags: ['Billing'],
    summary: 'A Stripe Checkout page to subscribe to a paid plan',
    description:
      'Owners and admins. Answers the Checkout session’s `url` (send the customer there). The organization’s Stripe ' +
      'customer is made once and kept. The plan changes when Stripe reports the subscription (POST /webhooks/stripe), ' +
      'and each paid invoice adds the plan’s monthly tokens to the wallet. 503 `BILLING_NOT_CONFIGURED` when this ' +
      'server has no Stripe keys or no price for the plan; 409 while a subscription is live (change it in the portal).',
    request: { body: jsonBody(CheckoutSchema) },
    responses: { 200: jsonResponse(SessionUrlSchema, 'The Checkout session'), ...errorResponses([409, 503]) },
  },
);

export const registerCheckout = (app: GroupApp) =>
  app.openapi(checkoutRoute, async (c) => {
    const body = c.req.valid('json');
    const { db, actor, env } = routeContext(c);
    const price = planPrices(env)[body.plan];
    if (!env.STRIPE_SECRET_KEY) throw billingNotConfigured();
    if (!price) {
      throw new AppError('BILLING_NOT_CONFIGURED', `The ${body.plan} plan has no price on this server`, {
        details: { plan: body.plan },
      });
    }
    const successUrl = returnUrl(c, body.success_url, '/billing?checkout=success', 'success_url');
    const cancelUrl = returnUrl(c, body.cancel_url, '/billing?checkout=cancelled', 'cancel_url');
    const current = await getSubscription(db, actor.orgId);
    if (current?.status && (PAID_STATUSES as readonly string[]).includes(current.status)) {
      // A second subscription would charge twice: plan changes go through the portal.
      throw new AppError('CONFLICT', 'The organization already has a subscription: change it in the billing portal', {
        details: { plan: current.plan, status: current.status },
      });
    }
    const stripe = await stripeClient(env);
    let customer = current?.stripeCustomerId;
    if (!customer) {
      // Idempotent per organization: two concurrent checkouts make one customer.
      const made = await stripe.customers.create(
        { metadata: { org_id: actor.orgId } },
        { idempotencyKey: `customer-${actor.orgId}` },
      );
      customer = (await rememberCustomer(db, actor.orgId, made.id)).stripeCustomerId;
    }
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer,
      line_items: [{ price, quantity: 1 }],
      success_url: successUrl,
      cancel_url: cancelUrl,
      client_reference_id: actor.orgId,
      metadata: { org_id: actor.orgId, plan: body.plan },
      subscription_data: { metadata: { org_id: actor.orgId, plan: body.plan } },
    });
    if (!session.url) throw new AppError('SERVICE_UNAVAILABLE', 'Stripe did not return a Checkout page');
    return ok(c, { url: session.url, session_id: session.id }, 200);
  });
