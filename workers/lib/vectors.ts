import { createVectorIndex, type VectorIndex } from '@flowspark/vectors';
import type { Env } from '../env';

export type VectorIndexFactory = (env: Env) => VectorIndex;

const configured: VectorIndexFactory = (env) => createVectorIndex(env);

let factory: VectorIndexFactory = configured;
const indexes = new WeakMap<object, VectorIndex>();

/** The configured vector index (VECTOR_PROVIDER: local or vectorize), one per env per isolate. */
export const vectorIndex = (env: Env): VectorIndex => {
  if (factory !== configured) return factory(env);
  let index = indexes.get(env);
  if (!index) {
    index = configured(env);
    indexes.set(env, index);
  }
  return index;
};

/**
 * Replaces how indexes are made, for tests that need one no configuration gives (e.g. the Vectorize
 * adapter over a fake binding). `null` restores the configured index. Per isolate; never used by
 * production code; the index it returns is not cached.
 */
export const setVectorIndexFactory = (next: VectorIndexFactory | null): void => {
  factory = next ?? configured;
};
