import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { DISABLE_AFTER_FAILED_ATTEMPTS, RETRY_DELAYS_SECONDS } from '@flowspark/webhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Env } from '../../workers/env';
import { attemptDelivery } from '../../workers/jobs/webhook-deliveries';
import worker from '../../workers/jobs-main';
import { setHostResolver, setWebhookFetch } from '../../workers/lib/outbound';
import { emitTenantEvent } from '../../workers/lib/tenant-events';
import { addMember, call, env, expectError, expectOk, recordingClient, type TestTenant } from '../helpers/harness';
import { openFeed } from '../jobs/helpers';

const client = recordingClient();
const HOOKS = '/api/v1/webhooks';
const URL_OK = 'https://hooks.example.com/flowspark';

/** The endpoint's side: what it received, and what it answers next. */
const received: { url: string; headers: Headers; body: string }[] = [];
let answers: (() => Response)[] = [];

beforeEach(() => {
  received.length = 0;
  answers = [];
  setHostResolver(async (name) => {
    if (name === 'hooks.example.com') return ['93.184.216.34'];
    if (name === 'internal.example.com') return ['10.0.0.8'];
    throw new Error('NXDOMAIN');
  });
  setWebhookFetch(async (input, init) => {
    const request = new Request(input, init);
    received.push({ url: request.url, headers: request.headers, body: await request.text() });
    return (answers.shift() ?? (() => new Response('ok')))();
  });
});
afterEach(() => {
  setHostResolver(null);
  setWebhookFetch(null);
});

const createHook = async (tenant: TestTenant, body: Record<string, unknown> = {}) =>
  expectOk(
    await tenant.as('POST', HOOKS, { body: { url: URL_OK, event_types: ['job.done', 'billing.*'], ...body } }),
    201,
  ).body.data;

/** Emits an event through the recording queue and runs every delivery message it sent, once. */
const emit = async (tenant: TestTenant, type: string, data: Record<string, unknown> = {}) => {
  const before = client.sent.length;
  await emitTenantEvent(client.env, tenant.orgId, type, data);
  return client.sent.slice(before) as unknown as { kind: string; delivery_id: string; org_id: string }[];
};

