import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bytesToBase64 } from './bytes';
import { AiProviderError } from './errors';
import { createAiProvider } from './factory';
import { structuredOutput } from './structured';
import {
  chunkedStream,
  collect,
  FAKE_PNG,
  fakeFetch,
  instantRetries,
  jsonResponse,
  type RecordedRequest,
  sseBody,
} from './test-fakes';

const KEY = 'sk-test-0123456789abcdef';
const BASE = 'https://llm.example.test/v1';

const provider = (
  answer: (req: RecordedRequest, index: number) => Response | Promise<Response>,
  extra: Record<string, string> = {},
) => {
  const fake = fakeFetch(answer);
  const retries = instantRetries();
  const ai = createAiProvider(
    { AI_PROVIDER: 'openai', OPENAI_BASE_URL: `${BASE}/`, OPENAI_API_KEY: KEY, ...extra },
    { fetch: fake.fetchFn },
    retries,
  );
  return { ai, requests: fake.requests, delays: retries.delays };
};

const completion = (content: string, usage?: Record<string, number>) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: 'gpt-4o-mini-2024-07-18',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  ...(usage ? { usage } : {}),
});

describe('openai adapter: chat', () => {
  it('POSTs /chat/completions with bearer auth and reports the served model and usage', async () => {
    const { ai, requests } = provider(() =>
      jsonResponse(completion('Hi there!', { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 })),
    );
    const result = await ai.chat({ messages: [{ role: 'user', content: 'Hello' }], temperature: 0.3, max_tokens: 64 });
    expect(requests).toHaveLength(1);
    const [req] = requests;
    expect(req.method).toBe('POST');
    expect(req.url).toBe(`${BASE}/chat/completions`);
    expect(req.headers.get('authorization')).toBe(`Bearer ${KEY}`);
    expect(req.headers.get('content-type')).toBe('application/json');
    expect(req.body).toEqual({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hello' }],
      temperature: 0.3,
      max_tokens: 64,
    });
    expect(result).toEqual({
      text: 'Hi there!',
      model: 'gpt-4o-mini-2024-07-18',
      provider: 'openai',
      usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12, estimated: false },
    });
  });

  it('works without an API key (Ollama) and estimates usage when absent', async () => {
    const fake = fakeFetch(() => jsonResponse({ model: 'llama3.2', choices: [{ message: { content: 'abcd' } }] }));
    const ai = createAiProvider(
      { AI_PROVIDER: 'openai', OPENAI_BASE_URL: 'http://localhost:11434/v1', AI_CHAT_MODEL: 'llama3.2' },
      { fetch: fake.fetchFn },
    );
    const result = await ai.chat({ messages: [{ role: 'user', content: 'abcd' }] });
    expect(fake.requests[0].url).toBe('http://localhost:11434/v1/chat/completions');
    expect(fake.requests[0].headers.has('authorization')).toBe(false);
    expect(fake.requests[0].body?.model).toBe('llama3.2');
    expect(result.usage).toEqual({ prompt_tokens: 5, completion_tokens: 1, total_tokens: 6, estimated: true });
  });

  it('streams deltas split across chunks, asks for usage and reads the final usage chunk', async () => {
    const pieces = ['The ', 'quick ', 'brown ', 'fox — 速い'];
    const body = sseBody([
      { id: 'c1', model: 'gpt-4o-mini-2024-07-18', choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] },
      ...pieces.map((content) => ({ id: 'c1', choices: [{ index: 0, delta: { content } }] })),
      { id: 'c1', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
      { id: 'c1', choices: [], usage: { prompt_tokens: 11, completion_tokens: 6, total_tokens: 17 } },
    ]);
    const { ai, requests } = provider(
      () => new Response(chunkedStream(body, [13, 2, 31]), { headers: { 'content-type': 'text/event-stream' } }),
    );
    const events = await collect(ai.chatStream({ messages: [{ role: 'user', content: 'Go' }] }));
    expect(requests[0].body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(requests[0].headers.get('accept')).toBe('text/event-stream');
    const text = events.map((e) => (e.type === 'delta' ? e.text : '')).join('');
    expect(text).toBe(pieces.join(''));
    expect(events.at(-1)).toEqual({
      type: 'done',
      model: 'gpt-4o-mini-2024-07-18',
      provider: 'openai',
      usage: { prompt_tokens: 11, completion_tokens: 6, total_tokens: 17, estimated: false },
    });
  });

  it('estimates streamed usage when the server sends no usage chunk', async () => {
    const body = sseBody([{ choices: [{ delta: { content: 'abcdefgh' } }] }]);
    const { ai } = provider(() => new Response(chunkedStream(body)));
    const events = await collect(ai.chatStream({ messages: [{ role: 'user', content: 'abcd' }] }));
    const done = events.at(-1);
    expect(done?.type === 'done' && done.usage).toEqual({
      prompt_tokens: 5,
      completion_tokens: 2,
      total_tokens: 7,
      estimated: true,
    });
  });
});

