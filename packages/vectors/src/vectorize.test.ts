import { AppError } from '@flowspark/core';
import { describe, expect, it } from 'vitest';
import { createVectorizeIndex } from './adapters/vectorize';
import { fakeVectorize } from './test-fakes';
import type { VectorRecord } from './types';

const DIMS = 8;

/** A unit-ish vector pointing mostly along axis `axis`, with a little of `axis + 1`. */
const along = (axis: number, lean = 0.1): number[] => {
  const v = new Array(DIMS).fill(0);
  v[axis % DIMS] = 1;
  v[(axis + 1) % DIMS] = lean;
  return v;
};

const record = (id: string, values: number[], overrides: Partial<VectorRecord['metadata']> = {}): VectorRecord => ({
  id,
  values,
  metadata: { document_id: 'kbd_a', chunk_index: 0, page: null, tags: [], category: null, ...overrides },
});

const setup = () => {
  const fake = fakeVectorize({ dimensions: DIMS });
  return { fake, index: createVectorizeIndex(fake.binding) };
};

const expectAppError = async (promise: Promise<unknown>, code: string) => {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(code);
  return err as AppError;
};

describe('vectorize adapter: writes', () => {
  it('splits 2,500 vectors into upsert calls of at most 1,000, each tagged with the namespace', async () => {
    const { fake, index } = setup();
    const records = Array.from({ length: 2500 }, (_, i) => record(`chk_${i}`, along(i), { chunk_index: i }));
    await index.upsert('org_a', records);
    const upserts = fake.callsOf('upsert');
    expect(upserts.map((c) => (c.args[0] as unknown[]).length)).toEqual([1000, 1000, 500]);
    const first = (upserts[0].args[0] as VectorizeVector[])[0];
    expect(first).toEqual({
      id: 'chk_0',
      values: along(0),
      namespace: 'org_a',
      metadata: { document_id: 'kbd_a', chunk_index: 0, tags: '[]' },
    });
    // The index dimension is read once and cached.
    await index.upsert('org_a', [record('chk_x', along(1))]);
    expect(fake.callsOf('describe')).toHaveLength(1);
    fake.settle();
    expect(fake.store.size).toBe(2501);
  });

  it('does not wait for Vectorize to apply writes: they are found once the index has processed them', async () => {
    const { fake, index } = setup();
    await index.upsert('org_a', [record('chk_1', along(0))]);
    expect(await index.query('org_a', along(0), { topK: 5 })).toEqual([]);
    fake.settle();
    expect((await index.query('org_a', along(0), { topK: 5 })).map((m) => m.id)).toEqual(['chk_1']);
  });

  it('replaces a record on re-upsert, and keeps the last of duplicate ids in one call', async () => {
    const { fake, index } = setup();
    await index.upsert('org_a', [record('chk_1', along(0), { tags: ['old'] })]);
    await index.upsert('org_a', [
      record('chk_1', along(3), { tags: ['first'] }),
      record('chk_1', along(5), { tags: ['new'], page: 4, category: 'policies' }),
    ]);
    expect((fake.callsOf('upsert')[1].args[0] as unknown[]).length).toBe(1);
    fake.settle();
    const [match] = await index.query('org_a', along(5), { topK: 1 });
    expect(match.id).toBe('chk_1');
    expect(match.score).toBeCloseTo(1, 6);
    expect(match.metadata).toEqual({
      document_id: 'kbd_a',
      chunk_index: 0,
      page: 4,
      tags: ['new'],
      category: 'policies',
    });
  });

  it('deletes in calls of at most 1,000 ids, and deleted vectors are no longer found', async () => {
    const { fake, index } = setup();
    const records = Array.from({ length: 2500 }, (_, i) => record(`chk_${i}`, along(i)));
    await index.upsert('org_a', records);
    fake.settle();
    await index.deleteByIds(
      'org_a',
      records.map((r) => r.id),
    );
    expect(fake.callsOf('deleteByIds').map((c) => (c.args[0] as unknown[]).length)).toEqual([1000, 1000, 500]);
    fake.settle();
    expect(fake.store.size).toBe(0);
    expect(await index.query('org_a', along(0), { topK: 20 })).toEqual([]);
  });

  it('refuses a dimension other than the index one before calling Vectorize', async () => {
    const { fake, index } = setup();
    const err = await expectAppError(index.upsert('org_a', [record('chk_1', [1, 0, 0, 0])]), 'UNPROCESSABLE');
    expect(err.details).toEqual({ reason: 'DIMENSION_MISMATCH', expected: 8, got: 4 });
    await expectAppError(index.query('org_a', [1, 0, 0], { topK: 3 }), 'UNPROCESSABLE');
    expect(fake.callsOf('upsert')).toHaveLength(0);
    expect(fake.callsOf('query')).toHaveLength(0);
  });

  it('validates ids, namespaces, values and metadata against the Vectorize limits', async () => {
    const { fake, index } = setup();
    await expectAppError(index.upsert('org_a', [record('x'.repeat(65), along(0))]), 'VALIDATION_ERROR');
    await expectAppError(index.upsert('n'.repeat(65), [record('chk_1', along(0))]), 'VALIDATION_ERROR');
    await expectAppError(
      index.upsert('org_a', [record('chk_1', [Number.NaN, ...along(0).slice(1)])]),
      'VALIDATION_ERROR',
    );
    await expectAppError(index.upsert('org_a', [record('chk_1', [1e39, ...along(0).slice(1)])]), 'VALIDATION_ERROR');
    await expectAppError(
      index.upsert('org_a', [record('chk_1', along(0), { tags: Array.from({ length: 33 }, (_, i) => `t${i}`) })]),
      'VALIDATION_ERROR',
    );
    await expectAppError(
      index.upsert('org_a', [record('chk_1', along(0), { category: 'c'.repeat(65) })]),
      'VALIDATION_ERROR',
    );
    await expectAppError(index.deleteByIds('org_a', ['y'.repeat(65)]), 'VALIDATION_ERROR');
    expect(fake.calls.filter((c) => c.op !== 'describe')).toHaveLength(0);
  });

  it('reports a failing binding as SERVICE_UNAVAILABLE naming the operation', async () => {
    const { fake, index } = setup();
    fake.binding.upsert = async () => {
      throw new Error('VECTOR_UPSERT_ERROR (code = 40000): index not found');
    };
    const err = await expectAppError(index.upsert('org_a', [record('chk_1', along(0))]), 'SERVICE_UNAVAILABLE');
    expect(err.message).toContain('upsert');
    expect(err.details).toEqual({ provider: 'vectorize', operation: 'upsert' });
  });
});