const runMessage = async (body: unknown) => {
  const batch = createMessageBatch('flowspark-jobs', [
    { id: crypto.randomUUID(), timestamp: new Date(), attempts: 1, body },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<never>, client.env as Env, ctx);
  return getQueueResult(batch, ctx);
};

/** An independent verifier of the Standard Webhooks signature. */
const verify = async (secret: string, headers: Headers, body: string) => {
  const key = await crypto.subtle.importKey(
    'raw',
    Uint8Array.from(atob(secret.slice('whsec_'.length)), (c) => c.charCodeAt(0)),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  const signature = headers.get('webhook-signature')!.replace(/^v1,/, '');
  return crypto.subtle.verify(
    'HMAC',
    key,
    Uint8Array.from(atob(signature), (c) => c.charCodeAt(0)),
    new TextEncoder().encode(`${headers.get('webhook-id')}.${headers.get('webhook-timestamp')}.${body}`),
  );
};

describe('/webhooks', () => {
  it('creates an endpoint whose secret is shown once and kept encrypted; lists, reads, changes and deletes it', async () => {
    const tenant = await client.createTenant();
    const hook = await createHook(tenant, { description: 'CRM' });
    expect(hook).toMatchObject({
      url: URL_OK,
      description: 'CRM',
      enabled: true,
      event_types: ['job.done', 'billing.*'],
    });
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const row = await env.DB.prepare('SELECT secret_encrypted FROM webhook_endpoints WHERE id = ?')
      .bind(hook.id)
      .first<{ secret_encrypted: string }>();
    expect(row!.secret_encrypted).not.toContain(hook.secret.slice(6, 20));
    const read = expectOk(await tenant.as('GET', `${HOOKS}/${hook.id}`)).body.data;
    expect(read).not.toHaveProperty('secret');
    expect(expectOk(await tenant.as('GET', HOOKS)).body.data.map((h: any) => h.id)).toEqual([hook.id]);
    const changed = expectOk(
      await tenant.as('PUT', `${HOOKS}/${hook.id}`, { body: { event_types: ['job.failed'], enabled: false } }),
    ).body.data;
    expect(changed).toMatchObject({
      event_types: ['job.failed'],
      enabled: false,
      disabled_reason: 'Disabled by a user',
    });
    const rotated = expectOk(await tenant.as('POST', `${HOOKS}/${hook.id}/rotate-secret`)).body.data;
    expect(rotated.secret).not.toBe(hook.secret);
    expect((await tenant.as('DELETE', `${HOOKS}/${hook.id}`)).status).toBe(204);
    expectError(await tenant.as('GET', `${HOOKS}/${hook.id}`), 404, 'NOT_FOUND');
  });

  it('refuses URLs that are not https on a public host, also through DNS, naming the url field', async () => {
    const tenant = await client.createTenant();
    for (const url of [
      'http://hooks.example.com/x',
      'https://localhost/x',
      'https://127.0.0.1/x',
      'https://[::1]/x',
      'https://169.254.169.254/latest',
      'https://[::ffff:192.168.0.1]/x',
      'https://internal.example.com/x',
      'https://unknown.example.com/x',
    ]) {
      const res = expectError(
        await tenant.as('POST', HOOKS, { body: { url, event_types: ['job.done'] } }),
        400,
        'VALIDATION_ERROR',
      );
      expect(Object.keys(res.body.error.details.fields), url).toEqual(['url']);
    }
    const hook = await createHook(tenant);
    expectError(
      await tenant.as('PUT', `${HOOKS}/${hook.id}`, { body: { url: 'https://10.0.0.1/x' } }),
      400,
      'VALIDATION_ERROR',
    );
    for (const body of [
      { url: URL_OK, event_types: [] },
      { url: URL_OK, event_types: ['job.maybe'] },
      { url: URL_OK, event_types: ['job.done'], x: 1 },
    ]) {
      expectError(await tenant.as('POST', HOOKS, { body }), 400, 'VALIDATION_ERROR');
    }
  });

  it('is for owners and admins, and another organization’s endpoints are 404', async () => {
    const tenant = await client.createTenant();
    const hook = await createHook(tenant);
    const member = await addMember(tenant, 'member');
    expectError(await call('GET', HOOKS, { token: member.accessToken }), 403, 'INSUFFICIENT_SCOPE');
    const stranger = await client.createTenant();
    for (const [method, path, body] of [
      ['GET', `${HOOKS}/${hook.id}`],
      ['PUT', `${HOOKS}/${hook.id}`, { enabled: false }],
      ['DELETE', `${HOOKS}/${hook.id}`],
      ['POST', `${HOOKS}/${hook.id}/rotate-secret`],
      ['GET', `${HOOKS}/${hook.id}/deliveries`],
    ] as const) {
      expectError(await stranger.as(method, path, { body }), 404, 'NOT_FOUND');
    }
    expect(expectOk(await stranger.as('GET', HOOKS)).body.data).toEqual([]);
  });
});

describe('deliveries', () => {
  it('an event reaches each subscribed endpoint once, signed, through the queue; a redelivered message sends nothing again', async () => {
    const tenant = await client.createTenant();
    const hook = await createHook(tenant);
    await createHook(tenant, { url: 'https://hooks.example.com/other', event_types: ['job.failed'] });
    const messages = await emit(tenant, 'job.done', { job_id: 'job_1' });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ kind: 'webhook.delivery', org_id: tenant.orgId });
    await runMessage(messages[0]);
    expect(received).toHaveLength(1);
    const sent = received[0]!;
    expect(sent.url).toBe(URL_OK);
    const body = JSON.parse(sent.body);
    expect(body).toMatchObject({ type: 'job.done', data: { job_id: 'job_1' } });
    expect(sent.headers.get('webhook-id')).toBe(body.id);
    expect(Math.abs(Number(sent.headers.get('webhook-timestamp')) - Date.now() / 1000)).toBeLessThan(5);
    expect(await verify(hook.secret, sent.headers, sent.body)).toBe(true);
    expect(await verify(`whsec_${btoa('another secret of 32 bytes......')}`, sent.headers, sent.body)).toBe(false);

    await runMessage(messages[0]);
    expect(received).toHaveLength(1);
    const log = expectOk(await tenant.as('GET', `${HOOKS}/${hook.id}/deliveries`)).body.data;
    expect(log).toEqual([
      expect.objectContaining({
        event_id: body.id,
        status: 'succeeded',
        attempts: 1,
        last_status_code: 200,
        last_response: 'ok',
      }),
    ]);
    // billing.* takes billing events.
    expect(await emit(tenant, 'billing.invoice.paid')).toHaveLength(1);
    expect(await emit(tenant, 'kb.document.indexed')).toHaveLength(0);
  });

  it('failures are retried with backoff, then the delivery fails; a redirect is a failure', async () => {
    const tenant = await client.createTenant();
    const hook = await createHook(tenant);
    const [message] = await emit(tenant, 'job.done');
    answers = [
      () => new Response('no', { status: 500 }),
      () => new Response(null, { status: 302, headers: { location: 'https://127.0.0.1/' } }),
      ...Array.from({ length: 4 }, () => () => new Response('down', { status: 503 })),
    ];
    const delays: (number | null)[] = [];
    for (let i = 0; i < RETRY_DELAYS_SECONDS.length + 1; i += 1) {
      delays.push(await attemptDelivery(client.env, tenant.orgId, message!.delivery_id));
    }
    expect(delays).toEqual([...RETRY_DELAYS_SECONDS, null]);
    expect(received.map((r) => r.url)).toEqual(Array(6).fill(URL_OK));
    const [delivery] = expectOk(await tenant.as('GET', `${HOOKS}/${hook.id}/deliveries`)).body.data;
    expect(delivery).toMatchObject({ status: 'failed', attempts: 6, last_status_code: 503, next_attempt_at: null });
    expect(await attemptDelivery(client.env, tenant.orgId, message!.delivery_id)).toBeNull();
    expect(received).toHaveLength(6);
    const row = await env.DB.prepare('SELECT last_error FROM webhook_deliveries WHERE id = ?')
      .bind(message!.delivery_id)
      .first();
    expect(row).toEqual({ last_error: 'HTTP 503' });
    const redirect = await env.DB.prepare('SELECT count(*) AS n FROM webhook_deliveries WHERE id = ?')
      .bind(message!.delivery_id)
      .first();
    expect(redirect).toEqual({ n: 1 });
    expect(expectOk(await tenant.as('GET', `${HOOKS}/${hook.id}`)).body.data.consecutive_failures).toBe(6);
  });

  it(`an endpoint failing ${DISABLE_AFTER_FAILED_ATTEMPTS} attempts in a row is disabled and its admins are told`, async () => {
    const tenant = await client.createTenant();
    const hook = await createHook(tenant);
    answers = Array.from({ length: 40 }, () => () => new Response('no', { status: 500 }));
    let attempts = 0;
    while (attempts < DISABLE_AFTER_FAILED_ATTEMPTS) {
      const [message] = await emit(tenant, 'job.done');
      let next: number | null = 0;
      while (next !== null && attempts < DISABLE_AFTER_FAILED_ATTEMPTS) {
        next = await attemptDelivery(client.env, tenant.orgId, message!.delivery_id);
        attempts += 1;
      }
    }
    const disabled = expectOk(await tenant.as('GET', `${HOOKS}/${hook.id}`)).body.data;
    expect(disabled).toMatchObject({ enabled: false, consecutive_failures: DISABLE_AFTER_FAILED_ATTEMPTS });
    expect(disabled.disabled_reason).toContain('failed attempts in a row');
    expect(await emit(tenant, 'job.done')).toHaveLength(0);
    const notes = expectOk(await tenant.as('GET', '/api/v1/notifications')).body.data;
    expect(notes[0]).toMatchObject({ type: 'webhook.endpoint.disabled', data: { endpoint_id: hook.id } });
    const enabled = expectOk(await tenant.as('PUT', `${HOOKS}/${hook.id}`, { body: { enabled: true } })).body.data;
    expect(enabled).toMatchObject({ enabled: true, consecutive_failures: 0, disabled_reason: null });
  });

  it('the URL is checked again before each attempt (a name that now resolves inside is refused)', async () => {
    const tenant = await client.createTenant();
    await createHook(tenant);
    const [message] = await emit(tenant, 'job.done');
    setHostResolver(async () => ['10.0.0.9']);
    expect(await attemptDelivery(client.env, tenant.orgId, message!.delivery_id)).toBe(RETRY_DELAYS_SECONDS[0]);
    expect(received).toEqual([]);
    const row = await env.DB.prepare('SELECT last_error FROM webhook_deliveries WHERE id = ?')
      .bind(message!.delivery_id)
      .first<{ last_error: string }>();
    expect(row!.last_error).toContain('non-public address');
  });
});

