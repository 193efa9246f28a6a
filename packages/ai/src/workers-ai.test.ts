import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bytesToBase64 } from './bytes';
import { AiProviderError } from './errors';
import { createAiProvider } from './factory';
import { structuredOutput } from './structured';
import {
  chunkedStream,
  collect,
  FAKE_JPEG,
  FAKE_PNG,
  fakeAiBinding,
  instantRetries,
  type RecordedRun,
  sseBody,
} from './test-fakes';

const vars = { AI_PROVIDER: 'workers-ai' };
const provider = (answer: (call: RecordedRun, index: number) => unknown, extra: Record<string, string> = {}) => {
  const fake = fakeAiBinding(answer);
  const retries = instantRetries();
  return { ...fake, delays: retries.delays, ai: createAiProvider({ ...vars, ...extra }, { AI: fake.ai }, retries) };
};

describe('workers-ai adapter: chat', () => {
  it('sends scoped messages to the default model and reports the documented usage', async () => {
    const { ai, calls } = provider(() => ({
      response: 'Paris is the capital of France.',
      usage: { prompt_tokens: 21, completion_tokens: 8, total_tokens: 29 },
    }));
    const result = await ai.chat({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Capital of France?' },
      ],
      temperature: 0.2,
    });
    expect(result).toEqual({
      text: 'Paris is the capital of France.',
      model: '@cf/meta/llama-3.1-8b-instruct',
      provider: 'workers-ai',
      usage: { prompt_tokens: 21, completion_tokens: 8, total_tokens: 29, estimated: false },
    });
    expect(calls).toHaveLength(1);
    expect(calls[0].model).toBe('@cf/meta/llama-3.1-8b-instruct');
    expect(calls[0].inputs).toEqual({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Capital of France?' },
      ],
      max_tokens: 2048,
      temperature: 0.2,
    });
    expect(calls[0].options?.signal).toBeInstanceOf(AbortSignal);
  });

  it('uses AI_CHAT_MODEL and estimates usage when the model reports none', async () => {
    const { ai, calls } = provider(() => ({ response: 'abcdefgh' }), {
      AI_CHAT_MODEL: '@cf/mistral/mistral-7b-instruct-v0.1',
    });
    const result = await ai.chat({ messages: [{ role: 'user', content: '12345678' }], max_tokens: 50 });
    expect(calls[0].model).toBe('@cf/mistral/mistral-7b-instruct-v0.1');
    expect(calls[0].inputs.max_tokens).toBe(50);
    expect(result.model).toBe('@cf/mistral/mistral-7b-instruct-v0.1');
    // 8 chars → 2 tokens (+4 per message for the chat template); completion 8 chars → 2 tokens.
    expect(result.usage).toEqual({ prompt_tokens: 6, completion_tokens: 2, total_tokens: 8, estimated: true });
  });

  it('streams SSE bytes split at awkward boundaries: deltas concatenate to the text, usage from the last chunk', async () => {
    const parts = ['Bonjour', ', le ', 'monde', ' — ça va ? 你好'];
    const body = sseBody([
      ...parts.map((response) => ({ response, p: 'abcdef' })),
      { response: '', usage: { prompt_tokens: 12, completion_tokens: 9, total_tokens: 21 } },
    ]);
    const { ai, calls } = provider(() => chunkedStream(body, [5, 1, 9, 2]));
    const events = await collect(ai.chatStream({ messages: [{ role: 'user', content: 'Say hello' }] }));
    expect(calls[0].inputs.stream).toBe(true);
    const deltas = events.filter((e) => e.type === 'delta').map((e) => (e as { text: string }).text);
    expect(deltas).toEqual(parts);
    expect(events.at(-1)).toEqual({
      type: 'done',
      model: '@cf/meta/llama-3.1-8b-instruct',
      provider: 'workers-ai',
      usage: { prompt_tokens: 12, completion_tokens: 9, total_tokens: 21, estimated: false },
    });
  });

  it('a data: line split across two chunks is reassembled; usage is estimated when the stream has none', async () => {
    const body = sseBody([{ response: 'Hello' }, { response: ' world' }]);
    const cut = body.indexOf('" world') - 3;
    const { ai } = provider(() => chunkedStream(body, [cut, body.length]));
    const events = await collect(ai.chatStream({ messages: [{ role: 'user', content: 'hi' }] }));
    const text = events.map((e) => (e.type === 'delta' ? e.text : '')).join('');
    expect(text).toBe('Hello world');
    const done = events.at(-1);
    expect(done?.type === 'done' && done.usage).toEqual({
      prompt_tokens: 5,
      completion_tokens: 3,
      total_tokens: 8,
      estimated: true,
    });
  });
});

