/**
 * Outgoing webhooks: a tenant's endpoints (each subscribed to event types), the deliveries of each
 * event to them, and the delivery rules (retries with backoff, disabling an endpoint that keeps
 * failing). Every query is scoped to the tenant.
 */
import { decryptSecret, encryptSecret } from '@flowspark/auth';
import { type Actor, newId, notFound, type PageRequest } from '@flowspark/core';
import { type Database, paginateNewestFirst, schema } from '@flowspark/db';
import { and, eq, sql } from 'drizzle-orm';
import { newSigningSecret } from './signing';

const { webhookEndpoints, webhookDeliveries } = schema;

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;

/** The events an endpoint may subscribe to (`billing.*` takes every billing event). */
export const WEBHOOK_EVENT_TYPES = [
  'job.done',
  'job.failed',
  'document.ready',
  'kb.document.indexed',
  'booklet.ready',
  'billing.subscription.updated',
  'billing.invoice.paid',
  'billing.tokens.low',
  'webhook.endpoint.disabled',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
export const WEBHOOK_SUBSCRIPTIONS = [...WEBHOOK_EVENT_TYPES, 'billing.*'] as const;

/** Attempts per delivery: the first, then retries after these delays (seconds). */
export const RETRY_DELAYS_SECONDS = [30, 120, 600, 3_600, 21_600] as const;
export const MAX_ATTEMPTS = RETRY_DELAYS_SECONDS.length + 1;
/** An endpoint whose last this-many attempts all failed is disabled (until it is enabled again). */
export const DISABLE_AFTER_FAILED_ATTEMPTS = 20;
export const MAX_ENDPOINTS_PER_ORG = 20;

const SECRET_PURPOSE = 'webhook-signing-secret';

/** Whether an endpoint's subscriptions take an event of this type. */
export const subscribes = (eventTypes: readonly string[], type: string) =>
  eventTypes.some((t) => t === type || (t.endsWith('.*') && type.startsWith(t.slice(0, -1))));

export interface NewEndpoint {
  url: string;
  description?: string;
  event_types: string[];
}

/** Stores the endpoint with a new signing secret (encrypted); answers the row and the secret, once. */
export const createEndpoint = async (
  db: Database,
  encryptionKey: string,
  actor: Pick<Actor, 'orgId' | 'userId'>,
  input: NewEndpoint,
): Promise<{ endpoint: WebhookEndpointRow; secret: string }> => {
  const secret = newSigningSecret();
  const now = new Date().toISOString();
  const endpoint: WebhookEndpointRow = {
    id: newId('whk'),
    orgId: actor.orgId,
    url: input.url,
    description: input.description ?? '',
    eventTypes: [...new Set(input.event_types)],
    secretEncrypted: await encryptSecret(encryptionKey, SECRET_PURPOSE, secret),
    enabled: true,
    consecutiveFailures: 0,
    disabledReason: null,
    createdBy: actor.userId,
    createdAt: now,
    updatedAt: now,
  };
  await db.insert(webhookEndpoints).values(endpoint);
  return { endpoint, secret };
};

export const countEndpoints = async (db: Database, orgId: string): Promise<number> => {
  const [row] = await db.all<{ n: number }>(sql`SELECT count(*) AS n FROM webhook_endpoints WHERE org_id = ${orgId}`);
  return row?.n ?? 0;
};

export const endpointSecret = (encryptionKey: string, endpoint: Pick<WebhookEndpointRow, 'secretEncrypted'>) =>
  decryptSecret(encryptionKey, SECRET_PURPOSE, endpoint.secretEncrypted);

export const getEndpoint = async (db: Database, orgId: string, id: string): Promise<WebhookEndpointRow | null> => {
  const [row] = await db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.orgId, orgId), eq(webhookEndpoints.id, id)))
    .limit(1);
  return row ?? null;
};

