import { describeError, logger, newId } from '@flowspark/core';
import { createDb, type Database } from '@flowspark/db';
import type { JobRow } from '@flowspark/jobs';
import { createNotifications, type NewNotification, organizationAdmins } from '@flowspark/notifications';
import { createDeliveries, type EndpointSubscription, enabledEndpoints, subscribes } from '@flowspark/webhooks';
import type { Env, WebhookDeliveryMessage } from '../env';

export interface TenantEventOptions {
  /** The in-app notification: for these members, or the organization's owners and admins. */
  notify?: NewNotification & { to: string[] | 'admins' };
  /** The tenant's enabled endpoints, when the caller read them already (several events at once). */
  endpoints?: EndpointSubscription[];
}

/**
 * Tells the tenant about an event: a delivery to each enabled webhook endpoint subscribed to its
 * type (sent through the queue, signed, retried with backoff), and the notification, written and
 * pushed to its recipients' job-feed sockets. One indexed query finds the endpoints; a tenant with
 * none pays nothing more. Failures are logged, never thrown: the event itself already happened.
 */
export const emitTenantEvent = async (
  env: Env,
  orgId: string,
  type: string,
  data: Record<string, unknown>,
  options: TenantEventOptions = {},
  db: Database = createDb(env.DB),
): Promise<void> => {
  try {
    const event = { id: newId('evt'), type, created_at: new Date().toISOString(), data };
    const endpoints = (options.endpoints ?? (await enabledEndpoints(db, orgId))).filter((e) =>
      subscribes(e.eventTypes, type),
    );
    if (endpoints.length > 0) {
      const deliveries = await createDeliveries(
        db,
        orgId,
        endpoints.map((e) => e.id),
        { id: event.id, type, payload: JSON.stringify(event) },
      );
      await env.JOBS.sendBatch(
        deliveries.map((d) => ({
          body: { kind: 'webhook.delivery', delivery_id: d.id, org_id: orgId } satisfies WebhookDeliveryMessage,
        })),
      );
    }
    if (options.notify) {
      const { to, ...notification } = options.notify;
      const recipients = to === 'admins' ? await organizationAdmins(db, orgId) : to;
      const rows = await createNotifications(db, orgId, recipients, {
        ...notification,
        data: { event_id: event.id, ...notification.data },
      });
      const feed = env.JOB_FEED.get(env.JOB_FEED.idFromName(orgId));
      await Promise.all(
        rows.map((row) =>
          feed.notify(row.userId, {
            id: row.id,
            type: row.type,
            title: row.title,
            body: row.body,
            data: row.data,
            read_at: null,
            created_at: row.createdAt,
          }),
        ),
      );
    }
  } catch (err) {
    logger.warn('tenant event not delivered', { org_id: orgId, type, ...describeError(err) });
  }
};

/** What a job's end tells the tenant: job.done or job.failed, and what the job made ready. */
export const emitJobEnd = async (env: Env, job: JobRow): Promise<void> => {
  if (job.status !== 'done' && job.status !== 'error') return;
  const data = {
    job_id: job.id,
    job_type: job.type,
    status: job.status,
    resource_type: job.resourceType,
    resource_id: job.resourceId,
    ...(job.status === 'error' ? { error_code: job.errorCode, error_message: job.errorMessage } : {}),
  };
  const creator = job.createdBy ? [job.createdBy] : [];
  const db = createDb(env.DB);
  // Read once for both events of a done job (job.done, then what it made ready).
  let endpoints: EndpointSubscription[];
  try {
    endpoints = await enabledEndpoints(db, job.orgId);
  } catch (err) {
    logger.warn('tenant events not delivered', { org_id: job.orgId, job_id: job.id, ...describeError(err) });
    return;
  }
  if (job.status === 'error') {
    await emitTenantEvent(
      env,
      job.orgId,
      'job.failed',
      data,
      {
        endpoints,
        notify: {
          to: creator,
          type: 'job.failed',
          title: `${job.type} failed`,
          body: job.errorMessage ?? 'The job could not be completed',
          data,
        },
      },
      db,
    );
    return;
  }
  await emitTenantEvent(env, job.orgId, 'job.done', data, { endpoints }, db);
  const ready = READY_EVENTS[job.type];
  if (ready) {
    await emitTenantEvent(
      env,
      job.orgId,
      ready.type,
      data,
      {
        endpoints,
        notify: { to: creator, type: ready.type, title: ready.title, data },
      },
      db,
    );
  }
};

const READY_EVENTS: Record<string, { type: string; title: string }> = {
  'document.generate': { type: 'document.ready', title: 'Your document is ready' },
  'presentation.generate': { type: 'document.ready', title: 'Your presentation is ready' },
  'kb.ingest': { type: 'kb.document.indexed', title: 'A document was added to the knowledge base' },
  'booklet.generate': { type: 'booklet.ready', title: 'Your booklet is ready' },
};
