import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { billingPlans } from '@flowspark/billing';
import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Env } from '../../workers/env';
import worker from '../../workers/jobs-main';
import { setStripeFetch } from '../../workers/lib/stripe';
import { env, expectError, expectOk, fetchWith, recordingClient, type TestTenant, toRequest } from '../helpers/harness';

const client = recordingClient();
const SECRET = 'whsec_test_secret_for_the_fake';
const PRICES = { pro: 'price_pro_monthly', enterprise: 'price_enterprise_monthly' };
const stripeEnv: Env = {
  ...client.env,
  STRIPE_SECRET_KEY: 'sk_test_fake',
  STRIPE_WEBHOOK_SECRET: SECRET,
  STRIPE_PRICE_PRO: PRICES.pro,
  STRIPE_PRICE_ENTERPRISE: PRICES.enterprise,
};
const PLANS = billingPlans();

/**
 * A fake of the parts of Stripe's HTTP API the billing code calls: customers, Checkout and portal
 * sessions, and subscriptions (read back by id, with whatever state the test gives them).
 */
const fake = {
  requests: [] as { method: string; path: string; form: URLSearchParams }[],
  subscriptions: new Map<string, Record<string, unknown>>(),
  customers: 0,
};
const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const fakeStripe: typeof fetch = async (input, init) => {
  const request = new Request(input, init);
  const url = new URL(request.url);
  const form = new URLSearchParams(request.method === 'GET' ? '' : await request.text());
  fake.requests.push({ method: request.method, path: url.pathname, form });
  if (url.hostname !== 'api.stripe.com') return json({ error: { message: 'unexpected host' } }, 500);
  if (request.method === 'POST' && url.pathname === '/v1/customers') {
    fake.customers += 1;
    return json({
      id: `cus_${fake.customers}`,
      object: 'customer',
      metadata: { org_id: form.get('metadata[org_id]') },
    });
  }
  if (request.method === 'POST' && url.pathname === '/v1/checkout/sessions') {
    return json({ id: 'cs_test_1', object: 'checkout.session', url: 'https://checkout.stripe.com/c/pay/cs_test_1' });
  }
  if (request.method === 'POST' && url.pathname === '/v1/billing_portal/sessions') {
    return json({ id: 'bps_1', object: 'billing_portal.session', url: 'https://billing.stripe.com/p/session/bps_1' });
  }
  const sub = /^\/v1\/subscriptions\/([\w]+)$/.exec(url.pathname);
  if (request.method === 'GET' && sub) {
    const found = fake.subscriptions.get(sub[1]!);
    return found
      ? json(found)
      : json({ error: { message: 'No such subscription', type: 'invalid_request_error' } }, 404);
  }
  return json({ error: { message: `no fake for ${request.method} ${url.pathname}` } }, 500);
};

beforeEach(() => {
  fake.requests.length = 0;
  setStripeFetch(fakeStripe);
});
afterEach(() => setStripeFetch(null));

const subscription = (id: string, customer: string, status: string, price: string, periodEnd = 1_900_000_000) => ({
  id,
  object: 'subscription',
  customer,
  status,
  cancel_at_period_end: false,
  metadata: {},
  items: { object: 'list', data: [{ id: `si_${id}`, price: { id: price }, current_period_end: periodEnd }] },
});

let eventCounter = 0;
const event = (type: string, object: Record<string, unknown>, id = `evt_${++eventCounter}_${Date.now()}`) => ({
  id,
  object: 'event',
  type,
  created: Math.floor(Date.now() / 1000),
  data: { object },
});

const sdk = new Stripe('sk_test_fake', { httpClient: Stripe.createFetchHttpClient(fakeStripe) });
const signed = async (payload: string, options: { secret?: string; timestamp?: number } = {}) =>
  sdk.webhooks.generateTestHeaderStringAsync({
    payload,
    secret: options.secret ?? SECRET,
    timestamp: options.timestamp ?? Math.floor(Date.now() / 1000),
    cryptoProvider: Stripe.createSubtleCryptoProvider(),
  });