describe('workers-ai adapter: embeddings', () => {
  it('batches 250 texts into calls of at most 100 and keeps the order', async () => {
    const texts = Array.from({ length: 250 }, (_, i) => `text number ${i}`);
    const { ai, calls } = provider((call) => {
      const batch = call.inputs.text as string[];
      // The documented shape: { shape: [n, 768], data: number[][] }; the vector encodes the text's index.
      return {
        shape: [batch.length, 768],
        data: batch.map((t) => [Number(t.split(' ').at(-1)), ...new Array(767).fill(0)]),
      };
    });
    const result = await ai.embed(texts);
    expect(calls.map((c) => (c.inputs.text as string[]).length)).toEqual([100, 100, 50]);
    expect(calls.every((c) => c.model === '@cf/baai/bge-base-en-v1.5')).toBe(true);
    expect(result.vectors).toHaveLength(250);
    expect(result.vectors.map((v) => v[0])).toEqual(texts.map((_, i) => i));
    expect(result.dimensions).toBe(768);
    expect(result.model).toBe('@cf/baai/bge-base-en-v1.5');
    expect(result.usage.estimated).toBe(true);
    expect(result.usage.prompt_tokens).toBe(1000);
  });

  it('refuses an answer with fewer vectors than texts', async () => {
    const { ai } = provider(() => ({ shape: [1, 2], data: [[0.1, 0.2]] }));
    const err = await ai.embed(['a', 'b']).catch((e) => e);
    expect(err).toBeInstanceOf(AiProviderError);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('1 vectors for 2 texts');
  });
});

describe('workers-ai adapter: images', () => {
  it('decodes flux-1-schnell base64 JPEG and sends only the prompt', async () => {
    const { ai, calls } = provider(() => ({ image: bytesToBase64(FAKE_JPEG) }));
    const result = await ai.generateImage({ prompt: 'a red bicycle', width: 512, height: 512, seed: 3 });
    expect(calls[0].model).toBe('@cf/black-forest-labs/flux-1-schnell');
    expect(calls[0].inputs).toEqual({ prompt: 'a red bicycle' });
    expect(result.bytes).toEqual(FAKE_JPEG);
    expect(result.contentType).toBe('image/jpeg');
    expect(result.model).toBe('@cf/black-forest-labs/flux-1-schnell');
  });

  it('reads a ReadableStream of PNG bytes from other image models, sending size and seed', async () => {
    const model = '@cf/stabilityai/stable-diffusion-xl-base-1.0';
    const { ai, calls } = provider(() => new Blob([FAKE_PNG]).stream(), { AI_IMAGE_MODEL: model });
    const result = await ai.generateImage({
      prompt: 'a cat',
      negative_prompt: 'dog',
      width: 640,
      height: 480,
      seed: 7,
    });
    expect(calls[0].inputs).toEqual({ prompt: 'a cat', negative_prompt: 'dog', width: 640, height: 480, seed: 7 });
    expect(result.bytes).toEqual(FAKE_PNG);
    expect(result.contentType).toBe('image/png');
    expect(result.model).toBe(model);
  });
});

describe('workers-ai adapter: JSON mode and structured output', () => {
  const Country = z.strictObject({ name: z.string(), capital: z.string(), languages: z.array(z.string()).min(1) });

  it('passes response_format json_schema and accepts the object response of JSON mode', async () => {
    const { ai, calls } = provider(() => ({
      // JSON mode answers `response` as an object, not a string.
      response: { name: 'India', capital: 'New Delhi', languages: ['Hindi', 'English'] },
      usage: { prompt_tokens: 40, completion_tokens: 20, total_tokens: 60 },
    }));
    const result = await structuredOutput(ai, Country, { name: 'country', prompt: 'Tell me about India.' });
    expect(result.value).toEqual({ name: 'India', capital: 'New Delhi', languages: ['Hindi', 'English'] });
    expect(result.attempts).toBe(1);
    expect(result.usage).toEqual({ prompt_tokens: 40, completion_tokens: 20, total_tokens: 60, estimated: false });
    const format = calls[0].inputs.response_format as { type: string; json_schema: Record<string, unknown> };
    expect(format.type).toBe('json_schema');
    expect(format.json_schema).toMatchObject({
      type: 'object',
      required: ['name', 'capital', 'languages'],
      additionalProperties: false,
    });
    const messages = calls[0].inputs.messages as { role: string; content: string }[];
    expect(messages[0].role).toBe('system');
    expect(messages[0].content).toContain('JSON only');
  });
});

