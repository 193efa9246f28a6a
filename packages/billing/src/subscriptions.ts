/**
 * Subscriptions: an organization's Stripe customer and subscription (billing_subscriptions), the
 * plan a subscription's price stands for, and the Stripe events that change them (stripe_events,
 * kept by id so an event delivered twice is applied once). A subscription's state is always the one
 * read from Stripe when its event is processed, so events that arrive out of order apply the
 * latest state; a state older than the one stored (`stripe_state_at`) changes nothing.
 */
import type { Plan } from '@flowspark/core';
import { type Database, schema } from '@flowspark/db';
import { eq } from 'drizzle-orm';

const { billingSubscriptions, stripeEvents } = schema;

export type SubscriptionRow = typeof billingSubscriptions.$inferSelect;

/** The Stripe prices of the paid plans (the `STRIPE_PRICE_PRO` and `STRIPE_PRICE_ENTERPRISE` vars). */
export type PlanPrices = Partial<Record<Exclude<Plan, 'free'>, string>>;

export const planPrices = (vars: { STRIPE_PRICE_PRO?: string; STRIPE_PRICE_ENTERPRISE?: string }): PlanPrices => ({
  ...(vars.STRIPE_PRICE_PRO ? { pro: vars.STRIPE_PRICE_PRO } : {}),
  ...(vars.STRIPE_PRICE_ENTERPRISE ? { enterprise: vars.STRIPE_PRICE_ENTERPRISE } : {}),
});

/** Statuses in which a subscription gives its plan (past_due: Stripe is still retrying the payment). */
export const PAID_STATUSES = ['active', 'trialing', 'past_due'] as const;

/** A subscription as the billing rules need it, read from Stripe. */
export interface SubscriptionState {
  customer_id: string;
  subscription_id: string;
  status: string;
  price_id: string | null;
  current_period_end: number | null;
  cancel_at_period_end: boolean;
}

/** The plan a subscription gives: its price's, while its status pays; the free plan otherwise. */
export const planOfSubscription = (state: Pick<SubscriptionState, 'status' | 'price_id'>, prices: PlanPrices): Plan => {
  if (!(PAID_STATUSES as readonly string[]).includes(state.status)) return 'free';
  for (const [plan, price] of Object.entries(prices) as [Exclude<Plan, 'free'>, string][]) {
    if (price === state.price_id) return plan;
  }
  return 'free';
};

export const getSubscription = async (db: Database, orgId: string): Promise<SubscriptionRow | null> => {
  const [row] = await db.select().from(billingSubscriptions).where(eq(billingSubscriptions.orgId, orgId)).limit(1);
  return row ?? null;
};

export const findSubscriptionByCustomer = async (db: Database, customerId: string): Promise<SubscriptionRow | null> => {
  const [row] = await db
    .select()
    .from(billingSubscriptions)
    .where(eq(billingSubscriptions.stripeCustomerId, customerId))
    .limit(1);
  return row ?? null;
};

/** Remembers the organization's Stripe customer (once: a second customer for it is never made). */
export const rememberCustomer = async (db: Database, orgId: string, customerId: string): Promise<SubscriptionRow> => {
  const now = new Date().toISOString();
  await db
    .insert(billingSubscriptions)
    .values({ orgId, stripeCustomerId: customerId, createdAt: now, updatedAt: now })
    .onConflictDoNothing();
  const row = await getSubscription(db, orgId);
  if (!row) throw new Error('The subscription row was not written');
  return row;
};

/**
 * Stores a verified event once. True when it is new (then it is to be processed), false when the
 * same event id was already received.
 */
export const recordStripeEvent = async (db: Database, event: { id: string; type: string }, payload: string) => {
  const rows = await db
    .insert(stripeEvents)
    .values({ id: event.id, type: event.type, payload, receivedAt: new Date().toISOString() })
    .onConflictDoNothing()
    .returning({ id: stripeEvents.id });
  return rows.length > 0;
};

export const getStripeEvent = async (db: Database, id: string) => {
  const [row] = await db.select().from(stripeEvents).where(eq(stripeEvents.id, id)).limit(1);
  return row ?? null;
};

/** The event is done: in the same batch as its effects (`effects`), so it is applied exactly once. */
const processedStatement = (d1: D1Database, eventId: string) =>
  d1
    .prepare('UPDATE stripe_events SET processed_at = ?1, error = NULL WHERE id = ?2 AND processed_at IS NULL')
    .bind(new Date().toISOString(), eventId);

export const markStripeEventProcessed = async (db: Database, eventId: string) => {
  await db.$client.batch([processedStatement(db.$client, eventId)]);
};

export const markStripeEventFailed = async (db: Database, eventId: string, error: string) => {
  await db.$client
    .prepare('UPDATE stripe_events SET error = ?1 WHERE id = ?2')
    .bind(error.slice(0, 500), eventId)
    .run();
};

/**
 * Applies a subscription's state, read at `stateAt` (ms), to the organization: its subscription row
 * and its plan, with the event marked processed, in one batch. A state older than the stored one
 * is ignored (the row and the plan stay; the event is still marked). Answers the plan the
 * organization has afterwards and whether this state was applied.
 */
export const applySubscriptionState = async (
  db: Database,
  orgId: string,
  state: SubscriptionState,
  plan: Plan,
  stateAt: number,
  eventId: string,
): Promise<{ applied: boolean; plan: Plan }> => {
  const d1 = db.$client;
  const now = new Date().toISOString();
  const periodEnd = state.current_period_end ? new Date(state.current_period_end * 1000).toISOString() : null;
  const results = await d1.batch([
    d1
      .prepare(
        `INSERT INTO billing_subscriptions (org_id, stripe_customer_id, stripe_subscription_id, plan, status,
           current_period_end, cancel_at_period_end, stripe_state_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
         ON CONFLICT (org_id) DO UPDATE SET stripe_customer_id = excluded.stripe_customer_id,
           stripe_subscription_id = excluded.stripe_subscription_id, plan = excluded.plan, status = excluded.status,
           current_period_end = excluded.current_period_end, cancel_at_period_end = excluded.cancel_at_period_end,
           stripe_state_at = excluded.stripe_state_at, updated_at = excluded.updated_at
         WHERE excluded.stripe_state_at >= billing_subscriptions.stripe_state_at`,
      )
      .bind(
        orgId,
        state.customer_id,
        state.subscription_id,
        plan,
        state.status,
        periodEnd,
        state.cancel_at_period_end ? 1 : 0,
        stateAt,
        now,
      ),
    // The plan follows the row only when this state is the one stored.
    d1
      .prepare(
        `UPDATE organizations SET plan = ?1, updated_at = ?2 WHERE id = ?3
           AND (SELECT stripe_state_at FROM billing_subscriptions WHERE org_id = ?3) = ?4
           AND (SELECT stripe_subscription_id FROM billing_subscriptions WHERE org_id = ?3) = ?5`,
      )
      .bind(plan, now, orgId, stateAt, state.subscription_id),
    processedStatement(d1, eventId),
    d1.prepare('SELECT plan FROM organizations WHERE id = ?1').bind(orgId),
  ]);
  const applied = (results[0]?.meta.changes ?? 0) > 0;
  const current = (results[3]?.results?.[0] as { plan?: Plan } | undefined)?.plan ?? 'free';
  return { applied, plan: current };
};
