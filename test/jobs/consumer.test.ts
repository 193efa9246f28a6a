import { claimJob, DEFAULT_LEASE_SECONDS } from '@flowspark/jobs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { registerJobHandler } from '../../workers/jobs/registry';
import { createTenant, env, ISO_TIME } from '../helpers/harness';
import { db, deliver, failures, gate, messageFor, newScriptJob, openFeed, readJob, runs, sleep } from './helpers';

describe('queue consumer', () => {
  it('runs a job: running, progress events, done with its result, on the tenant feed', async () => {
    const tenant = await createTenant();
    const feed = await openFeed({ authorization: `Bearer ${tenant.accessToken}` });
    const job = await newScriptJob(tenant.orgId, { progress: [30, 60] });

    const outcome = await deliver(messageFor(job));
    expect(outcome).toMatchObject({ acked: true, retried: false });
    const row = await readJob(job.id);
    expect(row).toMatchObject({ status: 'done', progress: 100, attempts: 1, error_code: null, lease_until: null });
    expect(JSON.parse(row.result)).toEqual({ ok: true, attempt: 1 });
    expect(row.started_at).toMatch(ISO_TIME);
    expect(row.finished_at).toMatch(ISO_TIME);
    expect(row.finished_at >= row.started_at).toBe(true);

    await feed.waitFor(() => feed.events().some((e) => e.status === 'done'));
    const events = feed.events().filter((e) => e.job_id === job.id);
    expect(events.map((e) => [e.type, e.status, e.progress])).toEqual([
      ['job.status', 'running', 0],
      ['job.progress', 'running', 30],
      ['job.progress', 'running', 60],
      ['job.status', 'done', 100],
    ]);
    expect(events[1]).toMatchObject({ message: 'step 30', resource_type: 'document', resource_id: job.resourceId });
    const ids = events.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(4);
    expect(typeof events[0]!.at).toBe('string');
    feed.ws.close();
  });

  it('is idempotent: a redelivered message is acknowledged without running the job again', async () => {
    const tenant = await createTenant();
    const job = await newScriptJob(tenant.orgId);
    expect(await deliver(messageFor(job))).toMatchObject({ acked: true });
    const first = await readJob(job.id);
    expect(await deliver(messageFor(job), { attempts: 2 })).toMatchObject({ acked: true, retried: false });
    expect(runs.get(job.id)).toBe(1);
    expect(await readJob(job.id)).toEqual(first);
  });

  it('accepts a message in the shape queued before the rename, { job_id, tenant_id }, and runs its job', async () => {
    const tenant = await createTenant();
    const job = await newScriptJob(tenant.orgId);

    expect(await deliver({ job_id: job.id, tenant_id: tenant.orgId })).toEqual({
      acked: true,
      retried: false,
      delaySeconds: undefined,
    });
    expect(runs.get(job.id)).toBe(1);
    const row = await readJob(job.id);
    expect(row).toMatchObject({ status: 'done', progress: 100, attempts: 1, error_code: null });
    expect(JSON.parse(row.result)).toEqual({ ok: true, attempt: 1 });
    // The old field names the tenant as strictly as the new one: another tenant's id runs nothing.
    const other = await createTenant();
    const foreign = await newScriptJob(tenant.orgId);
    expect(await deliver({ job_id: foreign.id, tenant_id: other.orgId })).toMatchObject({ acked: true });
    expect(await readJob(foreign.id)).toMatchObject({ status: 'queued', attempts: 0 });
    expect(runs.get(foreign.id)).toBeUndefined();
  });

  it('two concurrent deliveries: one runs, the other comes back after the lease', async () => {
    const tenant = await createTenant();
    const name = `concurrent-${crypto.randomUUID()}`;
    const entry = gate(name);
    const job = await newScriptJob(tenant.orgId, { gate: name });

    const first = deliver(messageFor(job));
    for (let i = 0; i < 100 && !entry.entered; i++) await sleep(10);
    expect(entry.entered).toBe(true);
    const second = await deliver(messageFor(job));
    expect(second.retried).toBe(true);
    expect(second.delaySeconds).toBeGreaterThanOrEqual(DEFAULT_LEASE_SECONDS - 5);
    entry.release();
    expect(await first).toMatchObject({ acked: true });
    expect(runs.get(job.id)).toBe(1);
    expect((await readJob(job.id)).status).toBe('done');
    // The retried duplicate finds the job finished.
    expect(await deliver(messageFor(job), { attempts: 2 })).toMatchObject({ acked: true, retried: false });
    expect(runs.get(job.id)).toBe(1);
  });

  it('retries a transient failure with backoff, keeping the error visible, then succeeds', async () => {
    const tenant = await createTenant();
    const feed = await openFeed({ authorization: `Bearer ${tenant.apiKey}` });
    const job = await newScriptJob(tenant.orgId, { fail_attempts: 2 });

    const first = await deliver(messageFor(job));
    expect(first).toMatchObject({ acked: false, retried: true });
    expect(first.delaySeconds).toBeGreaterThanOrEqual(5);
    expect(first.delaySeconds).toBeLessThanOrEqual(10);
    expect(await readJob(job.id)).toMatchObject({
      status: 'queued',
      attempts: 1,
      error_code: 'FLAKY_UPSTREAM',
      error_message: 'The upstream service is busy',
      lease_until: null,
    });

    const second = await deliver(messageFor(job), { attempts: 2 });
    expect(second.retried).toBe(true);
    expect(second.delaySeconds).toBeGreaterThanOrEqual(10);
    expect(second.delaySeconds).toBeLessThanOrEqual(20);

    expect(await deliver(messageFor(job), { attempts: 3 })).toMatchObject({ acked: true, retried: false });
    expect(await readJob(job.id)).toMatchObject({ status: 'done', attempts: 3, error_code: null, error_message: null });
    expect(runs.get(job.id)).toBe(3);

    await feed.waitFor(() => feed.events().some((e) => e.job_id === job.id && e.status === 'done'));
    const statuses = feed
      .events()
      .filter((e) => e.job_id === job.id)
      .map((e) => e.status);
    expect(statuses).toEqual(['running', 'queued', 'running', 'queued', 'running', 'done']);
    expect(feed.events().find((e) => e.status === 'queued')).toMatchObject({ error_code: 'FLAKY_UPSTREAM' });
    feed.ws.close();
  });

  it('retries a retryable AI provider error', async () => {
    const tenant = await createTenant();
    const job = await newScriptJob(tenant.orgId, { ai_fail_attempts: 1 });
    expect(await deliver(messageFor(job))).toMatchObject({ retried: true });
    expect(await readJob(job.id)).toMatchObject({ status: 'queued', error_code: 'INTERNAL_ERROR' });
    expect(await deliver(messageFor(job), { attempts: 2 })).toMatchObject({ acked: true });
    expect((await readJob(job.id)).status).toBe('done');
  });

  it('fails a permanent error at once with its code: acknowledged, not retried', async () => {
    const tenant = await createTenant();
    const job = await newScriptJob(tenant.orgId, { permanent: true });
    expect(await deliver(messageFor(job))).toMatchObject({ acked: true, retried: false });
    expect(await readJob(job.id)).toMatchObject({
      status: 'error',
      attempts: 1,
      error_code: 'BAD_TEMPLATE',
      error_message: 'The template has no body',
    });
    expect(failures.get(job.id)).toBe('error');
    expect(runs.get(job.id)).toBe(1);
  });

  it('an unexpected error fails the job with INTERNAL_ERROR and never shows its message', async () => {
    const tenant = await createTenant();
    const job = await newScriptJob(tenant.orgId, { internal: true });
    expect(await deliver(messageFor(job))).toMatchObject({ acked: true, retried: false });
    const row = await readJob(job.id);
    expect(row).toMatchObject({ status: 'error', error_code: 'INTERNAL_ERROR' });
    expect(row.error_message).not.toContain('hunter2');
    const res = await tenant.as('GET', `/api/v1/jobs/${job.id}`);
    expect(JSON.stringify(res.body)).not.toContain('hunter2');
  });

  it('gives up with RETRIES_EXHAUSTED when the attempts run out', async () => {
    const tenant = await createTenant();
    const job = await newScriptJob(tenant.orgId, { fail_attempts: 99 }, { maxAttempts: 2 });
    expect(await deliver(messageFor(job))).toMatchObject({ retried: true });
    expect(await deliver(messageFor(job), { attempts: 2 })).toMatchObject({ acked: true, retried: false });
    const row = await readJob(job.id);
    expect(row).toMatchObject({ status: 'error', attempts: 2, error_code: 'RETRIES_EXHAUSTED' });
    expect(row.error_message).toContain('The upstream service is busy');
    expect(failures.get(job.id)).toBe('error');
  });

  it('the dead-letter queue marks the job RETRIES_EXHAUSTED, and leaves finished jobs alone', async () => {
    const tenant = await createTenant();
    const feed = await openFeed({ authorization: `Bearer ${tenant.accessToken}` });
    const job = await newScriptJob(tenant.orgId);
    expect(await deliver(messageFor(job), { queue: 'flowspark-jobs-dlq', attempts: 6 })).toMatchObject({
      acked: true,
    });
    expect(await readJob(job.id)).toMatchObject({ status: 'error', error_code: 'RETRIES_EXHAUSTED' });
    expect(runs.get(job.id)).toBeUndefined();
    expect(failures.get(job.id)).toBe('error');
    await feed.waitFor(() => feed.events().some((e) => e.job_id === job.id));
    expect(feed.events().find((e) => e.job_id === job.id)).toMatchObject({
      type: 'job.status',
      status: 'error',
      error_code: 'RETRIES_EXHAUSTED',
    });

    const done = await newScriptJob(tenant.orgId);
    await deliver(messageFor(done));
    expect(await deliver(messageFor(done), { queue: 'flowspark-jobs-dlq' })).toMatchObject({ acked: true });
    expect((await readJob(done.id)).status).toBe('done');
    feed.ws.close();
  });

  it('a dead-lettered duplicate does not fail a job that a live delivery is running', async () => {
    const tenant = await createTenant();
    const job = await newScriptJob(tenant.orgId);
    expect(await claimJob(db(), job.id)).toMatchObject({ id: job.id, status: 'running', attempts: 1 });
    expect(await deliver(messageFor(job), { queue: 'flowspark-jobs-dlq' })).toMatchObject({ acked: true });
    expect((await readJob(job.id)).status).toBe('running');
  });

  it('an unknown job type fails with UNKNOWN_JOB_TYPE', async () => {
    const tenant = await createTenant();
    const job = await newScriptJob(tenant.orgId, {}, { type: 'no.such.type' });
    expect(await deliver(messageFor(job))).toMatchObject({ acked: true, retried: false });
    expect(await readJob(job.id)).toMatchObject({ status: 'error', error_code: 'UNKNOWN_JOB_TYPE' });
  });

  it("invalid input for the handler's schema fails with INVALID_JOB_INPUT", async () => {
    const tenant = await createTenant();
    const type = `test.typed.${crypto.randomUUID()}`;
    const typedRuns: string[] = [];
    registerJobHandler(type, async () => ({
      type,
      input: z.object({ title: z.string().min(1) }),
      run: async (ctx) => {
        typedRuns.push((ctx.input as { title: string }).title);
        return {};
      },
    }));
    const bad = await newScriptJob(tenant.orgId, {}, { type, input: { title: 42 } });
    expect(await deliver(messageFor(bad))).toMatchObject({ acked: true });
    const row = await readJob(bad.id);
    expect(row).toMatchObject({ status: 'error', error_code: 'INVALID_JOB_INPUT' });
    expect(row.error_message).toContain('title');
    const good = await newScriptJob(tenant.orgId, {}, { type, input: { title: 'Report' } });
    await deliver(messageFor(good));
    expect((await readJob(good.id)).status).toBe('done');
    expect(typedRuns).toEqual(['Report']);
  });

  it("drops malformed messages and messages naming another tenant's job", async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const job = await newScriptJob(tenant.orgId);
    for (const body of [null, 'x', { job_id: job.id }, { job_id: 'nope', org_id: tenant.orgId }]) {
      expect(await deliver(body)).toMatchObject({ acked: true, retried: false });
    }
    expect(await deliver({ job_id: job.id, org_id: other.orgId })).toMatchObject({ acked: true });
    expect(await readJob(job.id)).toMatchObject({ status: 'queued', attempts: 0 });
    expect(runs.get(job.id)).toBeUndefined();
  });

  it('a job whose lease expired is taken over by the next delivery, fencing out the old one', async () => {
    const tenant = await createTenant();
    const job = await newScriptJob(tenant.orgId);
    const stale = await claimJob(db(), job.id);
    expect(stale?.attempts).toBe(1);
    await env.DB.prepare('UPDATE jobs SET lease_until = ? WHERE id = ?')
      .bind(new Date(Date.now() - 1000).toISOString(), job.id)
      .run();
    expect(await deliver(messageFor(job))).toMatchObject({ acked: true });
    expect(await readJob(job.id)).toMatchObject({ status: 'done', attempts: 2 });
    expect(runs.get(job.id)).toBe(1);
  });
});
