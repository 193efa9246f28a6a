import { createLocalProvider } from './adapters/local';
import { createOpenAiProvider } from './adapters/openai';
import { createWorkersAiProvider } from './adapters/workers-ai';
import { parseAiConfig } from './config';
import { configError } from './errors';
import type { RetryOptions } from './retry';
import type { AiBindings, AiProvider, AiVars } from './types';

/** Retry tuning beyond the variables; tests inject `sleep` and `random` so they never wait. */
export type AiProviderOptions = Pick<
  RetryOptions,
  'sleep' | 'random' | 'baseDelayMs' | 'maxDelayMs' | 'retryAfterCapMs'
>;

// Global fetch is wrapped: calling it detached from globalThis throws "Illegal invocation" in Workers.
const fetchFn = (bindings: AiBindings): typeof fetch => bindings.fetch ?? ((input, init) => fetch(input, init));

/**
 * The provider chosen by AI_PROVIDER (default `local`). Misconfiguration is a permanent
 * AiProviderError (an AppError SERVICE_UNAVAILABLE, reason AI_NOT_CONFIGURED): `workers-ai` without
 * the AI binding, `openai` without OPENAI_BASE_URL, an unknown provider, invalid numbers.
 */
export const createAiProvider = (vars: AiVars, bindings: AiBindings, options: AiProviderOptions = {}): AiProvider => {
  const config = parseAiConfig(vars);
  const retry: RetryOptions = { ...options, maxRetries: config.maxRetries, timeoutMs: config.timeoutMs };
  switch (config.provider) {
    case 'local':
      return createLocalProvider({
        embeddings: config.localEmbeddings,
        ...(config.localEmbeddingsUrl
          ? { modelEndpoint: { url: config.localEmbeddingsUrl, fetch: fetchFn(bindings), retry } }
          : {}),
      });
    case 'workers-ai':
      if (!bindings.AI) {
        throw configError(
          'workers-ai',
          'AI_PROVIDER is "workers-ai" but the Worker has no AI binding: add [ai] binding = "AI" to the wrangler configuration or choose another AI_PROVIDER',
        );
      }
      return createWorkersAiProvider(bindings.AI, { models: config.models, retry });
    case 'openai': {
      if (!config.openaiBaseUrl) {
        throw configError(
          'openai',
          'AI_PROVIDER is "openai" but OPENAI_BASE_URL is not set (e.g. https://api.openai.com/v1 or http://localhost:11434/v1 for Ollama)',
        );
      }
      return createOpenAiProvider({ baseUrl: config.openaiBaseUrl, apiKey: config.openaiApiKey }, fetchFn(bindings), {
        models: config.models,
        retry,
      });
    }
  }
};
