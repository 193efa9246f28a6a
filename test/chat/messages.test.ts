import { exports } from 'cloudflare:workers';
import { AiProviderError, extractiveAnswer } from '@flowspark/ai';
import { NO_CONTEXT_REPLY } from '@flowspark/chat';
import { afterEach, describe, expect, it } from 'vitest';
import { createTenant, expectError, expectOk, ISO_TIME, pagination, toRequest } from '../helpers/harness';
import {
  BOTS,
  CONVERSATIONS,
  failingFields,
  newBot,
  newConversation,
  parseSse,
  restoreProvider,
  send,
  spyProvider,
  storedConversation,
  storedMessages,
} from './helpers';

afterEach(restoreProvider);

const streamed = async (token: string, conversationId: string, content: string) => {
  const res = await exports.default.fetch(
    toRequest('POST', `${CONVERSATIONS}/${conversationId}/messages`, {
      token,
      body: { content },
      headers: { accept: 'text/event-stream' },
    }),
  );
  return res;
};

const failing = (message: string, reason: 'timeout' | 'error' = 'error') =>
  new AiProviderError(message, {
    provider: 'local',
    retryable: true,
    ...(reason === 'timeout' ? { reason: 'AI_PROVIDER_TIMEOUT' as const, retryAfterMs: 2_000 } : {}),
  });

