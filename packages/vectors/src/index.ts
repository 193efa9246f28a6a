export {
  createLocalVectorIndex,
  type LocalIndexNamespace,
  type LocalIndexRpc,
  type LocalQuery,
  type LocalResult,
  type LocalUpsertBatch,
  toLocalResult,
} from './adapters/local';
export {
  createVectorizeIndex,
  fromVectorizeMetadata,
  toVectorizeFilter,
  toVectorizeMetadata,
  VECTORIZE_METADATA_INDEXES,
  type VectorizeBinding,
} from './adapters/vectorize';
export { createVectorIndex, VECTOR_PROVIDERS, type VectorEnv } from './factory';
export { VECTOR_LIMITS } from './limits';
export { type Candidate, type ExactVectors, MemoryIndex, rerankCandidates } from './memory-index';
export { type SyntheticOptions, syntheticCluster, syntheticVector, syntheticVectors } from './synthetic';
export type * from './types';
export {
  dimensionMismatch,
  isEmptyFilter,
  matchesFilter,
  normalizeFilter,
  validateIds,
  validateMetadata,
  validateNamespace,
  validateQuery,
  validateRecords,
} from './validation';
export { cosineSimilarity, quantize, unitCosine, unitVector } from './vector-math';
