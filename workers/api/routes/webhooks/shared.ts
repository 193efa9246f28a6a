import { AppError } from '@flowspark/core';
import { checkWebhookUrl, type WebhookDeliveryRow, type WebhookEndpointRow } from '@flowspark/webhooks';
import { hostResolver } from '../../../lib/outbound';

/** The URL if it may receive webhooks; 400 naming the `url` field otherwise. */
export const safeUrl = async (raw: string): Promise<string> => {
  const check = await checkWebhookUrl(raw, hostResolver());
  if (!check.ok) {
    throw new AppError('VALIDATION_ERROR', 'Request validation failed', {
      details: { fields: { url: [check.reason] } },
    });
  }
  return check.url.toString();
};

export const presentWebhook = (row: WebhookEndpointRow) => ({
  id: row.id,
  url: row.url,
  description: row.description,
  event_types: row.eventTypes,
  enabled: row.enabled,
  consecutive_failures: row.consecutiveFailures,
  disabled_reason: row.disabledReason,
  created_at: row.createdAt,
  updated_at: row.updatedAt,
});

export const presentDelivery = (row: WebhookDeliveryRow) => ({
  id: row.id,
  event_id: row.eventId,
  event_type: row.eventType,
  status: row.status,
  attempts: row.attempts,
  next_attempt_at: row.status === 'pending' ? row.nextAttemptAt : null,
  last_status_code: row.lastStatusCode,
  last_error: row.lastError,
  last_response: row.lastResponse,
  last_duration_ms: row.lastDurationMs,
  created_at: row.createdAt,
  delivered_at: row.deliveredAt,
});
