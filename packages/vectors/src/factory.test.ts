import { AppError } from '@flowspark/core';
import { describe, expect, it } from 'vitest';
import { createVectorIndex } from './factory';
import { fakeVectorize } from './test-fakes';

const localNamespace = { idFromName: () => ({}) as DurableObjectId, get: () => ({}) };

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof AppError ? [err.code, (err.details as { reason?: string }).reason] : ['?'];
  }
  return null;
};

describe('createVectorIndex', () => {
  it('chooses the adapter from VECTOR_PROVIDER (default local)', async () => {
    expect(createVectorIndex({ VECTOR_INDEX: localNamespace })).toEqual({
      upsert: expect.any(Function),
      query: expect.any(Function),
      deleteByIds: expect.any(Function),
    });
    const fake = fakeVectorize({ dimensions: 2 });
    const index = createVectorIndex({
      VECTOR_PROVIDER: 'vectorize',
      VECTORIZE: fake.binding,
      VECTOR_INDEX: localNamespace,
    });
    await index.query('org_a', [1, 0], { topK: 1 });
    expect(fake.callsOf('query')).toHaveLength(1);
  });

  it('names the missing binding or the unknown provider', () => {
    expect(code(() => createVectorIndex({ VECTOR_PROVIDER: 'vectorize' }))).toEqual([
      'SERVICE_UNAVAILABLE',
      'VECTORS_NOT_CONFIGURED',
    ]);
    expect(code(() => createVectorIndex({ VECTOR_PROVIDER: 'local' }))).toEqual([
      'SERVICE_UNAVAILABLE',
      'VECTORS_NOT_CONFIGURED',
    ]);
    expect(code(() => createVectorIndex({ VECTOR_PROVIDER: 'pinecone', VECTOR_INDEX: localNamespace }))).toEqual([
      'SERVICE_UNAVAILABLE',
      'VECTORS_NOT_CONFIGURED',
    ]);
  });
});