describe('workers-ai adapter: structured output repair', () => {
  const Answer = z.strictObject({ answer: z.string(), confidence: z.number().min(0).max(1) });

  it('a first invalid answer is repaired: attempts 2, usage summed over both calls', async () => {
    const { ai, calls } = provider((_, i) =>
      i === 0
        ? {
            response: { answer: 'yes', confidence: 7 },
            usage: { prompt_tokens: 30, completion_tokens: 5, total_tokens: 35 },
          }
        : {
            response: { answer: 'yes', confidence: 0.7 },
            usage: { prompt_tokens: 60, completion_tokens: 6, total_tokens: 66 },
          },
    );
    const result = await structuredOutput(ai, Answer, { name: 'answer', prompt: 'Is it?' });
    expect(result).toEqual({
      value: { answer: 'yes', confidence: 0.7 },
      model: '@cf/meta/llama-3.1-8b-instruct',
      provider: 'workers-ai',
      usage: { prompt_tokens: 90, completion_tokens: 11, total_tokens: 101, estimated: false },
      attempts: 2,
    });
    const repair = calls[1].inputs.messages as { role: string; content: string }[];
    expect(repair[2]).toEqual({ role: 'assistant', content: '{"answer":"yes","confidence":7}' });
    expect(repair[3].content).toContain('confidence');
    expect(calls[1].inputs.response_format).toEqual(calls[0].inputs.response_format);
  });
});

describe('workers-ai adapter: JSON mode failures', () => {
  const Answer = z.strictObject({ answer: z.string() });

  it('"JSON Mode couldn\'t be met" counts as an invalid answer: repaired once, then UNPROCESSABLE', async () => {
    const { ai, calls } = provider((_, i) => {
      if (i === 0) throw new Error("JSON Mode couldn't be met");
      return { response: { wrong: true }, usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 } };
    });
    const err = await structuredOutput(ai, Answer, { name: 'answer', prompt: 'q' }).catch((e) => e);
    expect(calls).toHaveLength(2);
    const repair = calls[1].inputs.messages as { role: string; content: string }[];
    expect(repair.at(-1)?.content).toContain('The answer is not valid JSON');
    expect(err.code).toBe('UNPROCESSABLE');
    expect(err.details.reason).toBe('AI_INVALID_OUTPUT');
    expect(err.details.issues.map((i: { path: string }) => i.path)).toContain('answer');
    expect(err.details.usage.prompt_tokens).toBeGreaterThan(10);
  });
});

describe('workers-ai adapter: errors and retries', () => {
  it('retries "3040: Capacity temporarily exceeded" with backoff, then succeeds', async () => {
    const { ai, calls, delays } = provider((_, i) => {
      if (i < 2) throw new Error('3040: Capacity temporarily exceeded, please try again.');
      return { response: 'ok' };
    });
    const result = await ai.chat({ messages: [{ role: 'user', content: 'hi' }] });
    expect(result.text).toBe('ok');
    expect(calls).toHaveLength(3);
    // Equal jitter with random() = 0.5: 3/4 of 500 ms, then of 1000 ms.
    expect(delays).toEqual([375, 750]);
  });

  it('gives up after AI_MAX_RETRIES with a retryable AiProviderError', async () => {
    const { ai, calls } = provider(
      () => {
        throw new Error('InferenceUpstreamError: 503 Service Unavailable');
      },
      { AI_MAX_RETRIES: '1' },
    );
    const err = await ai.chat({ messages: [{ role: 'user', content: 'secret prompt text' }] }).catch((e) => e);
    expect(calls).toHaveLength(2);
    expect(err).toBeInstanceOf(AiProviderError);
    expect(err.retryable).toBe(true);
    expect(err.providerStatus).toBe(503);
    expect(err.code).toBe('SERVICE_UNAVAILABLE');
    expect(err.message).not.toContain('secret prompt text');
  });

  it('does not retry a permanent input error', async () => {
    const { ai, calls } = provider(() => {
      throw new Error("5006: Error: oneOf at '/' not met, 0 matches");
    });
    const err = await ai.chat({ messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(calls).toHaveLength(1);
    expect(err.retryable).toBe(false);
  });

  it('bounds a call that never answers by AI_TIMEOUT_MS per attempt', async () => {
    const { ai, calls } = provider(() => new Promise(() => {}), { AI_TIMEOUT_MS: '40', AI_MAX_RETRIES: '1' });
    const started = Date.now();
    const err = await ai.chat({ messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(calls).toHaveLength(2);
    expect(calls[0].options?.signal?.aborted).toBe(true);
    expect(err).toBeInstanceOf(AiProviderError);
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('timed out after 40 ms');
  });
});
