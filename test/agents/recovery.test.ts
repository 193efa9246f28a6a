import { firstCallEstimate } from '@flowspark/agents';
import type { ImageResult } from '@flowspark/ai';
import { describe, expect, it } from 'vitest';
import type { Env } from '../../workers/env';
import { createTenant, env, expectError, expectOk, fetchWith, readResponse, toRequest } from '../helpers/harness';
import { AGENTS, leaveAvailable, readRow, runToEnd, withProvider } from './helpers';

const garbageChat = async () => ({
  text: 'Sure! I think this is an image request.',
  model: 'fake-chatty',
  provider: 'openai',
  usage: { prompt_tokens: 30, completion_tokens: 9, total_tokens: 39, estimated: false },
});

/** Bytes that are no image: the image job fails them with AI_INVALID_OUTPUT. */
const notAnImage = async (): Promise<ImageResult> => ({
  bytes: new TextEncoder().encode('<html>502 Bad Gateway</html>'),
  contentType: 'image/png',
  model: 'fake-image-model',
  provider: 'local',
});

describe('agent runs when things go wrong', () => {
  it('an intent answer that is not valid (twice) falls back to the keyword router', async () => {
    const tenant = await createTenant();
    const run = await withProvider({ name: 'openai', chat: garbageChat }, () =>
      runToEnd(tenant, { request: 'Draw a logo for a bakery' }),
    );
    expect(run).toMatchObject({
      status: 'done',
      route: 'image',
      routed_by: 'keywords',
      completed_steps: ['parse_intent', 'image_agent', 'validate'],
      errors: [],
      retry_count: 0,
    });
    // The answer and its repair turn: both asked, both paid.
    expect(run.ai_requests).toEqual([
      expect.objectContaining({ purpose: 'intent', model: 'fake-chatty', input_tokens: 30, output_tokens: 9 }),
      expect.objectContaining({ purpose: 'intent', model: 'fake-chatty' }),
    ]);
    expect(run.tokens_used).toBe(2 * 39 + 1000);
  });

  it('a capability that fails validation is retried once with its error, and the run ends done', async () => {
    const tenant = await createTenant();
    const local = (await import('@flowspark/ai')).createLocalProvider();
    let calls = 0;
    const run = await withProvider(
      {
        generateImage: async (req) => {
          calls += 1;
          return calls === 1 ? notAnImage() : local.generateImage(req);
        },
      },
      () => runToEnd(tenant, { request: 'Draw a logo for a bakery' }),
    );
    expect(calls).toBe(2);
    expect(run).toMatchObject({
      status: 'done',
      route: 'image',
      retry_count: 1,
      current_step: 'end',
      completed_steps: ['parse_intent', 'image_agent', 'validate', 'image_agent', 'validate'],
      errors: ['validate: AI_INVALID_OUTPUT: The AI provider did not return a PNG or JPEG image'],
      error_code: null,
    });
    const image = await readRow('images', run.result.image_ids[0]);
    expect(image).toMatchObject({ status: 'completed' });
    expect(image!.prompt).toContain('Draw a logo for a bakery');
    expect(image!.prompt).toContain(
      'A previous attempt failed (AI_INVALID_OUTPUT: The AI provider did not return a PNG or JPEG image)',
    );
    // The failed image was not charged: one image's price and the intent call.
    expect(run.tokens_used).toBe(run.ai_requests[0].input_tokens + run.ai_requests[0].output_tokens + 1000);
  });

  it('a capability that fails twice ends the run error with a clear code; nothing stays reserved', async () => {
    const tenant = await createTenant();
    const run = await withProvider({ generateImage: notAnImage }, () =>
      runToEnd(tenant, { request: 'Draw a logo for a bakery' }),
    );
    expect(run).toMatchObject({
      status: 'error',
      route: 'image',
      retry_count: 1,
      current_step: 'validate',
      completed_steps: ['parse_intent', 'image_agent', 'validate', 'image_agent', 'validate'],
      error_code: 'AI_INVALID_OUTPUT',
      error_message: 'Gave up after 2 attempts: The AI provider did not return a PNG or JPEG image',
      result: null,
      finished_at: expect.any(String),
    });
    expect(run.errors).toHaveLength(2);
    expect(run.tokens_used).toBe(run.ai_requests[0].input_tokens + run.ai_requests[0].output_tokens);
    const wallet = expectOk(await tenant.as('GET', '/api/v1/billing/tokens')).body.data;
    expect(wallet.reserved).toBe(0);
  });

  it('402 INSUFFICIENT_TOKENS when the wallet cannot pay for the first call; nothing is written', async () => {
    const tenant = await createTenant();
    await leaveAvailable(tenant.orgId, 10);
    const refused = expectError(
      await tenant.as('POST', `${AGENTS}/run`, { body: { request: 'Draw a logo for a bakery' } }),
      402,
      'INSUFFICIENT_TOKENS',
    );
    expect(refused.body.error.details).toEqual({
      required: firstCallEstimate('Draw a logo for a bakery'),
      available: 10,
    });
    expect(expectOk(await tenant.as('GET', `${AGENTS}/runs`)).body.pagination.total).toBe(0);
  });

  it('a wallet that runs out mid-run ends it at once with INSUFFICIENT_TOKENS, without a retry', async () => {
    const tenant = await createTenant();
    const request = 'Draw a logo for a bakery';
    // Enough for the intent call, not for an image (1,000 tokens).
    await leaveAvailable(tenant.orgId, firstCallEstimate(request) + 50);
    const run = await runToEnd(tenant, { request });
    expect(run).toMatchObject({
      status: 'error',
      route: 'image',
      retry_count: 0,
      current_step: 'image_agent',
      completed_steps: ['parse_intent', 'image_agent'],
      error_code: 'INSUFFICIENT_TOKENS',
    });
    expect(run.errors).toEqual([expect.stringMatching(/^image_agent: INSUFFICIENT_TOKENS: Not enough tokens/)]);
    expect(expectOk(await tenant.as('GET', '/api/v1/images')).body.data).toEqual([]);
  });
});

describe('starting the run', () => {
  it('an instance that cannot be started ends the run error and answers 503; the run is not lost', async () => {
    const tenant = await createTenant();
    let tries = 0;
    const down = {
      ...env,
      JOBS_SERVICE: {
        startRun: async () => {
          tries += 1;
          throw new Error('jobs Worker unreachable');
        },
      },
    } as unknown as Env;
    const res = await readResponse(
      await fetchWith(
        toRequest('POST', `${AGENTS}/run`, { token: tenant.accessToken, body: { request: 'Draw a logo' } }),
        down,
      ),
    );
    expectError(res, 503, 'SERVICE_UNAVAILABLE');
    expect(tries).toBe(2);
    const runId = res.body.error.details.run_id as string;
    expect(res.body.error.details).toEqual({ reason: 'RUN_NOT_STARTED', run_id: runId });
    const run = expectOk(await tenant.as('GET', `${AGENTS}/runs/${runId}`)).body.data;
    expect(run).toMatchObject({
      status: 'error',
      error_code: 'RUN_NOT_STARTED',
      error_message: 'The run could not be started; ask again',
      finished_at: expect.any(String),
    });
  });
});
