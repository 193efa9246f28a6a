import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { claimJob } from '@flowspark/jobs';
import { describe, expect, it } from 'vitest';
import worker from '../../workers/jobs-main';
import { createTenant, env } from '../helpers/harness';
import { db, eventually, failures, newScriptJob, openFeed, readJob, runs } from './helpers';

const runCron = async () => {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: '*/5 * * * *' }), env, ctx);
  await waitOnExecutionContext(ctx);
};

const expireLease = (id: string) =>
  env.DB.prepare('UPDATE jobs SET lease_until = ? WHERE id = ?')
    .bind(new Date(Date.now() - 60_000).toISOString(), id)
    .run();

const doneOrError = async (id: string) => {
  const row = await readJob(id);
  return row.status === 'done' || row.status === 'error' ? row : undefined;
};

describe('stuck job recovery (cron)', () => {
  it('requeues a running job whose lease expired and sends it again; the retry finishes it', async () => {
    const tenant = await createTenant();
    const feed = await openFeed({ authorization: `Bearer ${tenant.accessToken}` });
    const job = await newScriptJob(tenant.orgId);
    await claimJob(db(), job.id);
    await expireLease(job.id);
    await runCron();
    await feed.waitFor(() => feed.events().some((e) => e.job_id === job.id && e.status === 'queued'));
    expect(feed.events().find((e) => e.status === 'queued')).toMatchObject({ error_code: 'LEASE_EXPIRED' });

    // The queue delivers the new message to the consumer, which runs it as attempt 2.
    const row = await eventually(() => doneOrError(job.id));
    expect(row).toMatchObject({ status: 'done', attempts: 2, error_code: null });
    expect(runs.get(job.id)).toBe(1);
    feed.ws.close();
  });

  it('fails a stuck job with no attempts left: DEADLINE_EXCEEDED', async () => {
    const tenant = await createTenant();
    const job = await newScriptJob(tenant.orgId, {}, { maxAttempts: 1 });
    await claimJob(db(), job.id);
    await expireLease(job.id);
    await runCron();
    expect(await readJob(job.id)).toMatchObject({ status: 'error', error_code: 'DEADLINE_EXCEEDED' });
    expect(failures.get(job.id)).toBe('error');
  });

  it('leaves running jobs with a live lease alone', async () => {
    const tenant = await createTenant();
    const job = await newScriptJob(tenant.orgId);
    const claimed = await claimJob(db(), job.id);
    await runCron();
    expect(await readJob(job.id)).toMatchObject({ status: 'running', attempts: 1, lease_until: claimed!.leaseUntil });
  });

  it('ends a stuck job whose cancellation was requested as cancelled', async () => {
    const tenant = await createTenant();
    const job = await newScriptJob(tenant.orgId);
    await claimJob(db(), job.id);
    await env.DB.prepare('UPDATE jobs SET cancel_requested = 1 WHERE id = ?').bind(job.id).run();
    await expireLease(job.id);
    await runCron();
    expect((await readJob(job.id)).status).toBe('cancelled');
  });

  it('re-enqueues a queued job whose message was lost, and gives up on one queued for a day', async () => {
    const tenant = await createTenant();
    const lost = await newScriptJob(tenant.orgId);
    const old = new Date(Date.now() - 20 * 60_000).toISOString();
    await env.DB.prepare('UPDATE jobs SET updated_at = ?, created_at = ? WHERE id = ?').bind(old, old, lost.id).run();
    const ancient = await newScriptJob(tenant.orgId);
    const dayOld = new Date(Date.now() - 25 * 3600_000).toISOString();
    await env.DB.prepare('UPDATE jobs SET updated_at = ?, created_at = ? WHERE id = ?')
      .bind(dayOld, dayOld, ancient.id)
      .run();
    const fresh = await newScriptJob(tenant.orgId);

    await runCron();
    expect(await readJob(ancient.id)).toMatchObject({ status: 'error', error_code: 'DEADLINE_EXCEEDED' });
    expect(await eventually(() => doneOrError(lost.id))).toMatchObject({ status: 'done', attempts: 1 });
    expect(await readJob(fresh.id)).toMatchObject({ status: 'queued', attempts: 0 });
  });
});
