import { describe, expect, it } from 'vitest';
import { addMember, call, createTenant, env, expectOk, pagination } from '../helpers/harness';
import { deliver, messageFor, newScriptJob } from './helpers';

const JOBS = '/api/v1/jobs';

/** Distinct creation times, oldest first, so the order does not hinge on the clock's resolution. */
const age = async (ids: string[]) => {
  const base = Date.now() - 60_000;
  for (const [i, id] of ids.entries()) {
    await env.DB.prepare('UPDATE jobs SET created_at = ? WHERE id = ?')
      .bind(new Date(base + i * 1000).toISOString(), id)
      .run();
  }
};

describe('GET /jobs', () => {
  it('lists the tenant’s jobs newest first, paginated, with filters', async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const a = await newScriptJob(tenant.orgId);
    const b = await newScriptJob(tenant.orgId, { permanent: true }, { type: 'test.script' });
    const c = await newScriptJob(
      tenant.orgId,
      {},
      { type: 'test.other', resourceId: 'doc_0123456789abcdef0123456789abcdef' },
    );
    await newScriptJob(other.orgId);
    await age([a.id, b.id, c.id]);
    await deliver(messageFor(b));

    const first = expectOk(await tenant.as('GET', `${JOBS}?page_size=2`));
    expect(first.body.data.map((j: { id: string }) => j.id)).toEqual([c.id, b.id]);
    expect(first.body.pagination).toEqual(pagination(3, 1, 2));
    expect(first.body.data[1]).toEqual({
      id: b.id,
      type: 'test.script',
      status: 'error',
      progress: 0,
      attempts: 1,
      max_attempts: 5,
      resource_type: 'document',
      resource_id: b.resourceId,
      result: null,
      error_code: 'BAD_TEMPLATE',
      error_message: 'The template has no body',
      cancel_requested: false,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      started_at: expect.any(String),
      finished_at: expect.any(String),
    });
    expect(first.body.data[0]).not.toHaveProperty('input');
    const second = expectOk(await tenant.as('GET', `${JOBS}?page_size=2&page=2`));
    expect(second.body.data.map((j: { id: string }) => j.id)).toEqual([a.id]);

    const ids = async (query: string) =>
      expectOk(await tenant.as('GET', `${JOBS}?${query}`)).body.data.map((j: { id: string }) => j.id);
    expect(await ids('status=error')).toEqual([b.id]);
    expect(await ids('status=queued')).toEqual([c.id, a.id]);
    expect(await ids('type=test.other')).toEqual([c.id]);
    expect(await ids(`resource_id=${a.resourceId}`)).toEqual([a.id]);
    expect(await ids('status=done')).toEqual([]);
  });

  it('refuses invalid queries', async () => {
    const tenant = await createTenant();
    for (const query of ['status=finished', 'page=0', 'page_size=101', 'sort=created_at', 'type=']) {
      const res = await tenant.as('GET', `${JOBS}?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
    }
  });

  it('needs authentication and jobs:read; viewers may read', async () => {
    const tenant = await createTenant();
    const job = await newScriptJob(tenant.orgId);
    expect((await call('GET', JOBS)).status).toBe(401);
    expect((await call('GET', JOBS, { token: 'fsk_not_a_real_key_at_all_0000000000000000' })).status).toBe(401);
    const key = expectOk(
      await tenant.as('POST', '/api/v1/api-keys', { body: { name: 'narrow', scopes: ['profile:read'] } }),
      201,
    ).body.data.key;
    const res = await call('GET', JOBS, { token: key });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'INSUFFICIENT_SCOPE', details: { required_scope: 'jobs:read' } });
    const viewer = await addMember(tenant, 'viewer');
    const list = expectOk(await call('GET', JOBS, { token: viewer.accessToken }));
    expect(list.body.data.map((j: { id: string }) => j.id)).toEqual([job.id]);
    // A free tenant's user may spend half of the tenant's 120 per minute.
    expect(list.headers.get('ratelimit-limit')).toBe('60');
  });
});

describe('GET /jobs/{id}', () => {
  it('returns the job; another tenant’s job is 404', async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const job = await newScriptJob(tenant.orgId, { progress: [50] });
    await deliver(messageFor(job));
    const res = expectOk(await tenant.as('GET', `${JOBS}/${job.id}`));
    expect(res.body.data).toMatchObject({
      id: job.id,
      status: 'done',
      progress: 100,
      result: { ok: true, attempt: 1 },
      error_code: null,
    });
    const foreign = await call('GET', `${JOBS}/${job.id}`, { token: other.accessToken });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('NOT_FOUND');
    expect((await tenant.as('GET', `${JOBS}/job_${'f'.repeat(32)}`)).status).toBe(404);
    expect((await tenant.as('GET', `${JOBS}/JOB-1`)).status).toBe(400);
    expect((await call('GET', `${JOBS}/${job.id}`)).status).toBe(401);
  });
});
