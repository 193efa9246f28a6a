import { exports } from 'cloudflare:workers';
import {
  createClient,
  FlowSparkError,
  JobFailedError,
  paginate,
  streamChatReply,
  type Tokens,
  unwrap,
  waitForJob,
} from '@flowspark/sdk';
import { describe, expect, it } from 'vitest';
import { newConversation } from '../chat/helpers';
import { createTenant } from '../helpers/harness';
import { deliver, messageFor, newScriptJob } from '../jobs/helpers';

/** The SDK inside the Workers runtime, calling the API Worker as a service would. */
const inWorker = (request: Request) => exports.default.fetch(request);

describe('the SDK inside workerd', () => {
  it('refreshes a refused token, throws typed errors, pages and streams a chat reply', async () => {
    const tenant = await createTenant();
    const renewed: Tokens[] = [];
    const client = createClient({
      baseUrl: 'http://localhost',
      fetch: inWorker,
      accessToken: 'not-a-valid-token',
      refreshToken: tenant.refreshToken,
      onTokens: (tokens) => {
        renewed.push(tokens);
      },
    });
    expect((await unwrap(client.api.GET('/api/v1/auth/me'))).user.email).toBe(tenant.email);
    expect(renewed).toHaveLength(1);

    const missing = await client.api
      .GET('/api/v1/bots/{id}', { params: { path: { id: `bot_${'0'.repeat(32)}` } } })
      .catch((err: unknown) => err);
    expect(missing).toBeInstanceOf(FlowSparkError);
    expect(missing).toMatchObject({ status: 404, code: 'NOT_FOUND', requestId: expect.stringMatching(/^req_/) });

    const { bot, conversation } = await newConversation(tenant);
    const bots = [];
    for await (const listed of paginate(client, '/api/v1/bots', { query: { page_size: 1 } })) bots.push(listed.id);
    expect(bots).toEqual([bot.id]);

    const events = [];
    for await (const event of streamChatReply(client, conversation.id, { content: 'Hi' })) events.push(event);
    const reply = events.at(-1);
    expect(reply?.type).toBe('message');
    expect(reply?.type === 'message' && reply.assistant_message.content).toBe(
      events.map((e) => (e.type === 'token' ? e.text : '')).join(''),
    );
  });

  it('waitForJob answers a done job, and throws JobFailedError with the code of one that failed or was cancelled', async () => {
    const tenant = await createTenant();
    const client = createClient({ baseUrl: 'http://localhost', fetch: inWorker, accessToken: tenant.accessToken });
    const watch = { pollIntervalMs: 50, timeoutMs: 10_000 };

    const done = await newScriptJob(tenant.orgId, { progress: [50] });
    await deliver(messageFor(done));
    expect(await waitForJob(client, done.id, { ...watch, transport: 'sse' })).toMatchObject({ status: 'done' });

    const failing = await newScriptJob(tenant.orgId, { permanent: true });
    await deliver(messageFor(failing));
    for (const transport of ['sse', 'poll'] as const) {
      const error = await waitForJob(client, failing.id, { ...watch, transport }).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(JobFailedError);
      expect(error).toMatchObject({ code: 'BAD_TEMPLATE', job: { id: failing.id, status: 'error' } });
    }

    const queued = await newScriptJob(tenant.orgId);
    const waiting = waitForJob(client, queued.id, { ...watch, transport: 'poll' }).catch((err: unknown) => err);
    await unwrap(client.api.POST('/api/v1/jobs/{id}/cancel', { params: { path: { id: queued.id } } }));
    expect(await waiting).toMatchObject({ name: 'JobFailedError', code: 'CANCELLED', job: { status: 'cancelled' } });
  });
});
