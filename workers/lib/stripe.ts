import { AppError } from '@flowspark/core';
import type Stripe from 'stripe';
import type { Env } from '../env';

/** How Stripe's API is reached: fetch, unless a test puts a fake of the API in its place. */
let stripeFetch: typeof fetch | null = null;

/** Replaces the fetch the Stripe client uses (tests: a fake of Stripe's HTTP API); null restores it. */
export const setStripeFetch = (fn: typeof fetch | null) => {
  stripeFetch = fn;
};

export const billingNotConfigured = () =>
  new AppError('BILLING_NOT_CONFIGURED', 'Payments are not set up on this server (no Stripe keys)');

/** The SDK, loaded on first use only: it stays off the Worker's start-up path. */
const loadStripe = async () => (await import('stripe')).default;

/**
 * A Stripe client on the Workers runtime (fetch HTTP client). 503 BILLING_NOT_CONFIGURED without a
 * secret key, which is how local mode runs.
 */
export const stripeClient = async (env: Pick<Env, 'STRIPE_SECRET_KEY'>): Promise<Stripe> => {
  if (!env.STRIPE_SECRET_KEY) throw billingNotConfigured();
  const StripeSdk = await loadStripe();
  return new StripeSdk(env.STRIPE_SECRET_KEY, {
    httpClient: StripeSdk.createFetchHttpClient(stripeFetch ?? fetch),
    maxNetworkRetries: 2,
  });
};

/** Signatures older than this (seconds) are refused: a replayed request is stale. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/**
 * The verified event of a webhook request: the raw body against the `Stripe-Signature` header with
 * the endpoint's secret (HMAC-SHA256 through SubtleCrypto). Throws a 400 with the reason otherwise.
 */
export const verifyStripeEvent = async (
  env: Pick<Env, 'STRIPE_WEBHOOK_SECRET'>,
  body: string,
  signature: string | undefined,
): Promise<Stripe.Event> => {
  if (!env.STRIPE_WEBHOOK_SECRET) throw billingNotConfigured();
  if (!signature) {
    throw new AppError('VALIDATION_ERROR', 'The Stripe-Signature header is missing', {
      details: { reason: 'SIGNATURE_MISSING' },
    });
  }
  const StripeSdk = await loadStripe();
  try {
    return await StripeSdk.webhooks.constructEventAsync(
      body,
      signature,
      env.STRIPE_WEBHOOK_SECRET,
      WEBHOOK_TOLERANCE_SECONDS,
      StripeSdk.createSubtleCryptoProvider(),
    );
  } catch (err) {
    const stale = /timestamp outside the tolerance zone/i.test(String((err as Error)?.message));
    throw new AppError(
      'VALIDATION_ERROR',
      stale ? 'The Stripe signature is too old' : 'The Stripe signature does not match the body',
      { details: { reason: stale ? 'SIGNATURE_STALE' : 'SIGNATURE_INVALID' } },
    );
  }
};
