import { AppError } from '@flowspark/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODELS, parseAiConfig } from './config';
import { AiProviderError } from './errors';
import { createAiProvider } from './factory';
import { backoffDelay, parseRetryAfter, withRetry } from './retry';
import { fakeAiBinding } from './test-fakes';

const configFailure = (fn: () => unknown): AiProviderError => {
  try {
    fn();
  } catch (err) {
    return err as AiProviderError;
  }
  throw new Error('expected a configuration error');
};

describe('createAiProvider', () => {
  it('defaults to the offline local provider', () => {
    expect(createAiProvider({}, {}).name).toBe('local');
    expect(createAiProvider({ AI_PROVIDER: ' Local ' }, {}).name).toBe('local');
  });

  it('workers-ai without an AI binding is a clear, permanent SERVICE_UNAVAILABLE', () => {
    const err = configFailure(() => createAiProvider({ AI_PROVIDER: 'workers-ai' }, {}));
    expect(err).toBeInstanceOf(AiProviderError);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('SERVICE_UNAVAILABLE');
    expect(err.retryable).toBe(false);
    expect(err.details?.reason).toBe('AI_NOT_CONFIGURED');
    expect(err.message).toContain('no AI binding');
  });

  it('openai without OPENAI_BASE_URL, or with a bad one, is a clear error that never echoes the URL', () => {
    const missing = configFailure(() => createAiProvider({ AI_PROVIDER: 'openai', OPENAI_API_KEY: 'sk-x' }, {}));
    expect(missing.message).toContain('OPENAI_BASE_URL is not set');
    expect(missing.retryable).toBe(false);
    const bad = configFailure(() =>
      createAiProvider({ AI_PROVIDER: 'openai', OPENAI_BASE_URL: 'ftp://user:pw@host/v1' }, {}),
    );
    expect(bad.message).toBe('OPENAI_BASE_URL must be an http(s) URL');
    expect(bad.message).not.toContain('pw');
  });

  it('an unknown AI_PROVIDER names the valid ones', () => {
    const err = configFailure(() => createAiProvider({ AI_PROVIDER: 'anthropic' }, {}));
    expect(err.message).toBe('Unknown AI_PROVIDER "anthropic": expected one of local, workers-ai, openai');
    expect(err.code).toBe('SERVICE_UNAVAILABLE');
  });

  it('invalid AI_TIMEOUT_MS / AI_MAX_RETRIES are configuration errors', () => {
    expect(configFailure(() => createAiProvider({ AI_TIMEOUT_MS: 'soon' }, {})).message).toContain('AI_TIMEOUT_MS');
    expect(configFailure(() => createAiProvider({ AI_MAX_RETRIES: '-1' }, {})).message).toContain('AI_MAX_RETRIES');
  });

  it('builds the workers-ai and openai adapters when configured', () => {
    expect(createAiProvider({ AI_PROVIDER: 'workers-ai' }, { AI: fakeAiBinding(() => ({})).ai }).name).toBe(
      'workers-ai',
    );
    expect(createAiProvider({ AI_PROVIDER: 'openai', OPENAI_BASE_URL: 'http://localhost:11434/v1' }, {}).name).toBe(
      'openai',
    );
  });
});

describe('parseAiConfig', () => {
  it('has default models per provider and operation, overridable by the variables', () => {
    expect(parseAiConfig({ AI_PROVIDER: 'workers-ai' })).toMatchObject({
      models: {
        chat: '@cf/meta/llama-3.1-8b-instruct',
        embedding: '@cf/baai/bge-base-en-v1.5',
        image: '@cf/black-forest-labs/flux-1-schnell',
      },
      timeoutMs: 60_000,
      maxRetries: 2,
    });
    expect(parseAiConfig({ AI_PROVIDER: 'openai', OPENAI_BASE_URL: 'https://api.openai.com/v1/' })).toMatchObject({
      models: DEFAULT_MODELS.openai,
      openaiBaseUrl: 'https://api.openai.com/v1',
    });
    const custom = parseAiConfig({
      AI_PROVIDER: 'workers-ai',
      AI_CHAT_MODEL: '@cf/qwen/qwen2.5-coder-32b-instruct',
      AI_EMBEDDING_MODEL: '@cf/baai/bge-m3',
      AI_IMAGE_MODEL: '@cf/lykon/dreamshaper-8-lcm',
      AI_TIMEOUT_MS: '15000',
      AI_MAX_RETRIES: '0',
    });
    expect(custom).toMatchObject({
      models: {
        chat: '@cf/qwen/qwen2.5-coder-32b-instruct',
        embedding: '@cf/baai/bge-m3',
        image: '@cf/lykon/dreamshaper-8-lcm',
      },
      timeoutMs: 15_000,
      maxRetries: 0,
    });
  });

  it('ignores the model variables for the local provider and OpenAI variables for the others', () => {
    const config = parseAiConfig({ AI_PROVIDER: 'local', AI_CHAT_MODEL: 'gpt-4o', OPENAI_BASE_URL: 'not a url' });
    expect(config.models).toEqual(DEFAULT_MODELS.local);
    expect(config.openaiBaseUrl).toBeUndefined();
  });
});

describe('retry helpers', () => {
  it('backoff grows exponentially with jitter and is capped', () => {
    const at = (attempt: number, r: number) => backoffDelay(attempt, { maxRetries: 9, timeoutMs: 1, random: () => r });
    expect([at(1, 0), at(1, 1)]).toEqual([250, 500]);
    expect([at(2, 0), at(3, 0)]).toEqual([500, 1_000]);
    expect(at(10, 1)).toBe(8_000);
  });

  it('parses Retry-After as seconds, an HTTP date, or retry-after-ms', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter(new Headers({ 'retry-after': '7' }), now)).toBe(7_000);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }), now)).toBe(30_000);
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '1500', 'retry-after': '9' }), now)).toBe(1_500);
    expect(parseRetryAfter(new Headers(), now)).toBeUndefined();
  });

  it('a caller that cancels stops the retries (not retryable)', async () => {
    const controller = new AbortController();
    let calls = 0;
    const err = await withRetry(
      { provider: 'openai', operation: 'chat' },
      { maxRetries: 5, timeoutMs: 1_000, sleep: async () => controller.abort() },
      async () => {
        calls++;
        throw new AiProviderError('busy', { provider: 'openai', retryable: true });
      },
      (e) => e as AiProviderError,
      controller.signal,
    ).catch((e) => e);
    expect(calls).toBe(1);
    expect(err.retryable).toBe(false);
    expect(err.message).toBe('openai chat was cancelled');
  });
});
