import { FEATURES } from '@flowspark/billing';
import { z } from '@hono/zod-openapi';
import { TimestampSchema } from '../../lib/schemas';

const PlanId = z.enum(['free', 'pro', 'enterprise']);

export const PlanSchema = z
  .object({
    id: PlanId,
    name: z.string(),
    price_usd_monthly: z.number(),
    monthly_tokens: z.number().int(),
    storage_bytes: z.number().int(),
    max_documents: z.number().int(),
    max_bots: z.number().int(),
    rate_limit_per_minute: z.number().int(),
    features: z.array(z.enum(FEATURES)),
    checkout_available: z.boolean().openapi({ description: 'Whether POST /billing/checkout can sell this plan here' }),
  })
  .openapi('BillingPlan');

export const SubscriptionSchema = z
  .object({
    plan: PlanId,
    status: z
      .string()
      .nullable()
      .openapi({ description: "Stripe's subscription status; null without one", example: 'active' }),
    current_period_end: TimestampSchema.nullable(),
    cancel_at_period_end: z.boolean(),
    has_customer: z
      .boolean()
      .openapi({ description: 'Whether the organization has a Stripe customer (the portal needs one)' }),
    billing_configured: z.boolean().openapi({ description: 'Whether payments are set up on this server' }),
  })
  .openapi('BillingSubscription');

/** A page of the API's own app (APP_URL's origin) that Stripe sends the customer back to. */
const ReturnUrl = z.url().max(2_048);

export const CheckoutSchema = z
  .strictObject({
    plan: z.enum(['pro', 'enterprise']),
    success_url: ReturnUrl.optional().openapi({
      description: "Default: APP_URL/billing?checkout=success; APP_URL's origin only",
    }),
    cancel_url: ReturnUrl.optional().openapi({
      description: "Default: APP_URL/billing?checkout=cancelled; APP_URL's origin only",
    }),
  })
  .openapi('BillingCheckoutRequest');

export const PortalSchema = z
  .strictObject({
    return_url: ReturnUrl.optional().openapi({ description: "Default: APP_URL/billing; APP_URL's origin only" }),
  })
  .openapi('BillingPortalRequest');

export const SessionUrlSchema = z.object({ url: z.url(), session_id: z.string() }).openapi('BillingSessionUrl');
