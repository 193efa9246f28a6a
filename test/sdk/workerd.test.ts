import { exports } from 'cloudflare:workers';
import { createClient, FlowSparkError, paginate, streamChatReply, type Tokens, unwrap } from '@flowspark/sdk';
import { describe, expect, it } from 'vitest';
import { newConversation } from '../chat/helpers';
import { createTenant } from '../helpers/harness';

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
});
