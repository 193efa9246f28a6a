/**
 * Plans (seed 001 SubscriptionPlan, seed 004 QuotaEnforcement): what each plan gives an organization
 * each month and at most. Defaults here; the `BILLING_PLANS` var (JSON) overrides any field per plan,
 * e.g. `{"free":{"monthly_tokens":2000000}}`. Rate limits stay the `RATE_LIMITS` var's (core config).
 */
import { PLANS, type Plan } from '@flowspark/core';

export const FEATURES = [
  'documents',
  'presentations',
  'images',
  'knowledge_base',
  'chat_bots',
  'chat_widget',
  'api_keys',
  'sso',
  'priority_support',
] as const;
export type Feature = (typeof FEATURES)[number];

export interface PlanLimits {
  /** Tokens granted (free) or bought with the subscription (paid) each month. */
  monthly_tokens: number;
  /** Bytes of knowledge-base and bot documents the organization may store. */
  storage_bytes: number;
  /** Knowledge-base and bot documents, together. */
  max_documents: number;
  max_bots: number;
  features: Feature[];
}

export interface PlanDefinition extends PlanLimits {
  id: Plan;
  name: string;
  /** Display price per month, in US dollars (what Stripe charges is its price's amount). */
  price_usd_monthly: number;
}

const GB = 1024 * 1024 * 1024;
const MB = 1024 * 1024;

const DEFAULT_PLANS: Record<Plan, PlanDefinition> = {
  free: {
    id: 'free',
    name: 'Free',
    price_usd_monthly: 0,
    // Enough for a new user to try everything: dozens of generated documents, hundreds of answers.
    monthly_tokens: 1_000_000,
    storage_bytes: 500 * MB,
    max_documents: 200,
    max_bots: 5,
    features: ['documents', 'presentations', 'images', 'knowledge_base', 'chat_bots', 'chat_widget', 'api_keys'],
  },
  pro: {
    id: 'pro',
    name: 'Pro',
    price_usd_monthly: 49,
    monthly_tokens: 20_000_000,
    storage_bytes: 20 * GB,
    max_documents: 10_000,
    max_bots: 50,
    features: ['documents', 'presentations', 'images', 'knowledge_base', 'chat_bots', 'chat_widget', 'api_keys'],
  },
  enterprise: {
    id: 'enterprise',
    name: 'Enterprise',
    price_usd_monthly: 499,
    monthly_tokens: 250_000_000,
    storage_bytes: 500 * GB,
    max_documents: 1_000_000,
    max_bots: 1_000,
    features: [...FEATURES],
  },
};

const LIMIT_FIELDS = ['monthly_tokens', 'storage_bytes', 'max_documents', 'max_bots'] as const;

/** Plans from the `BILLING_PLANS` var over the defaults; an unreadable var or field is ignored. */
export const billingPlans = (raw?: string | null): Record<Plan, PlanDefinition> => {
  const plans = structuredClone(DEFAULT_PLANS);
  if (!raw) return plans;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return plans;
  }
  if (typeof parsed !== 'object' || parsed === null) return plans;
  for (const plan of PLANS) {
    const override = (parsed as Record<string, unknown>)[plan];
    if (typeof override !== 'object' || override === null) continue;
    const fields = override as Record<string, unknown>;
    for (const field of LIMIT_FIELDS) {
      const value = fields[field];
      if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) plans[plan][field] = value;
    }
    if (typeof fields.name === 'string' && fields.name.trim()) plans[plan].name = fields.name.trim();
    if (typeof fields.price_usd_monthly === 'number' && fields.price_usd_monthly >= 0) {
      plans[plan].price_usd_monthly = fields.price_usd_monthly;
    }
    if (Array.isArray(fields.features)) {
      plans[plan].features = FEATURES.filter((f) => (fields.features as unknown[]).includes(f));
    }
  }
  return plans;
};

export const isPlan = (value: unknown): value is Plan =>
  typeof value === 'string' && (PLANS as readonly string[]).includes(value);

/** A stored plan name as a plan (anything unknown is the free plan). */
export const planOf = (value: unknown): Plan => (isPlan(value) ? value : 'free');
