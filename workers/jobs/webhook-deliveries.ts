import { describeError, logger } from '@flowspark/core';
import { createDb } from '@flowspark/db';
import {
  checkWebhookUrl,
  endpointSecret,
  getDelivery,
  getEndpoint,
  recordAttempt,
  signedHeaders,
} from '@flowspark/webhooks';
import type { Env } from '../env';
import { hostResolver, outboundFetch } from '../lib/outbound';
import { emitTenantEvent } from '../lib/tenant-events';

const TIMEOUT_MS = 10_000;
const KEPT_RESPONSE_CHARS = 1_024;

/** The first KEPT_RESPONSE_CHARS of a body, read no further. */
const headOf = async (res: Response): Promise<string> => {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < KEPT_RESPONSE_CHARS) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
  return text.slice(0, KEPT_RESPONSE_CHARS);
};

/**
 * One attempt of a delivery: the endpoint's URL checked again (its name may resolve elsewhere by
 * now), the event POSTed signed, no redirect followed (a 3xx is a failure), within 10 s. The
 * attempt is recorded; answers the seconds until the next attempt, or null when the delivery ended
 * (delivered, failed for good, or nothing left to do).
 */
export const attemptDelivery = async (env: Env, orgId: string, deliveryId: string): Promise<number | null> => {
  const db = createDb(env.DB);
  const delivery = await getDelivery(db, orgId, deliveryId);
  if (delivery?.status !== 'pending') return null;
  const endpoint = await getEndpoint(db, orgId, delivery.endpointId);
  if (!endpoint) return null;
  const started = Date.now();
  let outcome: Parameters<typeof recordAttempt>[2];
  if (!endpoint.enabled) {
    outcome = { ok: false, statusCode: null, error: 'The endpoint is disabled', response: null, durationMs: 0 };
  } else {
    const check = await checkWebhookUrl(endpoint.url, hostResolver());
    if (!check.ok) {
      outcome = { ok: false, statusCode: null, error: `Refused: ${check.reason}`, response: null, durationMs: 0 };
    } else {
      try {
        const secret = await endpointSecret(env.ENCRYPTION_KEY, endpoint);
        const res = await outboundFetch()(check.url.toString(), {
          method: 'POST',
          headers: await signedHeaders(secret, delivery.eventId, delivery.payload),
          body: delivery.payload,
          redirect: 'manual',
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
        const ok = res.status >= 200 && res.status < 300;
        outcome = {
          ok,
          statusCode: res.status,
          error: ok
            ? null
            : res.status >= 300 && res.status < 400
              ? 'Redirects are not followed'
              : `HTTP ${res.status}`,
          response: await headOf(res),
          durationMs: Date.now() - started,
        };
      } catch (err) {
        const timedOut = (err as Error)?.name === 'TimeoutError';
        outcome = {
          ok: false,
          statusCode: null,
          error: timedOut ? `No answer within ${TIMEOUT_MS / 1000} s` : 'The endpoint could not be reached',
          response: null,
          durationMs: Date.now() - started,
        };
      }
    }
  }
  // A disabled endpoint's deliveries end at once.
  const recorded = await recordAttempt(db, delivery, endpoint.enabled ? outcome : { ...outcome, ok: false });
  if (!endpoint.enabled && recorded.recorded) return null;
  if (recorded.endpointDisabled) {
    logger.warn('webhook endpoint disabled', { org_id: orgId, endpoint_id: endpoint.id });
    await emitTenantEvent(
      env,
      orgId,
      'webhook.endpoint.disabled',
      { endpoint_id: endpoint.id, url: endpoint.url },
      {
        notify: {
          to: 'admins',
          type: 'webhook.endpoint.disabled',
          title: 'A webhook endpoint was disabled',
          body: `${endpoint.url} failed too many times in a row; enable it again once it answers.`,
          data: { endpoint_id: endpoint.id },
        },
      },
      db,
    ).catch((err) => logger.warn('endpoint disabling not told', describeError(err)));
  }
  return recorded.retryInSeconds;
};
