import { type AiProvider, createAiProvider } from '@flowspark/ai';
import type { Env } from '../env';

export type AiProviderFactory = (env: Env) => AiProvider;

const configured: AiProviderFactory = (env) => createAiProvider(env, { AI: env.AI });

let factory: AiProviderFactory = configured;
const providers = new WeakMap<object, AiProvider>();

/** The configured AI provider (AI_PROVIDER: local, workers-ai or openai), one per env per isolate. */
export const aiProvider = (env: Env): AiProvider => {
  if (factory !== configured) return factory(env);
  let provider = providers.get(env);
  if (!provider) {
    provider = configured(env);
    providers.set(env, provider);
  }
  return provider;
};

/**
 * Replaces how providers are made, for tests that need a provider no configuration gives (one that
 * answers garbage, or fails in a particular way). `null` restores the configured provider. The
 * override is per isolate and never used by production code; the provider it returns is not cached.
 */
export const setAiProviderFactory = (next: AiProviderFactory | null): void => {
  factory = next ?? configured;
};
