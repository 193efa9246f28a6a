import { type AiProvider, createAiProvider } from '@flowspark/ai';
import type { Env } from '../env';

const providers = new WeakMap<object, AiProvider>();

/** The configured AI provider (AI_PROVIDER: local, workers-ai or openai), one per env per isolate. */
export const aiProvider = (env: Env): AiProvider => {
  let provider = providers.get(env);
  if (!provider) {
    provider = createAiProvider(env, { AI: env.AI });
    providers.set(env, provider);
  }
  return provider;
};