describe('openai adapter: embeddings', () => {
  it('batches 250 inputs into 3 requests, restores order from `index`, sums usage', async () => {
    const texts = Array.from({ length: 250 }, (_, i) => `doc ${i}`);
    const { ai, requests } = provider((req) => {
      const input = req.body?.input as string[];
      // Answer in reverse order: the adapter must sort by index.
      const data = input
        .map((t, index) => ({ object: 'embedding', index, embedding: [Number(t.slice(4)), 0.5, 0.25] }))
        .reverse();
      return jsonResponse({
        object: 'list',
        model: 'text-embedding-3-small',
        data,
        usage: { prompt_tokens: input.length * 2, total_tokens: input.length * 2 },
      });
    });
    const result = await ai.embed(texts);
    expect(requests.map((r) => r.url)).toEqual(new Array(3).fill(`${BASE}/embeddings`));
    expect(requests.map((r) => (r.body!.input as string[]).length)).toEqual([100, 100, 50]);
    expect(requests[0].body?.model).toBe('text-embedding-3-small');
    expect(result.vectors.map((v) => v[0])).toEqual(texts.map((_, i) => i));
    expect(result.dimensions).toBe(3);
    expect(result.usage).toEqual({ prompt_tokens: 500, completion_tokens: 0, total_tokens: 500, estimated: false });
  });
});

describe('openai adapter: images', () => {
  it('POSTs /images/generations and decodes b64_json (gpt-image-1: nearest supported size)', async () => {
    const { ai, requests } = provider(() =>
      jsonResponse({ created: 1, data: [{ b64_json: bytesToBase64(FAKE_PNG) }] }),
    );
    const result = await ai.generateImage({ prompt: 'a lighthouse', width: 1600, height: 900 });
    expect(requests[0].url).toBe(`${BASE}/images/generations`);
    expect(requests[0].body).toEqual({ model: 'gpt-image-1', prompt: 'a lighthouse', n: 1, size: '1536x1024' });
    expect(result).toEqual({ bytes: FAKE_PNG, contentType: 'image/png', model: 'gpt-image-1', provider: 'openai' });
  });

  it("asks older and self-hosted models for response_format 'b64_json' with the requested size", async () => {
    const { ai, requests } = provider(() => jsonResponse({ data: [{ b64_json: bytesToBase64(FAKE_PNG) }] }), {
      AI_IMAGE_MODEL: 'sdxl-turbo',
    });
    await ai.generateImage({ prompt: 'a lighthouse', width: 640, height: 480 });
    expect(requests[0].body).toEqual({
      model: 'sdxl-turbo',
      prompt: 'a lighthouse',
      n: 1,
      size: '640x480',
      response_format: 'b64_json',
    });
  });
});

describe('openai adapter: structured output', () => {
  const Invoice = z.strictObject({ number: z.string(), total: z.number().nonnegative() });

  it('sends response_format json_schema {name, schema} and tolerates a ```json fence', async () => {
    const { ai, requests } = provider(() =>
      jsonResponse(
        completion('Sure! Here it is:\n```json\n{"number":"INV-7","total":12.5}\n```', {
          prompt_tokens: 50,
          completion_tokens: 10,
          total_tokens: 60,
        }),
      ),
    );
    const result = await structuredOutput(ai, Invoice, { name: 'invoice extract', prompt: 'Invoice INV-7, 12.50 EUR' });
    expect(result.value).toEqual({ number: 'INV-7', total: 12.5 });
    expect(result.attempts).toBe(1);
    const format = requests[0].body?.response_format as {
      type: string;
      json_schema: { name: string; schema: unknown };
    };
    expect(format.type).toBe('json_schema');
    expect(format.json_schema.name).toBe('invoice_extract');
    expect(format.json_schema.schema).toMatchObject({ type: 'object', required: ['number', 'total'] });
  });

  it('repairs once: the second request carries the validation errors; attempts 2 and usage summed', async () => {
    const { ai, requests } = provider((_, i) =>
      jsonResponse(
        i === 0
          ? completion('{"number":"INV-7","total":-3}', { prompt_tokens: 50, completion_tokens: 10, total_tokens: 60 })
          : completion('{"number":"INV-7","total":3}', { prompt_tokens: 80, completion_tokens: 9, total_tokens: 89 }),
      ),
    );
    const result = await structuredOutput(ai, Invoice, { name: 'invoice', prompt: 'Invoice INV-7' });
    expect(result.attempts).toBe(2);
    expect(result.value.total).toBe(3);
    expect(result.usage).toEqual({ prompt_tokens: 130, completion_tokens: 19, total_tokens: 149, estimated: false });
    const messages = requests[1].body?.messages as { role: string; content: string }[];
    expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(messages[2].content).toBe('{"number":"INV-7","total":-3}');
    expect(messages[3].content).toContain('total');
    expect(messages[3].content).toMatch(/>=0|>= ?0|too small/i);
  });

  it('twice invalid → UNPROCESSABLE with reason AI_INVALID_OUTPUT and the issues', async () => {
    const { ai, requests } = provider(() => jsonResponse(completion('I cannot answer that.')));
    const err = await structuredOutput(ai, Invoice, { name: 'invoice', prompt: 'Invoice INV-7' }).catch((e) => e);
    expect(requests).toHaveLength(2);
    expect(err.code).toBe('UNPROCESSABLE');
    expect(err.status).toBe(422);
    expect(err.message).toBe('The AI provider returned invalid structured output twice');
    expect(err.details.reason).toBe('AI_INVALID_OUTPUT');
    expect(err.details.issues).toEqual([{ path: '(root)', message: 'The answer is not valid JSON' }]);
    expect(err.details.usage.estimated).toBe(true);
  });
});

