export {
  createLocalProvider,
  extractiveAnswer,
  LOCAL_MAX_IMAGE_SIDE,
  type LocalProviderOptions,
} from './adapters/local';
export { createOpenAiProvider, type OpenAiEndpoint } from './adapters/openai';
export { type AdapterOptions, EMBEDDING_BATCH_SIZE } from './adapters/shared';
export { classifyWorkersAiError, createWorkersAiProvider, WORKERS_AI_DEFAULT_MAX_TOKENS } from './adapters/workers-ai';
export {
  type AiConfig,
  DEFAULT_LOCAL_EMBEDDINGS_URL,
  DEFAULT_MAX_RETRIES,
  DEFAULT_MODELS,
  DEFAULT_TIMEOUT_MS,
  LOCAL_EMBEDDING_MODELS,
  LOCAL_EMBEDDINGS,
  type LocalEmbeddings,
  type ModelSet,
  PROVIDERS,
  parseAiConfig,
} from './config';
export { type AiErrorReason, AiProviderError, isAiProviderError, safeMessage } from './errors';
export { type AiProviderOptions, createAiProvider } from './factory';
export { hashEmbedding, type LexicalOptions, LOCAL_EMBEDDING_DIMENSIONS, lexicalFeatures } from './lexical-embedding';
export {
  chatEstimate,
  DEFAULT_RESERVED_OUTPUT_TOKENS,
  type MeteredCall,
  meteredProvider,
  type TokenMeter,
} from './metered';
export {
  createModelEmbedder,
  LOCAL_MODEL_EMBEDDING,
  MODEL_EMBEDDING_LIMITS,
  type ModelEmbeddingEndpoint,
} from './model-embedding';
export { backoffDelay, parseRetryAfter, RETRY_DEFAULTS, type RetryOptions, withRetry } from './retry';
export { sampleJsonSchema } from './schema-sample';
export { describeIssues, extractJson, type OutputIssue, structuredOutput, toJsonSchema } from './structured';
export { addUsage, estimatedUsage, estimateTokens } from './tokens';
export type * from './types';
