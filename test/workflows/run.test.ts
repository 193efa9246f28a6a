import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createTenant, expectError, expectOk } from '../helpers/harness';
import { openFeed, sleep } from '../jobs/helpers';
import {
  createWorkflow,
  EXECUTIONS,
  getExecution,
  runWorkflow,
  stepOf,
  waitForExecution,
  withChat,
  withHttp,
} from './helpers';

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('workflow executions', () => {
  it('runs three steps end to end: templates filled, a branch taken, outputs, version and live events', async () => {
    const tenant = await createTenant();
    const feed = await openFeed({ authorization: `Bearer ${tenant.accessToken}` });
    const workflow = await createWorkflow(tenant, {
      variables: [
        { name: 'topic', type: 'string', required: true },
        { name: 'urgent', type: 'boolean', default: false },
      ],
      definition: {
        steps: [
          {
            id: 'draft',
            type: 'llm',
            system: 'Be brief.',
            prompt: 'Summarise {{input.topic}}',
            response_format: 'json',
          },
          { id: 'route', type: 'condition', if: 'steps.draft.output.score >= 5 && !input.urgent', on_false: 'end' },
          {
            id: 'post',
            type: 'http_request',
            method: 'POST',
            url: 'https://api.example.com/digests/{{workflow.id}}',
            body: { summary: '{{steps.draft.output.summary}}', raw: '{{steps.draft.output}}' },
          },
          { id: 'tell', type: 'notify', title: 'Posted: {{steps.post.output.body.id}}' },
        ],
      },
    });
    const result = await withChat(
      () => '```json\n{"summary":"Edge is near","score":7}\n```',
      (chats) =>
        withHttp(
          () => json({ id: 'dg_1' }, 201),
          async (calls) => {
            const started = await runWorkflow(tenant, workflow.id, { topic: 'edge computing' });
            expect(started.execution).toMatchObject({ status: 'queued', version: 1, trigger: 'manual', runs: 1 });
            const done = await waitForExecution(tenant, started.execution_id);
            return { done, chats, calls };
          },
        ),
    );
    const { done, chats, calls } = result;
    expect(done).toMatchObject({
      status: 'done',
      version: 1,
      input: { topic: 'edge computing', urgent: false },
      output: { notified: 1 },
      error: null,
    });
    expect(chats).toHaveLength(1);
    expect(chats[0]!.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Summarise edge computing' },
    ]);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe(`https://api.example.com/digests/${workflow.id}`);
    expect(JSON.parse(calls[0]!.body)).toEqual({
      summary: 'Edge is near',
      raw: { summary: 'Edge is near', score: 7 },
    });
    expect(done.steps.map((s: any) => [s.step_id, s.status, s.attempts])).toEqual([
      ['draft', 'done', 1],
      ['route', 'done', 1],
      ['post', 'done', 1],
      ['tell', 'done', 1],
    ]);
    expect(stepOf(done, 'draft')).toMatchObject({
      input: { system: 'Be brief.', prompt: 'Summarise edge computing', response_format: 'json' },
      output: { summary: 'Edge is near', score: 7 },
      tokens_used: 15,
    });
    expect(stepOf(done, 'route').output).toBe(true);
    expect(stepOf(done, 'post').output).toMatchObject({ status: 201, body: { id: 'dg_1' } });
    expect(done.tokens_used).toBe(15);
    expect(done.ai_requests).toHaveLength(1);
    expect(done.ai_requests[0]).toMatchObject({ purpose: 'llm', step_id: 'draft', input_tokens: 10, output_tokens: 5 });
    expect(done.ai_requests[0].prompt_sha256).toMatch(/^[0-9a-f]{64}$/);
    const notes = expectOk(await tenant.as('GET', '/api/v1/notifications')).body.data;
    expect(notes.some((n: any) => n.title === 'Posted: dg_1' && n.data.execution_id === done.id)).toBe(true);

    await feed.waitFor((m) => m.some((e) => e.type === 'execution.status' && e.status === 'done'));
    const events = feed.messages.filter((m) => m.run_id === done.id);
    expect(events.filter((e) => e.type === 'execution.status').map((e) => e.status)).toEqual(['running', 'done']);
    expect(events.filter((e) => e.type === 'execution.step' && e.step_status === 'done').map((e) => e.step_id)).toEqual(
      ['draft', 'route', 'post', 'tell'],
    );
    feed.ws.close();
  });

  it('a branch skips the steps it jumps over; a run checks its input against the variables', async () => {
    const tenant = await createTenant();
    const workflow = await createWorkflow(tenant, {
      variables: [{ name: 'amount', type: 'number', required: true }],
      definition: {
        steps: [
          { id: 'gate', type: 'condition', if: 'input.amount > 100', on_true: 'big' },
          { id: 'small', type: 'notify', title: 'Small: {{input.amount}}' },
          { id: 'big', type: 'notify', title: 'Big: {{input.amount}}' },
        ],
      },
    });
    const started = await runWorkflow(tenant, workflow.id, { amount: 250 });
    const done = await waitForExecution(tenant, started.execution_id);
    expect(done.steps.map((s: any) => [s.step_id, s.status])).toEqual([
      ['gate', 'done'],
      ['small', 'skipped'],
      ['big', 'done'],
    ]);
    for (const [input, field] of [
      [{}, 'input.amount'],
      [{ amount: 'lots' }, 'input.amount'],
      [{ amount: 1, extra: true }, 'input.extra'],
    ] as const) {
      const res = expectError(
        await tenant.as('POST', `/api/v1/workflows/${workflow.id}/run`, { body: { input } }),
        400,
        'VALIDATION_ERROR',
      );
      expect(Object.keys(res.body.error.details.fields)).toEqual([field]);
    }
  });

  it('a failing step retries with backoff, then fails the execution; retry resumes from the failed step', async () => {
    const tenant = await createTenant();
    const workflow = await createWorkflow(tenant, {
      definition: {
        steps: [
          { id: 'write', type: 'llm', prompt: 'Write a line about {{input.thing}}' },
          {
            id: 'send',
            type: 'http_request',
            method: 'POST',
            url: 'https://api.example.com/lines',
            body: { line: '{{steps.write.output}}' },
            retry: { limit: 2, delay_seconds: 0.3, backoff: 'exponential' },
          },
          { id: 'after', type: 'notify', title: 'Sent' },
        ],
      },
    });
    let healthy = false;
    await withChat(
      (_req, i) => `line number ${i + 1}`,
      (chats) =>
        withHttp(
          () => (healthy ? json({ ok: true }) : json({ error: 'down' }, 503)),
          async (calls) => {
            const started = Date.now();
            const { execution_id: id } = await runWorkflow(tenant, workflow.id, { thing: 'rivers' });
            const failed = await waitForExecution(tenant, id);
            const elapsed = Date.now() - started;
            expect(failed).toMatchObject({
              status: 'error',
              error: { code: 'HTTP_STATUS', message: 'The server answered 503', step_id: 'send' },
            });
            expect(stepOf(failed, 'send')).toMatchObject({ status: 'error', attempts: 3 });
            expect(stepOf(failed, 'after').status).toBe('pending');
            expect(calls).toHaveLength(3);
            // Backoff: 0.3 s, then 0.6 s between the three attempts.
            expect(elapsed).toBeGreaterThanOrEqual(900);
            const recordedInput = stepOf(failed, 'send').input;
            expect(recordedInput.body).toEqual({ line: 'line number 1' });

            healthy = true;
            const retried = expectOk(await tenant.as('POST', `${EXECUTIONS}/${id}/retry`), 202).body.data;
            expect(retried).toMatchObject({ status: 'queued', runs: 2, error: null });
            const done = await waitForExecution(tenant, id);
            expect(done.status).toBe('done');
            // The done step was not run again: one chat call in all, and the failed one reused its input.
            expect(chats).toHaveLength(1);
            expect(stepOf(done, 'write')).toMatchObject({ status: 'done', output: 'line number 1', attempts: 1 });
            expect(stepOf(done, 'send')).toMatchObject({ status: 'done', attempts: 4, input: recordedInput });
            expect(JSON.parse(calls[3]!.body)).toEqual({ line: 'line number 1' });
            expectError(await tenant.as('POST', `${EXECUTIONS}/${id}/retry`), 409, 'CONFLICT');
          },
        ),
    );
  });

  it('an error no retry can fix fails at once: a private address, a 404', async () => {
    const tenant = await createTenant();
    const workflow = await createWorkflow(tenant, {
      definition: {
        steps: [{ id: 'call', type: 'http_request', url: '{{input.url}}', retry: { limit: 3, delay_seconds: 5 } }],
      },
    });
    await withHttp(
      () => json({}, 404),
      async (calls) => {
        const privateRun = await runWorkflow(tenant, workflow.id, { url: 'https://internal.example.com/x' });
        const refused = await waitForExecution(tenant, privateRun.execution_id);
        expect(refused.error).toMatchObject({ code: 'HTTP_URL_REFUSED', step_id: 'call' });
        expect(refused.error.message).toContain('non-public');
        expect(stepOf(refused, 'call').attempts).toBe(1);
        const missing = await runWorkflow(tenant, workflow.id, { url: 'https://api.example.com/missing' });
        const failed = await waitForExecution(tenant, missing.execution_id);
        expect(failed.error).toMatchObject({ code: 'HTTP_STATUS', message: 'The server answered 404' });
        expect(stepOf(failed, 'call').attempts).toBe(1);
        expect(calls).toHaveLength(1);
      },
    );
  });

  it('cancel stops a running execution: later steps never run; it can be retried', async () => {
    const tenant = await createTenant();
    const workflow = await createWorkflow(tenant, {
      definition: {
        steps: [
          { id: 'slow', type: 'http_request', url: 'https://api.example.com/slow' },
          { id: 'after', type: 'http_request', url: 'https://api.example.com/after' },
        ],
      },
    });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    await withHttp(
      async (call) => {
        if (call.url.endsWith('/slow')) await gate;
        return json({ ok: true });
      },
      async (calls) => {
        const { execution_id: id } = await runWorkflow(tenant, workflow.id);
        await waitForExecution(tenant, id, ['running']);
        const deadline = Date.now() + 5_000;
        while (calls.length === 0 && Date.now() < deadline) await sleep(20);
        const cancelled = expectOk(await tenant.as('POST', `${EXECUTIONS}/${id}/cancel`)).body.data;
        expect(cancelled).toMatchObject({ status: 'cancelled' });
        release();
        await sleep(500);
        const after = await getExecution(tenant, id);
        expect(after.status).toBe('cancelled');
        expect(after.steps.map((s: any) => s.status)).toEqual(['cancelled', 'cancelled']);
        expect(calls.map((c) => new URL(c.url).pathname)).toEqual(['/slow']);
        expectError(await tenant.as('POST', `${EXECUTIONS}/${id}/cancel`), 409, 'CONFLICT');

        const retried = expectOk(await tenant.as('POST', `${EXECUTIONS}/${id}/retry`), 202).body.data;
        expect(retried.runs).toBe(2);
        const done = await waitForExecution(tenant, id);
        expect(done.status).toBe('done');
        expect(calls.map((c) => new URL(c.url).pathname)).toEqual(['/slow', '/slow', '/after']);
      },
    );
  });

  it('a document step generates a document and waits for it; another tenant cannot see the execution', async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const workflow = await createWorkflow(tenant, {
      definition: {
        steps: [
          {
            id: 'report',
            type: 'generate_document',
            format: 'docx',
            title: 'Report on {{input.topic}}',
            prompt: 'A short report on {{input.topic}}',
          },
          { id: 'tell', type: 'notify', title: 'Report {{steps.report.output.document_id}}' },
        ],
      },
    });
    const { execution_id: id } = await runWorkflow(tenant, workflow.id, { topic: 'tides' });
    const done = await waitForExecution(tenant, id, undefined, 30_000);
    expect(done.status).toBe('done');
    const output = stepOf(done, 'report').output;
    expect(output.document_id).toMatch(/^doc_/);
    const doc = expectOk(await tenant.as('GET', `/api/v1/documents/${output.document_id}`)).body.data;
    expect(doc).toMatchObject({ status: 'completed', title: 'Report on tides', format: 'docx' });
    expect(output.download_url).toBe(`/api/v1/documents/${output.document_id}/download`);

    expectError(await other.as('GET', `${EXECUTIONS}/${id}`), 404, 'NOT_FOUND');
    expectError(await other.as('POST', `${EXECUTIONS}/${id}/retry`), 404, 'NOT_FOUND');
    expectError(await other.as('POST', `${EXECUTIONS}/${id}/cancel`), 404, 'NOT_FOUND');
    expect(expectOk(await other.as('GET', EXECUTIONS)).body.data).toEqual([]);
    const mine = expectOk(await tenant.as('GET', `${EXECUTIONS}?workflow_id=${workflow.id}&status=done`)).body;
    expect(mine.data.map((e: any) => e.id)).toEqual([id]);
  });

  it('Cache-Control: no-cache is recorded on the execution and its AI requests', async () => {
    const tenant = await createTenant();
    const workflow = await createWorkflow(tenant, {
      definition: { steps: [{ id: 'ask', type: 'llm', prompt: 'What is 2 + 2?' }] },
    });
    await withChat(
      () => 'four',
      async () => {
        const started = await runWorkflow(tenant, workflow.id, {}, { 'cache-control': 'no-cache' });
        expect(started.execution.cache_bypass).toBe(true);
        const done = await waitForExecution(tenant, started.execution_id);
        expect(done.output).toBe('four');
        expect(done.ai_requests.map((r: any) => r.cache)).toEqual(['bypass']);
      },
    );
    const row = await env.DB.prepare('SELECT cache_bypass FROM workflow_executions WHERE org_id = ?')
      .bind(tenant.orgId)
      .first<{ cache_bypass: number }>();
    expect(row?.cache_bypass).toBe(1);
  });

  it('a second run of the same LLM step is answered by the cache: no provider call, no tokens', async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const steps = [{ id: 'ask', type: 'llm', prompt: 'Name the largest ocean on Earth.' }];
    const workflow = await createWorkflow(tenant, { definition: { steps } });
    const elsewhere = await createWorkflow(other, { definition: { steps } });
    await withChat(
      () => 'The Pacific.',
      async (chats) => {
        const first = await waitForExecution(tenant, (await runWorkflow(tenant, workflow.id)).execution_id);
        const second = await waitForExecution(tenant, (await runWorkflow(tenant, workflow.id)).execution_id);
        expect([first.output, second.output]).toEqual(['The Pacific.', 'The Pacific.']);
        expect(first.ai_requests.map((r: any) => r.cache)).toEqual(['miss']);
        expect(second.ai_requests.map((r: any) => [r.cache, r.input_tokens, r.output_tokens])).toEqual([['hit', 0, 0]]);
        expect([first.tokens_used, second.tokens_used]).toEqual([15, 0]);
        // Another organization asking the same never gets this one's answer.
        const theirs = await waitForExecution(other, (await runWorkflow(other, elsewhere.id)).execution_id);
        expect(theirs.ai_requests.map((r: any) => r.cache)).toEqual(['miss']);
        expect(chats).toHaveLength(2);
      },
    );
  });
});
