import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { Env } from '../../workers/env';
import { runScheduledWorkflows } from '../../workers/jobs/workflow-schedules';
import { call, createTenant, expectError, expectOk } from '../helpers/harness';
import { createWorkflow, EXECUTIONS, WORKFLOWS, waitForExecution } from './helpers';

const NOTIFY = [{ id: 'tell', type: 'notify', title: 'Hello {{input.name}} via {{execution.trigger}}' }];
const hook = (id: string) => `/api/v1/hooks/workflows/${id}`;

describe('workflow triggers', () => {
  it('webhook: the secret is shown once, checked on every call, and rotated', async () => {
    const tenant = await createTenant();
    const workflow = await createWorkflow(tenant, {
      definition: { steps: NOTIFY },
      variables: [{ name: 'name', type: 'string', required: true }],
      triggers: [{ type: 'webhook' }],
    });
    expect(workflow.webhook.url).toMatch(new RegExp(`/api/v1/hooks/workflows/${workflow.id}$`));
    const secret = workflow.webhook.secret as string;
    expect(secret).toMatch(/^wfh_/);
    expect(expectOk(await tenant.as('GET', `${WORKFLOWS}/${workflow.id}`)).body.data.webhook).toEqual({
      url: workflow.webhook.url,
    });

    expectError(await call('POST', hook(workflow.id), { body: { name: 'Ada' } }), 401, 'UNAUTHENTICATED');
    expectError(
      await call('POST', hook(workflow.id), { body: { name: 'Ada' }, headers: { 'x-workflow-secret': 'wfh_nope' } }),
      401,
      'UNAUTHENTICATED',
    );
    expectError(
      await call('POST', hook(`wfl_${'0'.repeat(32)}`), { headers: { 'x-workflow-secret': secret } }),
      404,
      'NOT_FOUND',
    );
    const bad = expectError(
      await call('POST', hook(workflow.id), { body: { name: 3 }, headers: { 'x-workflow-secret': secret } }),
      400,
      'VALIDATION_ERROR',
    );
    expect(Object.keys(bad.body.error.details.fields)).toEqual(['input.name']);

    const started = expectOk(
      await call('POST', hook(workflow.id), { body: { name: 'Ada' }, headers: { authorization: `Bearer ${secret}` } }),
      202,
    ).body.data;
    const done = await waitForExecution(tenant, started.execution_id);
    expect(done).toMatchObject({ status: 'done', trigger: 'webhook', input: { name: 'Ada' }, created_by: null });
    const notes = expectOk(await tenant.as('GET', '/api/v1/notifications')).body.data;
    // A webhook run acts for the workflow's creator.
    expect(notes.some((n: any) => n.title === 'Hello Ada via webhook')).toBe(true);

    // Manual runs need a manual trigger.
    const refused = expectError(
      await tenant.as('POST', `${WORKFLOWS}/${workflow.id}/run`, { body: {} }),
      409,
      'CONFLICT',
    );
    expect(refused.body.error.details.reason).toBe('TRIGGER_NOT_ENABLED');

    const rotated = expectOk(await tenant.as('POST', `${WORKFLOWS}/${workflow.id}/webhook-secret`)).body.data;
    expect(rotated.webhook.secret).not.toBe(secret);
    expectError(
      await call('POST', hook(workflow.id), { body: { name: 'Ada' }, headers: { 'x-workflow-secret': secret } }),
      401,
      'UNAUTHENTICATED',
    );
    expectOk(
      await call('POST', hook(workflow.id), {
        body: { name: 'Bo' },
        headers: { 'x-workflow-secret': rotated.webhook.secret },
      }),
      202,
    );

    // Another tenant's workflow with a webhook trigger answers 404 without its secret mattering.
    const other = await createTenant();
    const manual = await createWorkflow(other, { definition: { steps: NOTIFY } });
    expectError(await call('POST', hook(manual.id), { headers: { 'x-workflow-secret': secret } }), 404, 'NOT_FOUND');
    expectError(await other.as('POST', `${WORKFLOWS}/${manual.id}/webhook-secret`), 409, 'CONFLICT');
  });

  it('cron: a due schedule starts one execution with its input, then moves to its next time', async () => {
    const tenant = await createTenant();
    const workflow = await createWorkflow(tenant, {
      definition: { steps: NOTIFY },
      triggers: [{ type: 'manual' }, { type: 'cron', schedule: '0 9 * * *', input: { name: 'cron' } }],
    });
    const schedule = await env.DB.prepare('SELECT * FROM workflow_schedules WHERE workflow_id = ?')
      .bind(workflow.id)
      .first<Record<string, string>>();
    expect(schedule).toMatchObject({ cron: '0 9 * * *', trigger_index: 1 });
    const next = new Date(schedule!.next_run_at!);
    expect(next.getUTCHours()).toBe(9);
    expect(next.getUTCMinutes()).toBe(0);
    expect(next.getTime()).toBeGreaterThan(Date.now());

    // Before its time nothing starts; at its time exactly one execution, even when the cron runs twice.
    const before = await runScheduledWorkflows(env as unknown as Env, new Date(next.getTime() - 60_000));
    expect(before.started).toBe(0);
    const at = new Date(next.getTime() + 30_000);
    const [first, second] = await Promise.all([
      runScheduledWorkflows(env as unknown as Env, at),
      runScheduledWorkflows(env as unknown as Env, at),
    ]);
    const listed = expectOk(await tenant.as('GET', `${EXECUTIONS}?workflow_id=${workflow.id}`)).body.data;
    expect(listed).toHaveLength(1);
    expect(first.started + second.started).toBe(1);
    const done = await waitForExecution(tenant, listed[0].id);
    expect(done).toMatchObject({ status: 'done', trigger: 'cron', input: { name: 'cron' } });
    const moved = await env.DB.prepare('SELECT next_run_at, last_run_at FROM workflow_schedules WHERE workflow_id = ?')
      .bind(workflow.id)
      .first<Record<string, string>>();
    expect(Date.parse(moved!.next_run_at!)).toBe(next.getTime() + 24 * 3600 * 1000);
    expect(moved!.last_run_at).toBe(at.toISOString());

    // A new version without the cron trigger removes the schedule.
    expectOk(
      await tenant.as('PUT', `${WORKFLOWS}/${workflow.id}`, { body: { name: 'Flow', definition: { steps: NOTIFY } } }),
    );
    const gone = await env.DB.prepare('SELECT count(*) AS n FROM workflow_schedules WHERE workflow_id = ?')
      .bind(workflow.id)
      .first<{ n: number }>();
    expect(gone?.n).toBe(0);
  });

  it('a running execution whose instance is gone becomes error RUN_LOST and can be retried', async () => {
    const tenant = await createTenant();
    const workflow = await createWorkflow(tenant, { definition: { steps: NOTIFY } });
    const { execution_id: id } = expectOk(
      await tenant.as('POST', `${WORKFLOWS}/${workflow.id}/run`, { body: { input: { name: 'x' } } }),
      202,
    ).body.data;
    await waitForExecution(tenant, id);
    const old = new Date(Date.now() - 3600_000).toISOString();
    await env.DB.prepare(
      "UPDATE workflow_executions SET status = 'running', instance_id = ?, updated_at = ?, finished_at = NULL WHERE id = ?",
    )
      .bind(`${id}-gone`, old, id)
      .run();
    const summary = await runScheduledWorkflows(env as unknown as Env, new Date());
    expect(summary.lost).toBeGreaterThanOrEqual(1);
    const lost = expectOk(await tenant.as('GET', `${EXECUTIONS}/${id}`)).body.data;
    expect(lost).toMatchObject({ status: 'error', error: { code: 'RUN_LOST' } });
    expect(lost.error.message).toContain('missing');
    expectOk(await tenant.as('POST', `${EXECUTIONS}/${id}/retry`), 202);
    expect((await waitForExecution(tenant, id)).status).toBe('done');
  });
});