describe('POST /conversations/{id}/messages', () => {
  it('stores the message and the reply together and answers both, with usage and latency', async () => {
    const tenant = await createTenant();
    const asked = spyProvider();
    const { conversation } = await newConversation(tenant, {
      system_prompt: 'You are the Acme helpdesk.',
      temperature: 0.6,
      model: 'acme-chat-1',
    });
    const res = expectOk(await send(tenant, conversation.id, 'When does the office open?'), 201);
    const { user_message: user, assistant_message: reply } = res.body.data;
    const expectedText = extractiveAnswer(asked[0]!.messages, asked[0]!.max_tokens);
    expect(user).toEqual({
      id: expect.stringMatching(/^msg_[0-9a-f]{32}$/),
      conversation_id: conversation.id,
      role: 'user',
      content: 'When does the office open?',
      citations: [],
      usage: null,
      model: null,
      latency_ms: null,
      stopped: false,
      created_at: expect.stringMatching(ISO_TIME),
    });
    expect(reply).toEqual({
      id: expect.stringMatching(/^msg_[0-9a-f]{32}$/),
      conversation_id: conversation.id,
      role: 'assistant',
      content: expectedText,
      citations: [],
      usage: {
        prompt_tokens: expect.any(Number),
        completion_tokens: expect.any(Number),
        total_tokens: expect.any(Number),
        estimated: true,
      },
      model: 'local-extractive-v1',
      latency_ms: expect.any(Number),
      stopped: false,
      created_at: expect.stringMatching(ISO_TIME),
    });
    expect(reply.usage.total_tokens).toBe(reply.usage.prompt_tokens + reply.usage.completion_tokens);
    expect(reply.usage.completion_tokens).toBeGreaterThan(0);
    expect(reply.created_at > user.created_at).toBe(true);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ temperature: 0.6, model: 'acme-chat-1', max_tokens: 1024 });
    expect(asked[0]!.messages).toEqual([
      { role: 'system', content: 'You are the Acme helpdesk.' },
      { role: 'user', content: 'When does the office open?' },
    ]);

    const rows = await storedMessages(conversation.id);
    expect(rows.map((r) => [r.seq, r.role, r.id, r.org_id])).toEqual([
      [1, 'user', user.id, tenant.orgId],
      [2, 'assistant', reply.id, tenant.orgId],
    ]);
    expect(rows[1]).toMatchObject({
      total_tokens: reply.usage.total_tokens,
      latency_ms: reply.latency_ms,
      citations: '[]',
    });
    expect(await storedConversation(conversation.id)).toMatchObject({
      message_count: 2,
      last_message_at: reply.created_at,
      title: 'When does the office open?',
    });
    const listed = expectOk(await tenant.as('GET', `${CONVERSATIONS}/${conversation.id}/messages`)).body;
    expect(listed.data).toEqual([user, reply]);
  });

  it('sends the model the last chat_history_length messages, oldest first, then the new one', async () => {
    const tenant = await createTenant();
    const asked = spyProvider();
    const { bot, conversation } = await newConversation(tenant, { chat_history_length: 3, system_prompt: 'Sys.' });
    const sent: string[] = [];
    for (const text of ['First question.', 'Second question.', 'Third question.']) {
      sent.push(text, expectOk(await send(tenant, conversation.id, text), 201).body.data.assistant_message.content);
    }
    expectOk(await send(tenant, conversation.id, 'Fourth question.'), 201);
    const last = asked.at(-1)!.messages;
    expect(last).toEqual([
      { role: 'system', content: 'Sys.' },
      { role: 'assistant', content: sent[3] },
      { role: 'user', content: sent[4] },
      { role: 'assistant', content: sent[5] },
      { role: 'user', content: 'Fourth question.' },
    ]);
    // Without history, only the system prompt and the new message.
    expectOk(await tenant.as('PUT', `${BOTS}/${bot.id}`, { body: { configuration: { chat_history_length: 0 } } }));
    expectOk(await send(tenant, conversation.id, 'Fifth question.'), 201);
    expect(asked.at(-1)!.messages).toEqual([
      { role: 'system', content: 'Sys.' },
      { role: 'user', content: 'Fifth question.' },
    ]);
    expect((await storedMessages(conversation.id)).map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('a rag bot without trained documents has no context: it says so without asking the model', async () => {
    const tenant = await createTenant();
    const asked = spyProvider();
    const bot = await newBot(tenant);
    expect(bot.configuration.agent_type).toBe('rag');
    const conversation = expectOk(await tenant.as('POST', `${BOTS}/${bot.id}/conversations`, { body: {} }), 201).body
      .data;
    const reply = expectOk(await send(tenant, conversation.id, 'What is the refund policy?'), 201).body.data
      .assistant_message;
    expect(reply).toMatchObject({
      content: NO_CONTEXT_REPLY,
      citations: [],
      model: null,
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, estimated: false },
    });
    const events = parseSse(await (await streamed(tenant.accessToken, conversation.id, 'And shipping?')).text());
    expect(events.map((e) => e.event)).toEqual(['token', 'message']);
    expect(events[0]!.data).toEqual({ text: NO_CONTEXT_REPLY });
    expect(asked).toEqual([]);
    expect(await storedMessages(conversation.id)).toHaveLength(4);
  });

  it('streams the reply as token events, then a message event with both stored messages', async () => {
    const tenant = await createTenant();
    spyProvider();
    const { conversation } = await newConversation(tenant);
    expectOk(await send(tenant, conversation.id, 'The office opens at nine. Parking is behind the building.'), 201);
    const res = await streamed(tenant.accessToken, conversation.id, 'When does the office open?');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache, no-transform');
    const text = await res.text();
    expect(text.startsWith('event: token\ndata: {"text":')).toBe(true);
    const events = parseSse(text);
    const tokens = events.filter((e) => e.event === 'token');
    expect(tokens.length).toBeGreaterThan(2);
    expect(events.map((e) => e.event)).toEqual([...tokens.map(() => 'token'), 'message']);
    const final = events.at(-1)!.data;
    expect(final.assistant_message.content).toBe(
      tokens
        .map((t) => t.data.text)
        .join('')
        .trim(),
    );
    expect(final.assistant_message.content).toContain('nine');
    expect(final.user_message.content).toBe('When does the office open?');
    const listed = expectOk(await tenant.as('GET', `${CONVERSATIONS}/${conversation.id}/messages`)).body.data;
    expect(listed.slice(2)).toEqual([final.user_message, final.assistant_message]);
  });

  it('a provider failure stores nothing and answers 503 with the reason', async () => {
    const tenant = await createTenant();
    const { conversation } = await newConversation(tenant);
    expectOk(await send(tenant, conversation.id, 'Earlier message'), 201);
    const before = await storedConversation(conversation.id);

    spyProvider({
      chat: async () => {
        throw failing('The model timed out', 'timeout');
      },
    });
    const res = expectError(await send(tenant, conversation.id, 'Will this fail?'), 503, 'SERVICE_UNAVAILABLE');
    expect(res.body.error).toMatchObject({
      message: 'The model timed out',
      details: { reason: 'AI_PROVIDER_TIMEOUT', provider: 'local', retryable: true },
    });
    expect(res.headers.get('retry-after')).toBe('2');

    spyProvider({
      chat: async () => ({
        text: '  ',
        model: 'm',
        provider: 'local',
        usage: { prompt_tokens: 1, completion_tokens: 0, total_tokens: 1, estimated: true },
      }),
    });
    const empty = expectError(await send(tenant, conversation.id, 'Empty?'), 503, 'SERVICE_UNAVAILABLE');
    expect(empty.body.error.details.reason).toBe('AI_PROVIDER_ERROR');

    expect((await storedMessages(conversation.id)).map((m) => m.content)).toEqual([
      'Earlier message',
      expect.any(String),
    ]);
    expect(await storedConversation(conversation.id)).toEqual(before);
  });

  it('a stream that fails before its first token is a 503; one that fails later ends with an error event; neither stores anything', async () => {
    const tenant = await createTenant();
    const { conversation } = await newConversation(tenant);
    spyProvider({
      // biome-ignore lint/correctness/useYield: fails before producing anything
      chatStream: async function* () {
        throw failing('Provider answered 500');
      },
    });
    const early = await streamed(tenant.accessToken, conversation.id, 'Hello?');
    expect(early.status).toBe(503);
    expect(early.headers.get('content-type')).toContain('application/json');
    expect(((await early.json()) as any).error).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      details: { reason: 'AI_PROVIDER_ERROR' },
    });

    spyProvider({
      chatStream: async function* () {
        yield { type: 'delta' as const, text: 'Half an' };
        throw failing('The connection dropped');
      },
    });
    const late = await streamed(tenant.accessToken, conversation.id, 'Hello again?');
    expect(late.status).toBe(200);
    expect(parseSse(await late.text())).toEqual([
      { event: 'token', data: { text: 'Half an' } },
      {
        event: 'error',
        data: {
          code: 'SERVICE_UNAVAILABLE',
          message: 'The connection dropped',
          details: { reason: 'AI_PROVIDER_ERROR', provider: 'local', retryable: true },
        },
      },
    ]);
    expect(await storedMessages(conversation.id)).toEqual([]);
    expect(await storedConversation(conversation.id)).toMatchObject({
      message_count: 0,
      title: null,
      last_message_at: null,
    });
  });

  it('a client that leaves mid-stream stops the provider and stores nothing', async () => {
    const tenant = await createTenant();
    const { conversation } = await newConversation(tenant);
    let produced = 0;
    let stopped = false;
    spyProvider({
      chatStream: async function* () {
        try {
          for (;;) {
            produced += 1;
            yield { type: 'delta' as const, text: ` word${produced}` };
          }
        } finally {
          stopped = true;
        }
      },
    });
    const res = await streamed(tenant.accessToken, conversation.id, 'Talk forever');
    const reader = res.body!.getReader();
    await reader.read();
    await reader.read();
    await reader.cancel();
    for (let i = 0; i < 50 && !stopped; i++) await new Promise((r) => setTimeout(r, 10));
    expect(stopped).toBe(true);
    expect(produced).toBeLessThan(10);
    expect(await storedMessages(conversation.id)).toEqual([]);
  });

  it('validates the content, naming the field', async () => {
    const tenant = await createTenant();
    const { conversation } = await newConversation(tenant);
    for (const [body, fields] of [
      [{}, ['content']],
      [{ content: '   ' }, ['content']],
      [{ content: 'x'.repeat(4_001) }, ['content']],
      [{ content: 42 }, ['content']],
      [{ content: 'hi', role: 'system' }, ['(body)']],
    ] as const) {
      const res = expectError(
        await tenant.as('POST', `${CONVERSATIONS}/${conversation.id}/messages`, { body }),
        400,
        'VALIDATION_ERROR',
      );
      expect(failingFields(res), JSON.stringify(body).slice(0, 40)).toEqual(fields);
    }
    expectOk(await send(tenant, conversation.id, 'x'.repeat(4_000)), 201);
    expectError(await send(tenant, `cnv_${'0'.repeat(32)}`, 'hi'), 404, 'NOT_FOUND');
  });
});

