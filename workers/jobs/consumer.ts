// First, before any package builds a zod schema: route contracts call `.openapi()` on package
// schemas, which only works for schemas created after @hono/zod-openapi extended zod. An isolate's
// first event may be a queue message or the cron, so their entry points load it too.
import '@hono/zod-openapi';
import { describeError, logger, newId } from '@flowspark/core';
import { createDb } from '@flowspark/db';
import { failJob, getJob, isTerminal } from '@flowspark/jobs';
import { z } from 'zod';
import type { Env, QueueMessage } from '../env';
import { announceJobEnd } from '../lib/job-end';
import { runJob } from './runner';

const ids = z.object({
  job_id: z.string().regex(/^job_[0-9a-f]{32}$/),
  org_id: z.string().regex(/^org_[0-9a-f]{32}$/),
});
/** Messages queued before the tenant field was named `org_id` carry it as `tenant_id`. */
const MessageSchema = z.preprocess(
  (body) =>
    body && typeof body === 'object' && !('org_id' in body) && 'tenant_id' in body
      ? { ...body, org_id: (body as { tenant_id: unknown }).tenant_id }
      : body,
  ids,
);

/**
 * Dead-lettered: the queue gave up on the message (max_retries in wrangler.toml). The job ends
 * `error` RETRIES_EXHAUSTED, unless it already ended or a live delivery still holds it (a duplicate
 * message ran out of retries while the original runs: that one, or stuck-job recovery, finishes it).
 */
const deadLetter = async (env: Env, message: z.infer<typeof MessageSchema>): Promise<void> => {
  const db = createDb(env.DB);
  const job = await getJob(db, message.org_id, message.job_id);
  if (!job || isTerminal(job.status)) return;
  if (job.status === 'running' && job.leaseUntil && job.leaseUntil > new Date().toISOString()) return;
  const row = await failJob(
    db,
    job.id,
    'RETRIES_EXHAUSTED',
    'The job could not be completed: delivery was retried too many times',
  );
  if (row) await announceJobEnd(env, row, newId('req'));
};

/**
 * The queue consumer of both queues (jobs and its dead-letter queue). Messages carry ids only. They
 * run one after another: a job may hold a large document in memory, and the Worker has 128 MB.
 * An unexpected error (D1 unreachable) retries the message; the queue's own backoff applies.
 */
const StripeEventMessageSchema = z.object({ kind: z.literal('stripe.event'), event_id: z.string().min(1).max(255) });

/** A Stripe event: applied once (jobs/stripe-events.ts); a failure retries it with the queue's backoff. */
const handleStripeEvent = async (env: Env, message: Message<QueueMessage>, eventId: string, isDeadLetter: boolean) => {
  const [{ processStripeEvent }, { markStripeEventFailed }] = await Promise.all([
    import('./stripe-events'),
    import('@flowspark/billing'),
  ]);
  if (isDeadLetter) {
    logger.error('stripe event given up', { event_id: eventId });
    message.ack();
    return;
  }
  try {
    await processStripeEvent(env, eventId);
    message.ack();
  } catch (err) {
    logger.warn('stripe event not applied; retrying', { event_id: eventId, ...describeError(err) });
    await markStripeEventFailed(createDb(env.DB), eventId, String(describeError(err).error_message)).catch(
      () => undefined,
    );
    message.retry({ delaySeconds: Math.min(600, 10 * 2 ** Math.max(0, message.attempts - 1)) });
  }
};

const WebhookDeliveryMessageSchema = z.object({
  kind: z.literal('webhook.delivery'),
  delivery_id: z.string().regex(/^whd_[0-9a-f]{32}$/),
  org_id: z.string().regex(/^org_[0-9a-f]{32}$/),
});

/** One attempt of a webhook delivery; its retries are this message again, after the delivery's backoff. */
const handleWebhookDelivery = async (
  env: Env,
  message: Message<QueueMessage>,
  body: z.infer<typeof WebhookDeliveryMessageSchema>,
  isDeadLetter: boolean,
) => {
  if (isDeadLetter) {
    message.ack();
    return;
  }
  try {
    const { attemptDelivery } = await import('./webhook-deliveries');
    const retryIn = await attemptDelivery(env, body.org_id, body.delivery_id);
    if (retryIn !== null) await env.JOBS.send(body, { delaySeconds: retryIn });
    message.ack();
  } catch (err) {
    logger.warn('webhook delivery attempt failed to run', { delivery_id: body.delivery_id, ...describeError(err) });
    message.retry();
  }
};

export const handleQueue = async (batch: MessageBatch<QueueMessage>, env: Env): Promise<void> => {
  const isDeadLetter = batch.queue.endsWith('-dlq');
  for (const message of batch.messages) {
    const delivery = WebhookDeliveryMessageSchema.safeParse(message.body);
    if (delivery.success) {
      await handleWebhookDelivery(env, message, delivery.data, isDeadLetter);
      continue;
    }
    const stripeEvent = StripeEventMessageSchema.safeParse(message.body);
    if (stripeEvent.success) {
      await handleStripeEvent(env, message, stripeEvent.data.event_id, isDeadLetter);
      continue;
    }
    const parsed = MessageSchema.safeParse(message.body);
    if (!parsed.success) {
      logger.warn('malformed queue message dropped', { queue: batch.queue, message_id: message.id });
      message.ack();
      continue;
    }
    try {
      if (isDeadLetter) {
        await deadLetter(env, parsed.data);
        message.ack();
        continue;
      }
      const outcome = await runJob(env, parsed.data);
      if (outcome.action === 'retry') message.retry({ delaySeconds: outcome.delaySeconds });
      else message.ack();
    } catch (err) {
      logger.error('queue message failed', { queue: batch.queue, job_id: parsed.data.job_id, ...describeError(err) });
      message.retry();
    }
  }
};
