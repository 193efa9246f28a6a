import { billingPlans } from '@flowspark/billing';
import { describe, expect, it } from 'vitest';
import { createTenant, env, expectOk, fetchWith, toRequest } from '../helpers/harness';
import { addText, createTenant as createKbTenant } from '../kb/helpers';
import { AGENTS, DOCUMENT_RUN_TIMEOUT_MS, readRow, runEnded, runToEnd, startRun, withProvider } from './helpers';

const FREE_ALLOWANCE = billingPlans().free.monthly_tokens;

/** A download's status, type and first bytes (the harness's `call` reads bodies as text). */
const downloadHead = async (token: string, path: string) => {
  const res = await fetchWith(toRequest('GET', path, { token }), env);
  const bytes = new Uint8Array(await res.arrayBuffer());
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    magic: new TextDecoder().decode(bytes.slice(0, 4)),
  };
};

describe('POST /agents/run routes each request to its capability', () => {
  it(
    '"write a report about …" → a document, ready to download, paid from the wallet',
    async () => {
      const tenant = await createTenant();
      const queued = await startRun(tenant, { request: 'Write a PDF report about solar panels for the board' });
      expect(queued).toMatchObject({
        status: 'queued',
        route: null,
        routed_by: null,
        completed_steps: [],
        errors: [],
        retry_count: 0,
        result: null,
        cache_bypass: false,
        tokens_used: 0,
        created_by: tenant.userId,
        finished_at: null,
      });
      expect(queued.id).toMatch(/^agr_[0-9a-f]{32}$/);

      const run = await runEnded(tenant, queued.id);
      expect(run).toMatchObject({
        status: 'done',
        route: 'document',
        // The offline provider answers the intent with the keyword router's draft.
        routed_by: 'keywords',
        current_step: 'end',
        completed_steps: ['parse_intent', 'document_agent', 'validate'],
        errors: [],
        retry_count: 0,
        error_code: null,
        result: {
          title: 'PDF report about solar panels for the board',
          format: 'pdf',
          download_url: `/api/v1/documents/${run.result.document_id}/download`,
        },
      });
      const document = expectOk(await tenant.as('GET', `/api/v1/documents/${run.result.document_id}`)).body.data;
      expect(document).toMatchObject({
        status: 'completed',
        format: 'pdf',
        job_id: run.result.job_id,
        current_version: 1,
      });
      expect(await downloadHead(tenant.accessToken, run.result.download_url)).toEqual({
        status: 200,
        type: 'application/pdf',
        magic: '%PDF',
      });

      // One intent call, recorded with its cache status; its tokens and the document's make the run's.
      expect(run.ai_requests).toEqual([
        expect.objectContaining({
          purpose: 'intent',
          provider: 'local',
          cache: 'miss',
          prompt_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        }),
      ]);
      const [intent] = run.ai_requests;
      const job = await readRow('jobs', run.result.job_id);
      const documentTokens = JSON.parse(job!.result).tokens_used as number;
      expect(run.tokens_used).toBe(intent.input_tokens + intent.output_tokens + documentTokens);
      const wallet = expectOk(await tenant.as('GET', '/api/v1/billing/tokens')).body.data;
      expect(wallet).toMatchObject({ balance: FREE_ALLOWANCE - run.tokens_used, reserved: 0 });
    },
    DOCUMENT_RUN_TIMEOUT_MS,
  );

  it('"find … in our docs" → an answer from the knowledge base, citing the document ingested', async () => {
    const tenant = await createKbTenant();
    const handbook = await addText(tenant, {
      title: 'Employee handbook',
      text:
        'Vacation policy. Every employee receives twenty-five vacation days per calendar year. ' +
        'Unused vacation days expire on March 31 of the following year.\n\n' +
        'Expenses. Travel is booked through the office manager.',
    });
    const run = await runToEnd(tenant, { request: 'Find the vacation policy in our docs' });
    expect(run).toMatchObject({
      status: 'done',
      route: 'kb_query',
      routed_by: 'keywords',
      completed_steps: ['parse_intent', 'kb_agent', 'validate'],
      result: { sources_found: true, model: expect.any(String) },
    });
    expect(run.result.answer).toMatch(/vacation/i);
    expect(run.result.citations.length).toBeGreaterThan(0);
    expect(run.result.citations[0]).toMatchObject({ document_id: handbook.id, title: 'Employee handbook' });
    const queries = expectOk(await tenant.as('GET', '/api/v1/kb/queries')).body.data;
    expect(queries.map((q: { id: string }) => q.id)).toContain(run.result.query_id);
    expect(run.ai_requests.map((r: { purpose: string }) => r.purpose)).toEqual(['intent', 'kb_answer']);
    expect(run.ai_requests[1]).toMatchObject({ cache: null });
    expect(run.tokens_used).toBe(
      run.ai_requests.reduce((sum: number, r: any) => sum + r.input_tokens + r.output_tokens, 0),
    );
  });

  it('"draw a logo …" → an image, completed', async () => {
    const tenant = await createTenant();
    const run = await runToEnd(tenant, { request: 'Draw a logo for a coffee shop called Bean There' });
    expect(run).toMatchObject({
      status: 'done',
      route: 'image',
      routed_by: 'keywords',
      completed_steps: ['parse_intent', 'image_agent', 'validate'],
      result: { image_ids: [expect.stringMatching(/^img_/)], job_id: expect.stringMatching(/^job_/) },
    });
    const [imageId] = run.result.image_ids;
    const image = expectOk(await tenant.as('GET', `/api/v1/images/${imageId}`)).body.data;
    expect(image).toMatchObject({ status: 'completed', prompt: 'Draw a logo for a coffee shop called Bean There' });
    expect(run.result.download_urls).toEqual([`/api/v1/images/${imageId}/download`]);
    expect(await downloadHead(tenant.accessToken, run.result.download_urls[0])).toMatchObject({
      status: 200,
      type: 'image/png',
    });
    expect(run.tokens_used).toBe(run.ai_requests[0].input_tokens + run.ai_requests[0].output_tokens + 1000);
  });

  it("routes by the model's structured answer when the model gives a valid one", async () => {
    const tenant = await createTenant();
    const asked: string[] = [];
    const run = await withProvider(
      {
        name: 'openai',
        chat: async (req) => {
          asked.push(req.messages.at(-1)!.content);
          return {
            text: JSON.stringify({ route: 'image', prompt: 'A watercolour lighthouse at dawn' }),
            model: 'fake-router',
            provider: 'openai',
            usage: { prompt_tokens: 50, completion_tokens: 10, total_tokens: 60, estimated: false },
          };
        },
      },
      () => runToEnd(tenant, { request: 'Something for the lighthouse museum' }),
    );
    expect(asked).toEqual(['Something for the lighthouse museum']);
    expect(run).toMatchObject({ status: 'done', route: 'image', routed_by: 'model' });
    expect(run.ai_requests).toEqual([
      expect.objectContaining({ purpose: 'intent', model: 'fake-router', input_tokens: 50, output_tokens: 10 }),
    ]);
    const image = await readRow('images', run.result.image_ids[0]);
    expect(image).toMatchObject({ prompt: 'A watercolour lighthouse at dawn' });
    expect(run.tokens_used).toBe(60 + 1000);
  });

  it('a route given with the request skips the intent step (routed_by request)', async () => {
    const tenant = await createTenant();
    const queued = await startRun(tenant, { request: 'Our coffee shop, in watercolour', route: 'image' });
    expect(queued).toMatchObject({ route: 'image', routed_by: 'request' });
    const run = await runEnded(tenant, queued.id);
    expect(run).toMatchObject({
      status: 'done',
      route: 'image',
      routed_by: 'request',
      completed_steps: ['image_agent', 'validate'],
      ai_requests: [],
      tokens_used: 1000,
    });
  });

  it('Cache-Control: no-cache makes the intent call bypass the semantic cache', async () => {
    const tenant = await createTenant();
    const queued = await startRun(
      tenant,
      { request: 'Find the travel policy in our docs' },
      { 'cache-control': 'max-age=0, No-Cache' },
    );
    expect(queued.cache_bypass).toBe(true);
    const run = await runEnded(tenant, queued.id);
    expect(run).toMatchObject({ status: 'done', route: 'kb_query', cache_bypass: true });
    expect(run.ai_requests).toEqual([expect.objectContaining({ purpose: 'intent', cache: 'bypass' })]);
  });

  it('finding nothing relevant is an answer, not a failure: done, sources_found false, no tokens', async () => {
    const tenant = await createTenant();
    const run = await runToEnd(tenant, { request: 'What is our parental leave policy?', route: 'kb_query' });
    expect(run).toMatchObject({
      status: 'done',
      route: 'kb_query',
      routed_by: 'request',
      retry_count: 0,
      result: { sources_found: false, citations: [], model: null },
      tokens_used: 0,
    });
    expect(run.result.answer.length).toBeGreaterThan(0);
  });
});

