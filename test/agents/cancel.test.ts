import { env } from 'cloudflare:workers';
import type { ChatRequest, ChatResult } from '@flowspark/ai';
import { describe, expect, it } from 'vitest';
import { createTenant, expectError, expectOk } from '../helpers/harness';
import { eventually, sleep } from '../jobs/helpers';
import { AGENTS, startRun, withProvider } from './helpers';

describe('cancelling an agent run', () => {
  it('stops a running run at once: nothing it does afterwards is kept; an ended run is 409', async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let asked = 0;
    await withProvider(
      {
        chat: async (req: ChatRequest): Promise<ChatResult> => {
          asked += 1;
          await gate;
          return {
            text: '{"route":"document","title":"Report","prompt":"A report"}',
            model: req.model ?? 'fake',
            provider: 'local',
            usage: { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10, estimated: false },
          };
        },
      },
      async () => {
        const run = await startRun(tenant, { request: 'write a report about tides' }, { 'cache-control': 'no-cache' });
        await eventually(() => (asked > 0 ? true : undefined), 10_000);
        expectError(await other.as('POST', `${AGENTS}/runs/${run.id}/cancel`), 404, 'NOT_FOUND');
        const cancelled = expectOk(await tenant.as('POST', `${AGENTS}/runs/${run.id}/cancel`)).body.data;
        expect(cancelled).toMatchObject({ id: run.id, status: 'cancelled', error_code: 'CANCELLED' });
        release();
        await sleep(500);
        const after = expectOk(await tenant.as('GET', `${AGENTS}/runs/${run.id}`)).body.data;
        expect(after).toMatchObject({ status: 'cancelled', result: null });
        const docs = await env.DB.prepare('SELECT count(*) AS n FROM documents WHERE org_id = ?')
          .bind(tenant.orgId)
          .first<{ n: number }>();
        expect(docs?.n).toBe(0);
        const again = expectError(await tenant.as('POST', `${AGENTS}/runs/${run.id}/cancel`), 409, 'CONFLICT');
        expect(again.body.error.details.status).toBe('cancelled');
        const listed = expectOk(await tenant.as('GET', `${AGENTS}/runs?status=cancelled`)).body.data;
        expect(listed.map((r: any) => r.id)).toEqual([run.id]);
      },
    );
  });
});