describe('GET /conversations/{id}/messages', () => {
  it('pages oldest first, and `after` lists only what came after a message', async () => {
    const tenant = await createTenant();
    const { conversation } = await newConversation(tenant);
    for (const text of ['one', 'two', 'three']) expectOk(await send(tenant, conversation.id, text), 201);
    const path = `${CONVERSATIONS}/${conversation.id}/messages`;
    const all = expectOk(await tenant.as('GET', path)).body;
    expect(all.pagination).toEqual(pagination(6, 1, 20));
    expect(all.data.filter((m: any) => m.role === 'user').map((m: any) => m.content)).toEqual(['one', 'two', 'three']);
    const page2 = expectOk(await tenant.as('GET', `${path}?page=2&page_size=4`)).body;
    expect(page2.data).toEqual(all.data.slice(4));
    const after = expectOk(await tenant.as('GET', `${path}?after=${all.data[3].id}`)).body;
    expect(after.data).toEqual(all.data.slice(4));
    expect(after.pagination.total).toBe(2);
    expectError(await tenant.as('GET', `${path}?after=msg_${'0'.repeat(32)}`), 404, 'NOT_FOUND');
    expectError(await tenant.as('GET', `${path}?after=nope`), 400, 'VALIDATION_ERROR');
  });
});
