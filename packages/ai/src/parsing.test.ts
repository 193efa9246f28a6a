import { describe, expect, it } from 'vitest';
import { safeMessage } from './errors';
import { sampleJsonSchema } from './schema-sample';
import { sseData } from './sse';
import { extractJson } from './structured';
import { chunkedStream, collect } from './test-fakes';
import { addUsage, estimateTokens, usageFrom } from './tokens';

const sse = (text: string, sizes?: number[]) =>
  collect(
    sseData(chunkedStream(text, sizes), {
      idleTimeoutMs: 1_000,
      onTimeout: () => new Error('stalled'),
    }),
  );

describe('sseData', () => {
  it('yields data payloads across CRLF, comments, other fields and multi-line data', async () => {
    const text =
      ': keep-alive\r\nevent: message\r\nid: 1\r\ndata: {"a":1}\r\n\r\ndata: line one\ndata: line two\n\ndata: [DONE]\n\n';
    expect(await sse(text, [1])).toEqual(['{"a":1}', 'line one\nline two', '[DONE]']);
  });

  it('tolerates JSON events without a blank line between them and a final event without one', async () => {
    expect(await sse('data: {"a":1}\ndata: {"b":2}\ndata: [DONE]')).toEqual(['{"a":1}', '{"b":2}', '[DONE]']);
  });

  it('reassembles multi-byte characters split across chunks', async () => {
    expect(await sse('data: {"t":"日本語 ✓"}\n\n', [9, 1, 1, 1, 1])).toEqual(['{"t":"日本語 ✓"}']);
  });

  it('gives up on a stream that stalls longer than the idle timeout', async () => {
    const stalled = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('data: {"a":1}\n\n'));
      },
    });
    const seen: string[] = [];
    const err = await (async () => {
      for await (const data of sseData(stalled, { idleTimeoutMs: 20, onTimeout: () => new Error('stalled') })) {
        seen.push(data);
      }
    })().catch((e) => e);
    expect(seen).toEqual(['{"a":1}']);
    expect(err.message).toBe('stalled');
  });
});

describe('extractJson', () => {
  it.each([
    ['{"a":1}', { a: 1 }],
    ['  [1,2]  ', [1, 2]],
    ['```json\n{"a":"b"}\n```', { a: 'b' }],
    ['Here you go:\n```\n{"a":2}\n```\nAnything else?', { a: 2 }],
    [
      'Sure! The answer is {"text":"a } inside \\" a string","n":[1,{"x":null}]} as requested.',
      { text: 'a } inside " a string', n: [1, { x: null }] },
    ],
    ['Note {not json} then {"ok":true}', { ok: true }],
  ])('finds the JSON in %j', (text, expected) => {
    expect(extractJson(text)).toEqual({ ok: true, value: expected });
  });

  it('reports text without JSON', () => {
    expect(extractJson('No JSON here, sorry.')).toEqual({ ok: false });
    expect(extractJson('{"unterminated": ')).toEqual({ ok: false });
  });
});

describe('sampleJsonSchema', () => {
  it('resolves $ref, allOf, tuples, nullable types and numeric bounds', () => {
    const schema = {
      $defs: {
        Point: {
          type: 'object',
          properties: { x: { type: 'integer', exclusiveMinimum: 4, multipleOf: 3 } },
          required: ['x'],
        },
      },
      type: 'object',
      properties: {
        p: { $ref: '#/$defs/Point' },
        merged: {
          allOf: [
            { type: 'object', properties: { a: { type: 'boolean' } }, required: ['a'] },
            { properties: { b: { const: 'B' } }, required: ['b'] },
          ],
        },
        pair: {
          type: 'array',
          prefixItems: [
            { type: 'string', maxLength: 3 },
            { type: 'number', maximum: -2 },
          ],
          items: false,
        },
        maybe: { type: ['null', 'string'], minLength: 12 },
        none: { type: 'array', maxItems: 0, items: { type: 'string' } },
        many: { type: 'array', minItems: 5, items: { enum: ['x', 'y'] } },
      },
      required: ['p', 'merged', 'pair', 'maybe', 'none', 'many'],
    };
    const value = sampleJsonSchema(schema, 'alpha beta gamma') as Record<string, any>;
    expect(value.p).toEqual({ x: 6 });
    expect(value.merged).toEqual({ a: true, b: 'B' });
    expect(value.pair).toEqual(['Alp', -2]);
    expect(value.maybe.length).toBeGreaterThanOrEqual(12);
    expect(value.none).toEqual([]);
    expect(value.many).toEqual(['x', 'x', 'x', 'x', 'x']);
  });

  it('stops on recursive schemas', () => {
    const tree = {
      type: 'object',
      properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#' } } },
      required: ['name', 'children'],
    };
    const value = sampleJsonSchema(tree, 'root') as { children: unknown[] };
    expect(JSON.stringify(value).length).toBeLessThan(10_000);
  });
});

describe('tokens and messages', () => {
  it('estimates ~4 characters per token and one per CJK character', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('abcdefgh')).toBe(2);
    expect(estimateTokens('你好世界')).toBe(4);
  });

  it('reads provider usage, fills gaps, and sums', () => {
    const fallback = () => ({ prompt_tokens: 1, completion_tokens: 1, total_tokens: 2, estimated: true });
    expect(usageFrom({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 }, fallback)).toEqual({
      prompt_tokens: 3,
      completion_tokens: 4,
      total_tokens: 7,
      estimated: false,
    });
    expect(usageFrom({ prompt_tokens: 5, total_tokens: 5 }, fallback)).toMatchObject({ completion_tokens: 0 });
    expect(usageFrom(undefined, fallback)).toEqual(fallback());
    expect(addUsage(fallback(), { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7, estimated: false })).toEqual(
      { prompt_tokens: 4, completion_tokens: 5, total_tokens: 9, estimated: true },
    );
  });

  it('safeMessage redacts keys and bearer tokens and cuts long upstream text', () => {
    const text = safeMessage(`Bearer abc.def.ghi failed for sk-live-1234567890 and mysecret ${'x'.repeat(500)}`, [
      'mysecret',
    ]);
    expect(text).not.toMatch(/abc\.def|sk-live|mysecret/);
    expect(text.length).toBeLessThanOrEqual(201);
  });
});