describe('vectorize adapter: queries', () => {
  const seed = async () => {
    const { fake, index } = setup();
    await index.upsert('org_a', [
      record('chk_a1', along(0, 0.1), { document_id: 'kbd_1', tags: ['hr', 'policy'], category: 'handbook', page: 1 }),
      record('chk_a2', along(0, 0.5), { document_id: 'kbd_2', tags: ['finance'], category: 'reports', chunk_index: 3 }),
      record('chk_a3', along(0, 0.9), { document_id: 'kbd_3', tags: ['policy'], category: 'handbook' }),
      record('chk_a4', along(4), { document_id: 'kbd_4' }),
    ]);
    // Tenant B holds a vector identical to tenant A's best match.
    await index.upsert('org_b', [record('chk_b1', along(0, 0.1), { document_id: 'kbd_b', tags: ['hr'] })]);
    fake.settle();
    return { fake, index };
  };

  it('returns cosine-ordered matches with metadata, only from the namespace asked', async () => {
    const { fake, index } = await seed();
    const matches = await index.query('org_a', along(0, 0.1), { topK: 3 });
    expect(matches.map((m) => m.id)).toEqual(['chk_a1', 'chk_a2', 'chk_a3']);
    expect(matches[0].score).toBeCloseTo(1, 6);
    expect(matches[0].score).toBeGreaterThan(matches[1].score);
    expect(matches[1].score).toBeGreaterThan(matches[2].score);
    expect(matches[0].metadata).toEqual({
      document_id: 'kbd_1',
      chunk_index: 0,
      page: 1,
      tags: ['hr', 'policy'],
      category: 'handbook',
    });
    expect(fake.callsOf('query')[0].args[1]).toEqual({
      topK: 3,
      namespace: 'org_a',
      returnMetadata: 'all',
      returnValues: false,
    });
    const b = await index.query('org_b', along(0, 0.1), { topK: 20 });
    expect(b.map((m) => m.id)).toEqual(['chk_b1']);
  });

  it('filters document ids and category on Vectorize with $eq / $in', async () => {
    const { fake, index } = await seed();
    const one = await index.query('org_a', along(0), { topK: 5, filter: { document_ids: ['kbd_3'] } });
    expect(one.map((m) => m.id)).toEqual(['chk_a3']);
    const two = await index.query('org_a', along(0), { topK: 5, filter: { document_ids: ['kbd_2', 'kbd_4'] } });
    expect(two.map((m) => m.id).sort()).toEqual(['chk_a2', 'chk_a4']);
    const category = await index.query('org_a', along(0), { topK: 5, filter: { category: 'handbook' } });
    expect(category.map((m) => m.id)).toEqual(['chk_a1', 'chk_a3']);
    const filters = fake.callsOf('query').map((c) => (c.args[1] as VectorizeQueryOptions).filter);
    expect(filters).toEqual([
      { document_id: { $eq: 'kbd_3' } },
      { document_id: { $in: ['kbd_2', 'kbd_4'] } },
      { category: { $eq: 'handbook' } },
    ]);
  });

  it('filters tags after the query: 100 nearest ids, their metadata, those with a wanted tag', async () => {
    const { fake, index } = await seed();
    const matches = await index.query('org_a', along(0), {
      topK: 1,
      filter: { tags: ['policy'], category: 'handbook' },
    });
    expect(matches.map((m) => m.id)).toEqual(['chk_a1']);
    const all = await index.query('org_a', along(0), { topK: 5, filter: { tags: ['policy', 'finance'] } });
    expect(all.map((m) => m.id)).toEqual(['chk_a1', 'chk_a2', 'chk_a3']);
    expect(fake.callsOf('query')[0].args[1]).toEqual({
      topK: 100,
      namespace: 'org_a',
      returnMetadata: 'none',
      returnValues: false,
      filter: { category: { $eq: 'handbook' } },
    });
    expect(fake.callsOf('getByIds')[0].args[0]).toEqual(['chk_a1', 'chk_a3']);
    // Tenant B's identically tagged vector is never a candidate.
    expect(await index.query('org_a', along(0, 0.1), { topK: 5, filter: { tags: ['hr'] } })).toHaveLength(1);
  });

  it('caps topK at 20 (the Vectorize limit with metadata) and validates filters', async () => {
    const { fake, index } = await seed();
    await expectAppError(index.query('org_a', along(0), { topK: 21 }), 'VALIDATION_ERROR');
    await expectAppError(index.query('org_a', along(0), { topK: 0 }), 'VALIDATION_ERROR');
    await expectAppError(index.query('org_a', along(0), { topK: 2.5 }), 'VALIDATION_ERROR');
    await expectAppError(
      index.query('org_a', along(0), {
        topK: 5,
        filter: { document_ids: Array.from({ length: 41 }, (_, i) => `kbd_${i}`) },
      }),
      'VALIDATION_ERROR',
    );
    await expectAppError(index.query('org_a', along(0), { topK: 5, filter: { nope: 1 } as never }), 'VALIDATION_ERROR');
    expect(fake.callsOf('query')).toHaveLength(0);
    expect(await index.query('org_a', along(0), { topK: 20 })).toHaveLength(4);
    // The widest filter we allow stays under Vectorize's 2,048-byte filter limit.
    const ids = Array.from({ length: 40 }, () => `kbd_${crypto.randomUUID().replaceAll('-', '')}`);
    await index.query('org_a', along(0), { topK: 20, filter: { document_ids: ids, category: 'c'.repeat(64) } });
  });

  it('treats empty filter arrays as no filter', async () => {
    const { fake, index } = await seed();
    const matches = await index.query('org_a', along(0), { topK: 20, filter: { document_ids: [], tags: [] } });
    expect(matches).toHaveLength(4);
    expect((fake.callsOf('query')[0].args[1] as VectorizeQueryOptions).filter).toBeUndefined();
  });
});