const postWebhook = async (payload: string, signature?: string, through: Env = stripeEnv) => {
  const request = toRequest('POST', '/api/v1/webhooks/stripe', {
    rawBody: payload,
    headers: { 'content-type': 'application/json', ...(signature ? { 'stripe-signature': signature } : {}) },
  });
  const res = await fetchWith(request, through);
  return { status: res.status, body: (await res.json()) as any };
};

/** Sends a signed event and applies what it queued, as the queue would. */
const deliverEvent = async (body: Record<string, unknown>) => {
  const payload = JSON.stringify(body);
  const before = client.sent.length;
  const res = await postWebhook(payload, await signed(payload));
  expect(res.status).toBe(200);
  for (const message of client.sent.slice(before)) await applyQueued(message);
  return res.body.data;
};

const applyQueued = async (message: unknown) => {
  const batch = createMessageBatch('flowspark-jobs', [
    { id: crypto.randomUUID(), timestamp: new Date(), attempts: 1, body: message },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<never>, stripeEnv, ctx);
  const result = await getQueueResult(batch, ctx);
  expect(result.retryMessages).toEqual([]);
};

const as = (tenant: TestTenant, method: string, path: string, body?: unknown, through: Env = stripeEnv) =>
  client.call(method, path, { token: tenant.accessToken, body }, through);

const walletOf = (orgId: string) => env.TOKEN_WALLET.get(env.TOKEN_WALLET.idFromName(orgId));

/** A tenant that went through checkout: its Stripe customer exists and is remembered. */
const customerTenant = async () => {
  const tenant = await client.createTenant();
  expectOk(await as(tenant, 'POST', '/api/v1/billing/checkout', { plan: 'pro' }));
  const row = await env.DB.prepare('SELECT stripe_customer_id FROM billing_subscriptions WHERE org_id = ?')
    .bind(tenant.orgId)
    .first<{ stripe_customer_id: string }>();
  return { tenant, customer: row!.stripe_customer_id };
};

const planOf = async (orgId: string) =>
  (await env.DB.prepare('SELECT plan FROM organizations WHERE id = ?').bind(orgId).first<{ plan: string }>())!.plan;

describe('plans and checkout', () => {
  it('lists the plans with their limits, and whether this server can sell them', async () => {
    const tenant = await client.createTenant();
    const local = expectOk(await as(tenant, 'GET', '/api/v1/billing/plans', undefined, client.env)).body.data;
    expect(local.map((p: any) => [p.id, p.monthly_tokens, p.checkout_available])).toEqual([
      ['free', PLANS.free.monthly_tokens, false],
      ['pro', PLANS.pro.monthly_tokens, false],
      ['enterprise', PLANS.enterprise.monthly_tokens, false],
    ]);
    expect(local[0]).toMatchObject({ max_bots: PLANS.free.max_bots, rate_limit_per_minute: 120 });
    const sold = expectOk(await as(tenant, 'GET', '/api/v1/billing/plans')).body.data;
    expect(sold.map((p: any) => p.checkout_available)).toEqual([false, true, true]);
  });

  it('without Stripe keys, checkout and the portal answer 503 BILLING_NOT_CONFIGURED; the subscription still reads', async () => {
    const tenant = await client.createTenant();
    expectError(
      await as(tenant, 'POST', '/api/v1/billing/checkout', { plan: 'pro' }, client.env),
      503,
      'BILLING_NOT_CONFIGURED',
    );
    expectError(await as(tenant, 'POST', '/api/v1/billing/portal', {}, client.env), 503, 'BILLING_NOT_CONFIGURED');
    expect(expectOk(await as(tenant, 'GET', '/api/v1/billing/subscription', undefined, client.env)).body.data).toEqual({
      plan: 'free',
      status: null,
      current_period_end: null,
      cancel_at_period_end: false,
      has_customer: false,
      billing_configured: false,
    });
    const payload = JSON.stringify(event('invoice.paid', { id: 'in_x', customer: 'cus_x' }));
    expect((await postWebhook(payload, await signed(payload), client.env)).status).toBe(503);
  });

  it('checkout answers the session URL, with one customer per organization, the plan’s price and its metadata', async () => {
    const tenant = await client.createTenant();
    const first = expectOk(await as(tenant, 'POST', '/api/v1/billing/checkout', { plan: 'pro' })).body.data;
    expect(first).toEqual({ url: 'https://checkout.stripe.com/c/pay/cs_test_1', session_id: 'cs_test_1' });
    const session = fake.requests.find((r) => r.path === '/v1/checkout/sessions')!.form;
    expect(session.get('mode')).toBe('subscription');
    expect(session.get('line_items[0][price]')).toBe(PRICES.pro);
    expect(session.get('client_reference_id')).toBe(tenant.orgId);
    expect(session.get('metadata[org_id]')).toBe(tenant.orgId);
    expect(session.get('success_url')).toBe('http://localhost:8787/billing?checkout=success');
    const customers = fake.requests.filter((r) => r.path === '/v1/customers').length;
    expectOk(await as(tenant, 'POST', '/api/v1/billing/checkout', { plan: 'enterprise' }));
    expect(fake.requests.filter((r) => r.path === '/v1/customers').length).toBe(customers);
    expect(fake.requests.at(-1)!.form.get('line_items[0][price]')).toBe(PRICES.enterprise);

    const portal = expectOk(await as(tenant, 'POST', '/api/v1/billing/portal', {})).body.data;
    expect(portal.url).toBe('https://billing.stripe.com/p/session/bps_1');
    expect(fake.requests.at(-1)!.form.get('customer')).toMatch(/^cus_/);

    for (const body of [
      { plan: 'free' },
      { plan: 'gold' },
      { plan: 'pro', x: 1 },
      { plan: 'pro', success_url: 'https://evil.example/x' },
    ]) {
      expectError(await as(tenant, 'POST', '/api/v1/billing/checkout', body), 400, 'VALIDATION_ERROR');
    }
    const fresh = await client.createTenant();
    expectError(await as(fresh, 'POST', '/api/v1/billing/portal', {}), 409, 'CONFLICT');
    const member = await client.call('POST', '/api/v1/billing/checkout', { body: { plan: 'pro' } }, stripeEnv);
    expect(member.status).toBe(401);
  });
});

describe('POST /webhooks/stripe', () => {
  it('refuses a missing, forged, stale or altered signature with 400 and the reason', async () => {
    const payload = JSON.stringify(event('invoice.paid', { id: 'in_sig', customer: 'cus_none' }));
    const cases: [string | undefined, string, string][] = [
      [undefined, payload, 'SIGNATURE_MISSING'],
      [await signed(payload, { secret: 'whsec_wrong' }), payload, 'SIGNATURE_INVALID'],
      [await signed(payload, { timestamp: Math.floor(Date.now() / 1000) - 301 }), payload, 'SIGNATURE_STALE'],
      [await signed(payload), payload.replace('in_sig', 'in_sig2'), 'SIGNATURE_INVALID'],
      ['t=1,v1=deadbeef', payload, 'SIGNATURE_INVALID'],
    ];
    for (const [signature, body, reason] of cases) {
      const res = await postWebhook(body, signature);
      expect(res.status, reason).toBe(400);
      expect(res.body.error.details.reason).toBe(reason);
    }
    const stored = await env.DB.prepare(
      "SELECT count(*) AS n FROM stripe_events WHERE id LIKE 'evt_%' AND payload LIKE '%in_sig%'",
    ).first();
    expect(stored).toEqual({ n: 0 });
  });

  it('a subscription makes the plan; a paid invoice credits the wallet once, even when delivered twice', async () => {
    const { tenant, customer } = await customerTenant();
    fake.subscriptions.set('sub_1', subscription('sub_1', customer, 'active', PRICES.pro));
    await deliverEvent(event('customer.subscription.created', fake.subscriptions.get('sub_1')!));
    expect(await planOf(tenant.orgId)).toBe('pro');
    // A live subscription is changed in the portal, not bought again.
    expectError(await as(tenant, 'POST', '/api/v1/billing/checkout', { plan: 'enterprise' }), 409, 'CONFLICT');
    expect(expectOk(await as(tenant, 'GET', '/api/v1/billing/subscription')).body.data).toMatchObject({
      plan: 'pro',
      status: 'active',
      has_customer: true,
      current_period_end: new Date(1_900_000_000 * 1000).toISOString(),
    });
    const before = await walletOf(tenant.orgId).view(tenant.orgId);
    expect(before).toMatchObject({ plan: 'pro', allowance_source: 'invoice', allowance: PLANS.pro.monthly_tokens });

    const paid = event('invoice.paid', {
      id: 'in_1',
      object: 'invoice',
      customer,
      lines: { data: [{ pricing: { price_details: { price: PRICES.pro } } }] },
    });
    expect(await deliverEvent(paid)).toMatchObject({ duplicate: false });
    expect(await deliverEvent(paid)).toMatchObject({ duplicate: true });
    const after = await walletOf(tenant.orgId).view(tenant.orgId);
    expect(after.balance).toBe(before.balance + PLANS.pro.monthly_tokens);
    const purchases = await env.DB.prepare("SELECT * FROM token_ledger WHERE org_id = ? AND kind = 'purchase'")
      .bind(tenant.orgId)
      .all();
    expect(purchases.results).toEqual([
      expect.objectContaining({ amount: PLANS.pro.monthly_tokens, reference: 'invoice:in_1' }),
    ]);
  });

  it('events out of order end in the subscription’s latest state; deleted goes back to free', async () => {
    const { tenant, customer } = await customerTenant();
    const older = event('customer.subscription.updated', subscription('sub_2', customer, 'active', PRICES.pro));
    const newer = event('customer.subscription.updated', subscription('sub_2', customer, 'active', PRICES.enterprise));
    // Stripe now says enterprise; the newer event arrives first, the older after it.
    fake.subscriptions.set('sub_2', subscription('sub_2', customer, 'active', PRICES.enterprise));
    await deliverEvent(newer);
    await deliverEvent(older);
    expect(await planOf(tenant.orgId)).toBe('enterprise');
    expect((await walletOf(tenant.orgId).view(tenant.orgId)).plan).toBe('enterprise');

    fake.subscriptions.set('sub_2', { ...subscription('sub_2', customer, 'canceled', PRICES.enterprise) });
    await deliverEvent(event('customer.subscription.deleted', fake.subscriptions.get('sub_2')!));
    expect(await planOf(tenant.orgId)).toBe('free');
    expect(await walletOf(tenant.orgId).view(tenant.orgId)).toMatchObject({ plan: 'free', allowance_source: 'grant' });
    expect(expectOk(await as(tenant, 'GET', '/api/v1/billing/subscription')).body.data).toMatchObject({
      plan: 'free',
      status: 'canceled',
    });
  });

  it('an unknown customer or event type changes nothing and is acknowledged', async () => {
    const tenant = await client.createTenant();
    await deliverEvent(event('invoice.paid', { id: 'in_unknown', customer: 'cus_nobody', lines: { data: [] } }));
    await deliverEvent(
      event('customer.subscription.updated', subscription('sub_x', 'cus_nobody', 'active', PRICES.pro)),
    );
    await deliverEvent(event('charge.refunded', { id: 'ch_1' }));
    expect(await planOf(tenant.orgId)).toBe('free');
    const unprocessed = await env.DB.prepare(
      "SELECT count(*) AS n FROM stripe_events WHERE processed_at IS NULL AND payload LIKE '%cus_nobody%'",
    ).first();
    expect(unprocessed).toEqual({ n: 0 });
  });
});
