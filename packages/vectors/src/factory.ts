import { AppError } from '@flowspark/core';
import { createLocalVectorIndex, type LocalIndexNamespace } from './adapters/local';
import { createVectorizeIndex, type VectorizeBinding } from './adapters/vectorize';
import type { VectorIndex } from './types';

export interface VectorEnv {
  /** `local` (default) or `vectorize`. */
  VECTOR_PROVIDER?: string;
  VECTORIZE?: VectorizeBinding;
  VECTOR_INDEX?: LocalIndexNamespace;
}

export const VECTOR_PROVIDERS = ['local', 'vectorize'] as const;

const notConfigured = (message: string) =>
  new AppError('SERVICE_UNAVAILABLE', message, { details: { reason: 'VECTORS_NOT_CONFIGURED' } });

/** The adapter VECTOR_PROVIDER names; a missing binding is a clear configuration error. */
export const createVectorIndex = (env: VectorEnv): VectorIndex => {
  const provider = env.VECTOR_PROVIDER?.trim() || 'local';
  switch (provider) {
    case 'local':
      if (!env.VECTOR_INDEX) {
        throw notConfigured(
          'VECTOR_PROVIDER is "local" but the Worker has no VECTOR_INDEX Durable Object binding (class LocalVectorIndex)',
        );
      }
      return createLocalVectorIndex(env.VECTOR_INDEX);
    case 'vectorize':
      if (!env.VECTORIZE) {
        throw notConfigured(
          'VECTOR_PROVIDER is "vectorize" but the Worker has no VECTORIZE binding: add [[vectorize]] binding = "VECTORIZE" to the wrangler configuration',
        );
      }
      return createVectorizeIndex(env.VECTORIZE);
    default:
      throw notConfigured(`VECTOR_PROVIDER must be one of ${VECTOR_PROVIDERS.join(', ')}`);
  }
};
