import { describe, expect, it } from 'vitest';
import { addMember, call, createTenant, expectError, expectOk } from '../helpers/harness';
import { openFeed } from '../jobs/helpers';
import { AGENTS, runEnded, runToEnd, startRun } from './helpers';

/** A cheap run: a knowledge-base question on an empty knowledge base asks no model and ends at once. */
const QUICK = { request: 'What is our dress code?', route: 'kb_query' };

describe('agent runs: tenancy, credentials, scopes and input', () => {
  it("another organization's run is 404 NOT_FOUND, and absent from its list", async () => {
    const owner = await createTenant();
    const other = await createTenant();
    const run = await runToEnd(owner, QUICK);
    const res = expectError(await other.as('GET', `${AGENTS}/runs/${run.id}`), 404, 'NOT_FOUND');
    expect(res.body.error.message).toBe('Agent run not found');
    expect(expectOk(await other.as('GET', `${AGENTS}/runs`)).body.data).toEqual([]);
    // The same id through the owner's API key: found.
    expect(expectOk(await call('GET', `${AGENTS}/runs/${run.id}`, { token: owner.apiKey })).body.data.id).toBe(run.id);
    expectError(await owner.as('GET', `${AGENTS}/runs/agr_00000000000000000000000000000000`), 404, 'NOT_FOUND');
  });

  it('no credentials: 401', async () => {
    expectError(await call('POST', `${AGENTS}/run`, { body: QUICK }), 401, 'UNAUTHENTICATED');
    expectError(await call('GET', `${AGENTS}/runs`), 401, 'UNAUTHENTICATED');
    expectError(await call('GET', `${AGENTS}/runs/agr_00000000000000000000000000000000`), 401, 'UNAUTHENTICATED');
  });

  it('a viewer, or an API key without agents:write, reads runs but cannot start one (403)', async () => {
    const tenant = await createTenant();
    const run = await runToEnd(tenant, QUICK);
    const viewer = await addMember(tenant, 'viewer');
    expectError(
      await call('POST', `${AGENTS}/run`, { token: viewer.accessToken, body: QUICK }),
      403,
      'INSUFFICIENT_SCOPE',
    );
    expect(expectOk(await call('GET', `${AGENTS}/runs/${run.id}`, { token: viewer.accessToken })).body.data.id).toBe(
      run.id,
    );
    const key = expectOk(
      await tenant.as('POST', '/api/v1/api-keys', { body: { name: 'reader', scopes: ['agents:read'] } }),
      201,
    ).body.data.key;
    expectError(await call('POST', `${AGENTS}/run`, { token: key, body: QUICK }), 403, 'INSUFFICIENT_SCOPE');
    expect(expectOk(await call('GET', `${AGENTS}/runs`, { token: key })).body.pagination.total).toBe(1);
    // A member has both scopes.
    const member = await addMember(tenant, 'member');
    const started = expectOk(await call('POST', `${AGENTS}/run`, { token: member.accessToken, body: QUICK }), 202);
    expect(started.body.data.created_by).toBe(member.userId);
    await runEnded(tenant, started.body.data.id);
  });

  it('an invalid body is 400 VALIDATION_ERROR naming the field', async () => {
    const tenant = await createTenant();
    const cases: Array<[unknown, string]> = [
      [{}, 'request'],
      [{ request: '   ' }, 'request'],
      [{ request: 'x'.repeat(4001) }, 'request'],
      [{ request: 'Draw a logo', route: 'video' }, 'route'],
      [{ request: 'Draw a logo', format: 'pdf' }, '(body)'],
    ];
    for (const [body, field] of cases) {
      const res = expectError(await tenant.as('POST', `${AGENTS}/run`, { body }), 400, 'VALIDATION_ERROR');
      expect(Object.keys(res.body.error.details.fields), JSON.stringify(body)).toEqual([field]);
    }
    const unknown = expectError(
      await tenant.as('POST', `${AGENTS}/run`, { body: { request: 'Draw a logo', format: 'pdf' } }),
      400,
      'VALIDATION_ERROR',
    );
    expect(unknown.body.error.details.fields['(body)']).toEqual(['Unknown field(s): format']);
    expectError(
      await tenant.as('POST', `${AGENTS}/run`, {
        rawBody: '{"request":',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'MALFORMED_JSON',
    );
    expectError(await tenant.as('GET', `${AGENTS}/runs/not-an-id`), 400, 'VALIDATION_ERROR');
    expect(expectOk(await tenant.as('GET', `${AGENTS}/runs`)).body.pagination.total).toBe(0);
  });

  it('the live feed receives agent.status events for each step and the end', async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const feed = await openFeed({ authorization: `Bearer ${tenant.accessToken}` });
    const otherFeed = await openFeed({ authorization: `Bearer ${other.accessToken}` });
    expect(feed.status).toBe(101);
    await feed.waitFor((m) => m.some((x) => x.type === 'ready'));
    await otherFeed.waitFor((m) => m.some((x) => x.type === 'ready'));

    const queued = await startRun(tenant, { request: 'Draw a logo for a bakery' });
    const isEnd = (x: Record<string, any>) =>
      x.type === 'agent.status' && x.run_id === queued.id && x.status === 'done';
    await feed.waitFor((m) => m.some(isEnd), 20_000);
    const events = feed.messages.filter((x) => x.type === 'agent.status' && x.run_id === queued.id);
    expect(events.map((e) => [e.status, e.step_id])).toEqual([
      ['running', 'parse_intent'],
      ['running', 'image_agent'],
      ['running', 'validate'],
      ['done', 'end'],
    ]);
    expect(events.map((e) => e.progress)).toEqual([0, 33, 66, 100]);
    expect(events[1]).toMatchObject({
      message: 'Generating the image',
      id: expect.any(Number),
      at: expect.any(String),
    });
    // Another organization's feed hears nothing of it.
    expect(otherFeed.messages.filter((x) => x.type === 'agent.status')).toEqual([]);
    feed.ws.close();
    otherFeed.ws.close();
  });

  it('a run that fails publishes its end with the error code', async () => {
    const tenant = await createTenant();
    const feed = await openFeed({ authorization: `Bearer ${tenant.accessToken}` });
    await feed.waitFor((m) => m.some((x) => x.type === 'ready'));
    const { leaveAvailable } = await import('./helpers');
    const { firstCallEstimate } = await import('@flowspark/agents');
    await leaveAvailable(tenant.orgId, firstCallEstimate('Draw a logo') + 50);
    const queued = await startRun(tenant, { request: 'Draw a logo' });
    await feed.waitFor((m) => m.some((x) => x.run_id === queued.id && x.status === 'error'), 20_000);
    expect(feed.messages.find((x) => x.run_id === queued.id && x.status === 'error')).toMatchObject({
      type: 'agent.status',
      step_id: 'image_agent',
      progress: 100,
      error_code: 'INSUFFICIENT_TOKENS',
    });
    feed.ws.close();
  });
});