export const requireEndpoint = async (db: Database, orgId: string, id: string) => {
  const row = await getEndpoint(db, orgId, id);
  if (!row) throw notFound('Webhook');
  return row;
};

export const listEndpoints = (db: Database, orgId: string, page: PageRequest) =>
  paginateNewestFirst(db, webhookEndpoints, eq(webhookEndpoints.orgId, orgId), page);

export interface EndpointPatch {
  url?: string;
  description?: string;
  event_types?: string[];
  enabled?: boolean;
}

/** Applies the change; enabling an endpoint clears its failures. */
export const updateEndpoint = async (
  db: Database,
  orgId: string,
  id: string,
  patch: EndpointPatch,
): Promise<WebhookEndpointRow> => {
  const values: Partial<WebhookEndpointRow> = { updatedAt: new Date().toISOString() };
  if (patch.url !== undefined) values.url = patch.url;
  if (patch.description !== undefined) values.description = patch.description;
  if (patch.event_types !== undefined) values.eventTypes = [...new Set(patch.event_types)];
  if (patch.enabled !== undefined) {
    values.enabled = patch.enabled;
    if (patch.enabled) Object.assign(values, { consecutiveFailures: 0, disabledReason: null });
    else values.disabledReason = 'Disabled by a user';
  }
  const [row] = await db
    .update(webhookEndpoints)
    .set(values)
    .where(and(eq(webhookEndpoints.orgId, orgId), eq(webhookEndpoints.id, id)))
    .returning();
  if (!row) throw notFound('Webhook');
  return row;
};

/** A new signing secret for the endpoint (the old one stops at once); answers it, once. */
export const rotateEndpointSecret = async (db: Database, encryptionKey: string, orgId: string, id: string) => {
  const secret = newSigningSecret();
  const [row] = await db
    .update(webhookEndpoints)
    .set({
      secretEncrypted: await encryptSecret(encryptionKey, SECRET_PURPOSE, secret),
      updatedAt: new Date().toISOString(),
    })
    .where(and(eq(webhookEndpoints.orgId, orgId), eq(webhookEndpoints.id, id)))
    .returning();
  if (!row) throw notFound('Webhook');
  return { endpoint: row, secret };
};

export const deleteEndpoint = async (db: Database, orgId: string, id: string): Promise<void> => {
  const deleted = await db
    .delete(webhookEndpoints)
    .where(and(eq(webhookEndpoints.orgId, orgId), eq(webhookEndpoints.id, id)))
    .returning({ id: webhookEndpoints.id });
  if (deleted.length === 0) throw notFound('Webhook');
};

export type EndpointSubscription = { id: string; eventTypes: string[] };

/** The tenant's enabled endpoints and what each subscribes to (one indexed query). */
export const enabledEndpoints = (db: Database, orgId: string): Promise<EndpointSubscription[]> =>
  db
    .select({ id: webhookEndpoints.id, eventTypes: webhookEndpoints.eventTypes })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.orgId, orgId), eq(webhookEndpoints.enabled, true)));

/** The event's deliveries, one per endpoint, written in one batch. */
export const createDeliveries = async (
  db: Database,
  orgId: string,
  endpointIds: string[],
  event: { id: string; type: string; payload: string },
): Promise<WebhookDeliveryRow[]> => {
  if (endpointIds.length === 0) return [];
  const now = new Date().toISOString();
  const rows: WebhookDeliveryRow[] = endpointIds.map((endpointId) => ({
    id: newId('whd'),
    orgId,
    endpointId,
    eventId: event.id,
    eventType: event.type,
    payload: event.payload,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: now,
    lastStatusCode: null,
    lastError: null,
    lastResponse: null,
    lastDurationMs: null,
    createdAt: now,
    updatedAt: now,
    deliveredAt: null,
  }));
  await db.insert(webhookDeliveries).values(rows);
  return rows;
};

export const getDelivery = async (db: Database, orgId: string, id: string): Promise<WebhookDeliveryRow | null> => {
  const [row] = await db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.orgId, orgId), eq(webhookDeliveries.id, id)))
    .limit(1);
  return row ?? null;
};

