import { describe, expect, it } from 'vitest';
import { addMember, call, createTenant, expectOk, ISO_TIME } from '../helpers/harness';
import { deliver, eventually, failures, gate, messageFor, newScriptJob, openFeed, readJob, runs } from './helpers';

const cancelPath = (id: string) => `/api/v1/jobs/${id}/cancel`;

describe('POST /jobs/{id}/cancel', () => {
  it('cancels a queued job at once; its message is then dropped without running it', async () => {
    const tenant = await createTenant();
    const feed = await openFeed({ authorization: `Bearer ${tenant.accessToken}` });
    const job = await newScriptJob(tenant.orgId);
    const res = expectOk(await tenant.as('POST', cancelPath(job.id)), 200);
    expect(res.body.data).toMatchObject({ id: job.id, status: 'cancelled', cancel_requested: true });
    expect(res.body.data.finished_at).toMatch(ISO_TIME);
    expect(failures.get(job.id)).toBe('cancelled');
    await feed.waitFor(() => feed.events().some((e) => e.job_id === job.id));
    expect(feed.events().find((e) => e.job_id === job.id)).toMatchObject({ type: 'job.status', status: 'cancelled' });

    expect(await deliver(messageFor(job))).toMatchObject({ acked: true, retried: false });
    expect(runs.get(job.id)).toBeUndefined();
    expect((await readJob(job.id)).status).toBe('cancelled');
    feed.ws.close();
  });

  it('asks a running job to stop: the handler sees isCancelled and the job ends cancelled', async () => {
    const tenant = await createTenant();
    const job = await newScriptJob(tenant.orgId, { wait_for_cancel: true });
    const delivery = deliver(messageFor(job));
    await eventually(async () => ((await readJob(job.id)).status === 'running' ? true : undefined));

    const res = expectOk(await tenant.as('POST', cancelPath(job.id)), 202);
    expect(res.body.data).toMatchObject({ status: 'running', cancel_requested: true });
    expect(await delivery).toMatchObject({ acked: true, retried: false });
    const row = await readJob(job.id);
    expect(row).toMatchObject({ status: 'cancelled', cancel_requested: 1, result: null });
    expect(failures.get(job.id)).toBe('cancelled');
    // Cancelling again is a conflict: the job has ended.
    const again = await tenant.as('POST', cancelPath(job.id));
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'CONFLICT', details: { status: 'cancelled' } });
  });

  it('a running job that reports progress is stopped by it', async () => {
    const tenant = await createTenant();
    const name = `cancel-${crypto.randomUUID()}`;
    const entry = gate(name);
    const job = await newScriptJob(tenant.orgId, { gate: name, progress: [10, 20, 30] });
    const delivery = deliver(messageFor(job));
    await eventually(() => (entry.entered ? true : undefined));
    expectOk(await tenant.as('POST', cancelPath(job.id)), 202);
    entry.release();
    expect(await delivery).toMatchObject({ acked: true });
    const row = await readJob(job.id);
    expect(row).toMatchObject({ status: 'cancelled', progress: 10 });
  });

  it('refuses finished jobs with 409, unknown and foreign jobs with 404', async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const done = await newScriptJob(tenant.orgId);
    await deliver(messageFor(done));
    const res = await tenant.as('POST', cancelPath(done.id));
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('CONFLICT');
    expect((await readJob(done.id)).status).toBe('done');

    const foreign = await newScriptJob(other.orgId);
    const notMine = await tenant.as('POST', cancelPath(foreign.id));
    expect(notMine.status).toBe(404);
    expect(notMine.body.error.code).toBe('NOT_FOUND');
    expect((await readJob(foreign.id)).status).toBe('queued');
    expect((await tenant.as('POST', cancelPath(`job_${'0'.repeat(32)}`))).status).toBe(404);
    const invalid = await tenant.as('POST', cancelPath('not-an-id'));
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('VALIDATION_ERROR');
  });

  it('needs authentication and jobs:write (viewers and read-only keys cannot cancel)', async () => {
    const tenant = await createTenant();
    const job = await newScriptJob(tenant.orgId);
    expect((await call('POST', cancelPath(job.id))).status).toBe(401);
    const viewer = await addMember(tenant, 'viewer');
    const asViewer = await call('POST', cancelPath(job.id), { token: viewer.accessToken });
    expect(asViewer.status).toBe(403);
    expect(asViewer.body.error).toMatchObject({
      code: 'INSUFFICIENT_SCOPE',
      details: { required_scope: 'jobs:write' },
    });
    const key = expectOk(
      await tenant.as('POST', '/api/v1/api-keys', { body: { name: 'read', scopes: ['jobs:read'] } }),
      201,
    ).body.data.key;
    expect((await call('POST', cancelPath(job.id), { token: key })).status).toBe(403);
    expect((await readJob(job.id)).status).toBe('queued');
    const member = await addMember(tenant, 'member');
    expectOk(await call('POST', cancelPath(job.id), { token: member.accessToken }), 200);
  });
});