describe('the fake binding enforces the documented limits', () => {
  it('refuses oversize upserts, deletes, topK with metadata, long namespaces and unindexed filters', async () => {
    const { binding, settle } = fakeVectorize({ dimensions: 2 });
    const many = Array.from({ length: 1001 }, (_, i) => ({ id: `v${i}`, values: [1, 0] }));
    await expect(binding.upsert(many)).rejects.toThrow(/VECTOR_UPSERT_ERROR/);
    await expect(binding.deleteByIds(many.map((v) => v.id))).rejects.toThrow(/VECTOR_DELETE_ERROR/);
    await expect(binding.query([1, 0], { topK: 21, returnMetadata: 'all' })).rejects.toThrow(/topK/);
    await expect(binding.query([1, 0], { topK: 21, returnValues: true })).rejects.toThrow(/topK/);
    await expect(binding.query([1, 0], { topK: 101 })).rejects.toThrow(/topK/);
    await expect(binding.query([1, 0], { topK: 5, namespace: 'n'.repeat(65) })).rejects.toThrow(/namespace/);
    await binding.upsert([{ id: 'a', values: [1, 0], namespace: 'x', metadata: { tags: 'hr' } }]);
    settle();
    expect((await binding.query([1, 0], { topK: 100, namespace: 'x' })).matches).toHaveLength(1);
    expect((await binding.query([1, 0], { topK: 5, namespace: 'x', filter: { tags: 'hr' } })).matches).toHaveLength(0);
  });
});
