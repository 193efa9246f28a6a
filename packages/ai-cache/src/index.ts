// @flowspark/ai-cache: the semantic cache of LLM answers, as pure logic (scope and exact keys,
// prompt guards, unit vectors and cosine similarity, the in-memory index and its eviction, the
// settings and the object's schema). The SemanticCache object (workers/objects/semantic-cache.ts)
// holds one organization's entries; workers/lib/ai-cache.ts puts it in front of the provider.
export * from './guard';
export * from './key';
export * from './memory-index';
export * from './schema';
export * from './settings';
export type * from './types';
export * from './vectors';