export const listDeliveries = (db: Database, orgId: string, endpointId: string, page: PageRequest) =>
  paginateNewestFirst(
    db,
    webhookDeliveries,
    and(eq(webhookDeliveries.orgId, orgId), eq(webhookDeliveries.endpointId, endpointId)),
    page,
  );

export interface AttemptOutcome {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  response: string | null;
  durationMs: number;
}

/**
 * Records one attempt. A success ends the delivery and clears the endpoint's failures; a failure
 * schedules the next attempt (null after the last) and counts against the endpoint, which is
 * disabled after DISABLE_AFTER_FAILED_ATTEMPTS failures in a row. Only a pending delivery at this
 * attempt count is changed, so a redelivered message records nothing twice.
 */
export const recordAttempt = async (
  db: Database,
  delivery: WebhookDeliveryRow,
  outcome: AttemptOutcome,
): Promise<{ recorded: boolean; retryInSeconds: number | null; endpointDisabled: boolean }> => {
  const attempts = delivery.attempts + 1;
  const now = new Date();
  const delay = outcome.ok ? null : (RETRY_DELAYS_SECONDS[attempts - 1] ?? null);
  const status = outcome.ok ? 'succeeded' : delay === null ? 'failed' : 'pending';
  const d1: D1Database = db.$client;
  const results = await d1.batch([
    d1
      .prepare(
        `UPDATE webhook_deliveries SET status = ?1, attempts = ?2, next_attempt_at = ?3, last_status_code = ?4,
           last_error = ?5, last_response = ?6, last_duration_ms = ?7, updated_at = ?8, delivered_at = ?9
         WHERE id = ?10 AND org_id = ?11 AND status = 'pending' AND attempts = ?12`,
      )
      .bind(
        status,
        attempts,
        delay === null ? null : new Date(now.getTime() + delay * 1000).toISOString(),
        outcome.statusCode,
        outcome.error,
        outcome.response,
        outcome.durationMs,
        now.toISOString(),
        outcome.ok ? now.toISOString() : null,
        delivery.id,
        delivery.orgId,
        delivery.attempts,
      ),
    outcome.ok
      ? d1
          .prepare(
            'UPDATE webhook_endpoints SET consecutive_failures = 0 WHERE id = ?1 AND org_id = ?2 AND changes() > 0',
          )
          .bind(delivery.endpointId, delivery.orgId)
      : d1
          .prepare(
            `UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1,
               enabled = CASE WHEN consecutive_failures + 1 >= ?3 THEN 0 ELSE enabled END,
               disabled_reason = CASE WHEN consecutive_failures + 1 >= ?3 AND enabled = 1
                 THEN ?4 ELSE disabled_reason END,
               updated_at = ?5
             WHERE id = ?1 AND org_id = ?2 AND changes() > 0`,
          )
          .bind(
            delivery.endpointId,
            delivery.orgId,
            DISABLE_AFTER_FAILED_ATTEMPTS,
            `Disabled after ${DISABLE_AFTER_FAILED_ATTEMPTS} failed attempts in a row`,
            now.toISOString(),
          ),
    d1
      .prepare('SELECT enabled, consecutive_failures FROM webhook_endpoints WHERE id = ?1 AND org_id = ?2')
      .bind(delivery.endpointId, delivery.orgId),
  ]);
  const recorded = (results[0]?.meta.changes ?? 0) > 0;
  const endpoint = results[2]?.results?.[0] as { enabled: number; consecutive_failures: number } | undefined;
  const endpointDisabled =
    recorded &&
    !outcome.ok &&
    endpoint?.enabled === 0 &&
    endpoint.consecutive_failures === DISABLE_AFTER_FAILED_ATTEMPTS;
  return { recorded, retryInSeconds: recorded ? delay : null, endpointDisabled };
};
