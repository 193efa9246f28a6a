import {
  applySubscriptionState,
  billingPlans,
  findSubscriptionByCustomer,
  getStripeEvent,
  markStripeEventProcessed,
  planOfSubscription,
  planPrices,
  rememberCustomer,
  type SubscriptionState,
} from '@flowspark/billing';
import { logger, type Plan } from '@flowspark/core';
import { createDb, type Database } from '@flowspark/db';
import type Stripe from 'stripe';
import type { Env } from '../env';
import { stripeClient } from '../lib/stripe';
import { emitTenantEvent } from '../lib/tenant-events';
import { tokenWallet } from '../lib/wallet';

const idOf = (value: string | { id: string } | null | undefined): string | null =>
  typeof value === 'string' ? value : (value?.id ?? null);

/** A subscription as the billing rules read it (the period end moved to its items in newer API versions). */
export const subscriptionState = (sub: Stripe.Subscription): SubscriptionState => {
  const item = sub.items?.data?.[0] as (Stripe.SubscriptionItem & { current_period_end?: number }) | undefined;
  const legacy = sub as unknown as { current_period_end?: number };
  return {
    customer_id: idOf(sub.customer) ?? '',
    subscription_id: sub.id,
    status: sub.status,
    price_id: item?.price?.id ?? null,
    current_period_end: item?.current_period_end ?? legacy.current_period_end ?? null,
    cancel_at_period_end: sub.cancel_at_period_end === true,
  };
};

/**
 * Reads the subscription from Stripe and applies that state: whatever order events arrive in, the
 * organization ends with the subscription's latest state (an older read never replaces a newer one).
 * The wallet follows the plan: a paid plan's allowance comes with its invoices, the free plan's is
 * granted each month.
 */
const applySubscription = async (env: Env, db: Database, orgId: string, subscriptionId: string, eventId: string) => {
  const stripe = await stripeClient(env);
  const sub = await stripe.subscriptions.retrieve(subscriptionId);
  const state = subscriptionState(sub);
  const plan = planOfSubscription(state, planPrices(env));
  const outcome = await applySubscriptionState(db, orgId, state, plan, Date.now(), eventId);
  if (outcome.applied) {
    await tokenWallet(env, orgId).configure(orgId, {
      plan: outcome.plan,
      allowance_source: outcome.plan === 'free' ? 'grant' : 'invoice',
    });
    const data = { plan: outcome.plan, status: state.status, cancel_at_period_end: state.cancel_at_period_end };
    await emitTenantEvent(env, orgId, 'billing.subscription.updated', data, {
      notify: { to: 'admins', type: 'billing.subscription.updated', title: `The plan is now ${outcome.plan}`, data },
    });
  }
};

/** The paid plan an invoice is for: its lines' price (either API shape), else the stored plan. */
const invoicePlan = (invoice: Stripe.Invoice, env: Env, stored: Plan): Plan => {
  const prices = planPrices(env);
  for (const line of invoice.lines?.data ?? []) {
    const shapes = line as unknown as {
      price?: { id?: string } | null;
      pricing?: { price_details?: { price?: string | { id: string } } } | null;
    };
    const priceId = idOf(shapes.pricing?.price_details?.price ?? null) ?? shapes.price?.id ?? null;
    const plan = planOfSubscription({ status: 'active', price_id: priceId }, prices);
    if (plan !== 'free') return plan;
  }
  return stored;
};

/**
 * Applies one stored Stripe event (the webhook route verified and stored it). Idempotent: an event
 * already processed is skipped, and its effects are written in the same batch as its processed mark
 * (the wallet's credit is idempotent by the invoice's id). Unknown customers and event types are
 * marked processed and change nothing.
 */
export const processStripeEvent = async (env: Env, eventId: string): Promise<void> => {
  const db = createDb(env.DB);
  const row = await getStripeEvent(db, eventId);
  if (!row || row.processedAt) return;
  const event = JSON.parse(row.payload) as Stripe.Event;
  switch (event.type) {
    case 'checkout.session.completed': {
      const session = event.data.object;
      const orgId = session.metadata?.org_id ?? session.client_reference_id ?? null;
      const customer = idOf(session.customer);
      const subscription = idOf(session.subscription);
      if (!orgId || !customer) break;
      await rememberCustomer(db, orgId, customer);
      if (subscription) return applySubscription(env, db, orgId, subscription, event.id);
      break;
    }
    case 'customer.subscription.created':
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted': {
      const sub = event.data.object;
      const known = await findSubscriptionByCustomer(db, idOf(sub.customer) ?? '');
      const orgId = known?.orgId ?? sub.metadata?.org_id ?? null;
      if (!orgId) {
        logger.warn('stripe event for an unknown customer ignored', { event_id: event.id, type: event.type });
        break;
      }
      if (!known) await rememberCustomer(db, orgId, idOf(sub.customer) ?? '');
      return applySubscription(env, db, orgId, sub.id, event.id);
    }
    case 'invoice.paid': {
      const invoice = event.data.object;
      const known = await findSubscriptionByCustomer(db, idOf(invoice.customer) ?? '');
      if (!known) {
        logger.warn('stripe event for an unknown customer ignored', { event_id: event.id, type: event.type });
        break;
      }
      const plan = invoicePlan(invoice, env, known.plan);
      if (plan !== 'free' && invoice.id) {
        const tokens = billingPlans(env.BILLING_PLANS)[plan].monthly_tokens;
        const credited = await tokenWallet(env, known.orgId).credit(known.orgId, {
          kind: 'purchase',
          amount: tokens,
          reference: `invoice:${invoice.id}`,
          note: `${plan} plan invoice`,
        });
        if (credited.applied) {
          await emitTenantEvent(env, known.orgId, 'billing.invoice.paid', { invoice_id: invoice.id, plan, tokens });
        }
      }
      break;
    }
    default:
      break;
  }
  await markStripeEventProcessed(db, event.id);
};