describe('notifications', () => {
  it('a job’s end notifies who started it; listed, marked read, and pushed to their own feed sockets only', async () => {
    const tenant = await client.createTenant();
    const member = await addMember(tenant, 'member');
    const feed = await openFeed({ authorization: `Bearer ${tenant.accessToken}` });
    const memberFeed = await openFeed({ authorization: `Bearer ${member.accessToken}` });
    await emitTenantEvent(
      client.env,
      tenant.orgId,
      'document.ready',
      { resource_id: 'doc_1' },
      {
        notify: {
          to: [tenant.userId],
          type: 'document.ready',
          title: 'Your document is ready',
          data: { resource_id: 'doc_1' },
        },
      },
    );
    await feed.waitFor((m) => m.some((x) => x.type === 'notification'));
    const pushed = feed.messages.find((x) => x.type === 'notification')!.notification;
    expect(pushed).toMatchObject({ type: 'document.ready', title: 'Your document is ready', read_at: null });
    expect(memberFeed.messages.some((x) => x.type === 'notification')).toBe(false);

    const list = expectOk(await tenant.as('GET', '/api/v1/notifications?unread=true')).body;
    expect(list.data).toEqual([
      expect.objectContaining({ id: pushed.id, data: expect.objectContaining({ resource_id: 'doc_1' }) }),
    ]);
    expect(expectOk(await call('GET', '/api/v1/notifications', { token: member.accessToken })).body.data).toEqual([]);
    expectError(
      await call('POST', `/api/v1/notifications/${pushed.id}/read`, { token: member.accessToken }),
      404,
      'NOT_FOUND',
    );
    const read = expectOk(await tenant.as('POST', `/api/v1/notifications/${pushed.id}/read`)).body.data;
    expect(read.read_at).not.toBeNull();
    expect(expectOk(await tenant.as('GET', '/api/v1/notifications?unread=true')).body.data).toEqual([]);

    await emitTenantEvent(
      client.env,
      tenant.orgId,
      'billing.subscription.updated',
      {},
      {
        notify: { to: 'admins', type: 'billing.subscription.updated', title: 'The plan is now pro' },
      },
    );
    expect(expectOk(await tenant.as('POST', '/api/v1/notifications/read-all')).body.data).toEqual({ marked: 1 });
    expect(expectOk(await call('GET', '/api/v1/notifications', { token: member.accessToken })).body.data).toEqual([]);
    feed.ws.close();
    memberFeed.ws.close();
  });

  it('a failed job notifies its creator', async () => {
    const tenant = await client.createTenant();
    const { emitJobEnd } = await import('../../workers/lib/tenant-events');
    await emitJobEnd(client.env, {
      id: 'job_00000000000000000000000000000001',
      orgId: tenant.orgId,
      type: 'document.generate',
      status: 'error',
      progress: 0,
      attempts: 1,
      maxAttempts: 5,
      resourceType: 'document',
      resourceId: 'doc_00000000000000000000000000000001',
      input: null,
      result: null,
      errorCode: 'RENDER_FAILED',
      errorMessage: 'The document could not be rendered as PDF',
      cancelRequested: false,
      createdBy: tenant.userId,
      leaseUntil: null,
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      startedAt: null,
      finishedAt: null,
    });
    const [note] = expectOk(await tenant.as('GET', '/api/v1/notifications')).body.data;
    expect(note).toMatchObject({
      type: 'job.failed',
      body: 'The document could not be rendered as PDF',
      data: expect.objectContaining({ error_code: 'RENDER_FAILED', job_id: 'job_00000000000000000000000000000001' }),
    });
  });
});
