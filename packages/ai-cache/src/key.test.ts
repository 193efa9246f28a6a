import type { ChatRequest } from '@flowspark/ai';
import { describe, expect, it } from 'vitest';
import { CACHE_KEY_VERSION, cacheKeyOf, canonicalJson, normalizePrompt, sha256Hex } from './key';

const TARGET = { provider: 'local', model: 'local-extractive-v1' };
const ask = (prompt: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  messages: [
    { role: 'system', content: 'You answer briefly.' },
    { role: 'user', content: prompt },
  ],
  ...extra,
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined fields, so equal values hash alike', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[1,{"y":2,"z":1}]},"b":1}',
    );
    expect(canonicalJson({ type: 'object', properties: { a: {} } })).toBe(
      canonicalJson({ properties: { a: {} }, type: 'object' }),
    );
    expect(canonicalJson(undefined)).toBe('null');
  });
});

describe('cacheKeyOf', () => {
  it('the prompt is the last user message, normalised (NFC, trimmed); the rest is the scope', async () => {
    const a = await cacheKeyOf(ask('  Where is the café?\n'), TARGET);
    const b = await cacheKeyOf(ask('Where is the cafe\u0301?'), TARGET);
    expect(a.prompt).toBe('Where is the café?');
    expect(b).toEqual(a);
    expect(a.scope).toMatch(/^[0-9a-f]{64}$/);
    expect(a.promptHash).toBe(await sha256Hex(`${a.scope}\n${a.prompt}`));
    expect(normalizePrompt(' x ')).toBe('x');
  });

  it('another prompt in the same scope: same scope, another exact key; case is kept', async () => {
    const a = await cacheKeyOf(ask('How do I reset my password?'), TARGET);
    const b = await cacheKeyOf(ask('how do i reset my password?'), TARGET);
    expect(b.scope).toBe(a.scope);
    expect(b.promptHash).not.toBe(a.promptHash);
  });

  it('the model, the provider, the system prompt, earlier turns, temperature, max_tokens and the schema change the scope', async () => {
    const base = await cacheKeyOf(ask('Hello?'), TARGET);
    const variants: Array<[string, ChatRequest, typeof TARGET]> = [
      ['model', ask('Hello?'), { ...TARGET, model: 'other-model' }],
      ['provider', ask('Hello?'), { ...TARGET, provider: 'openai' }],
      [
        'system',
        {
          messages: [
            { role: 'system', content: 'You answer at length.' },
            { role: 'user', content: 'Hello?' },
          ],
        },
        TARGET,
      ],
      [
        'earlier turn',
        {
          messages: [
            { role: 'system', content: 'You answer briefly.' },
            { role: 'user', content: 'Hi' },
            { role: 'assistant', content: 'Hello! How can I help?' },
            { role: 'user', content: 'Hello?' },
          ],
        },
        TARGET,
      ],
      ['temperature', ask('Hello?', { temperature: 0.7 }), TARGET],
      ['temperature 0', ask('Hello?', { temperature: 0 }), TARGET],
      ['max_tokens', ask('Hello?', { max_tokens: 100 }), TARGET],
      ['json_schema', ask('Hello?', { json_schema: { type: 'object' } }), TARGET],
    ];
    const scopes = new Set([base.scope]);
    for (const [name, req, target] of variants) {
      const key = await cacheKeyOf(req, target);
      expect(key.prompt, name).toBe('Hello?');
      expect(key.scope, name).not.toBe(base.scope);
      scopes.add(key.scope);
    }
    expect(scopes.size).toBe(variants.length + 1);
  });

  it('the prompt keeps its place: the same text as an earlier turn is another scope', async () => {
    const first = await cacheKeyOf(
      {
        messages: [
          { role: 'user', content: 'A' },
          { role: 'assistant', content: 'B' },
          { role: 'user', content: 'C' },
        ],
      },
      TARGET,
    );
    const moved = await cacheKeyOf(
      {
        messages: [
          { role: 'user', content: 'C' },
          { role: 'assistant', content: 'B' },
          { role: 'user', content: 'A' },
        ],
      },
      TARGET,
    );
    expect(moved.scope).not.toBe(first.scope);
  });

  it('the signal is not part of the key; a request without a user message has an empty prompt', async () => {
    const a = await cacheKeyOf(ask('Hi', { signal: new AbortController().signal }), TARGET);
    expect(a).toEqual(await cacheKeyOf(ask('Hi'), TARGET));
    const none = await cacheKeyOf({ messages: [{ role: 'system', content: 'Say hello.' }] }, TARGET);
    expect(none.prompt).toBe('');
    expect(CACHE_KEY_VERSION).toBe(1);
  });
});