describe('openai adapter: errors and retries', () => {
  it('retries 429 and 5xx with backoff, then succeeds', async () => {
    const { ai, requests, delays } = provider((_, i) =>
      i === 0
        ? jsonResponse({ error: { message: 'Rate limit reached', type: 'requests' } }, 429)
        : i === 1
          ? jsonResponse({ error: { message: 'The server had an error' } }, 502)
          : jsonResponse(completion('done')),
    );
    const result = await ai.chat({ messages: [{ role: 'user', content: 'hi' }] });
    expect(result.text).toBe('done');
    expect(requests).toHaveLength(3);
    expect(delays).toEqual([375, 750]);
  });

  it('honours Retry-After, capped', async () => {
    const { ai, delays } = provider((_, i) =>
      i === 0
        ? jsonResponse({ error: { message: 'slow down' } }, 429, { 'retry-after': '2' })
        : i === 1
          ? jsonResponse({ error: { message: 'slow down' } }, 429, { 'retry-after': '3600' })
          : jsonResponse(completion('ok')),
    );
    await ai.chat({ messages: [{ role: 'user', content: 'hi' }] });
    // 2 s as asked; an hour is capped at 10 s.
    expect(delays).toEqual([2_000, 10_000]);
  });

  it('a permanent 400 is not retried, and the error hides the key and the prompt', async () => {
    const { ai, requests } = provider(() =>
      jsonResponse({ error: { message: `Invalid request for key ${KEY}: unknown parameter` } }, 400),
    );
    const err = await ai.chat({ messages: [{ role: 'user', content: 'my private prompt' }] }).catch((e) => e);
    expect(requests).toHaveLength(1);
    expect(err).toBeInstanceOf(AiProviderError);
    expect(err.retryable).toBe(false);
    expect(err.providerStatus).toBe(400);
    expect(err.message).toContain('400');
    expect(err.message).not.toContain(KEY);
    expect(err.message).not.toContain('my private prompt');
  });

  it('retries network failures and gives up retryable after AI_MAX_RETRIES', async () => {
    const { ai, requests } = provider(
      () => {
        throw new TypeError('fetch failed: connection reset');
      },
      { AI_MAX_RETRIES: '2' },
    );
    const err = await ai.embed(['a']).catch((e) => e);
    expect(requests).toHaveLength(3);
    expect(err.retryable).toBe(true);
  });

  it('bounds a request that never answers, aborting its signal', async () => {
    const signals: AbortSignal[] = [];
    const fetchFn = ((_input: RequestInfo | URL, init?: RequestInit) => {
      if (init?.signal) signals.push(init.signal);
      return new Promise<Response>(() => {});
    }) as typeof fetch;
    const ai = createAiProvider(
      { AI_PROVIDER: 'openai', OPENAI_BASE_URL: BASE, AI_TIMEOUT_MS: '30', AI_MAX_RETRIES: '0' },
      { fetch: fetchFn },
    );
    const started = Date.now();
    const err = await ai.chat({ messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(signals).toHaveLength(1);
    expect(signals[0].aborted).toBe(true);
    expect(err.retryable).toBe(true);
    expect(err.details.reason).toBe('AI_PROVIDER_TIMEOUT');
  });
});
