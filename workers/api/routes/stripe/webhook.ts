import { getStripeEvent, recordStripeEvent } from '@flowspark/billing';
import { z } from '@hono/zod-openapi';
import type { StripeEventMessage } from '../../../env';
import { verifyStripeEvent } from '../../../lib/stripe';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';

const ReceivedSchema = z
  .object({
    received: z.literal(true),
    duplicate: z.boolean().openapi({ description: 'The event id was received before: it is applied once' }),
  })
  .openapi('StripeWebhookReceived');

export const stripeWebhookRoute = defineRoute('public', {
  method: 'post',
  path: '/webhooks/stripe',
  operationId: 'receiveStripeWebhook',
  tags: ['Billing'],
  summary: "Stripe's webhook: subscription and invoice events",
  description:
    'The body is a Stripe event (JSON). Called by Stripe, signed with the endpoint’s secret (`Stripe-Signature` over the raw body). A missing, forged or ' +
    'stale (over 300 s) signature is 400 (`details.reason`: SIGNATURE_MISSING, SIGNATURE_INVALID, SIGNATURE_STALE). ' +
    'The event is stored by id and answered at once; a queue applies it (subscription created, updated or deleted: ' +
    'the plan, read again from Stripe so that events out of order end in the latest state; invoice paid: the plan’s ' +
    'monthly tokens into the wallet, once per invoice). An event delivered again is acknowledged and applied once.',
  // No body schema: a validator would parse the JSON, and the signature is over the raw bytes.
  responses: { 200: jsonResponse(ReceivedSchema, 'Received'), ...errorResponses([400, 503]) },
});

export const registerStripeWebhook = (app: GroupApp) =>
  app.openapi(stripeWebhookRoute, async (c) => {
    const { db, env } = routeContext(c);
    // The raw body: the signature is over these exact bytes.
    const body = await c.req.text();
    const event = await verifyStripeEvent(env, body, c.req.header('stripe-signature'));
    const fresh = await recordStripeEvent(db, event, body);
    // A repeat of an event not yet applied (its message lost) is queued again; applying is idempotent.
    const pending = fresh || (await getStripeEvent(db, event.id))?.processedAt == null;
    if (pending) await env.JOBS.send({ kind: 'stripe.event', event_id: event.id } satisfies StripeEventMessage);
    return ok(c, { received: true as const, duplicate: !fresh }, 200);
  });