describe('GET /agents/runs', () => {
  it('lists the runs newest first, paged, filtered by status and route', async () => {
    const tenant = await createTenant();
    const first = await runToEnd(tenant, { request: 'What is our dress code?', route: 'kb_query' });
    const second = await runToEnd(tenant, { request: 'What is our travel policy?', route: 'kb_query' });
    const page = expectOk(await tenant.as('GET', `${AGENTS}/runs?page_size=1`)).body;
    expect(page.data.map((r: { id: string }) => r.id)).toEqual([second.id]);
    expect(page.pagination).toMatchObject({ total: 2, page: 1, page_size: 1, has_next: true });
    expect(page.data[0]).not.toHaveProperty('ai_requests');
    const next = expectOk(await tenant.as('GET', `${AGENTS}/runs?page_size=1&page=2`)).body;
    expect(next.data.map((r: { id: string }) => r.id)).toEqual([first.id]);
    expect(expectOk(await tenant.as('GET', `${AGENTS}/runs?status=done&route=kb_query`)).body.pagination.total).toBe(2);
    expect(expectOk(await tenant.as('GET', `${AGENTS}/runs?route=image`)).body.pagination.total).toBe(0);
    expect(expectOk(await tenant.as('GET', `${AGENTS}/runs?status=error`)).body.data).toEqual([]);
  });
});
