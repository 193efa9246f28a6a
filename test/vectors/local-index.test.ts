import { evictDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { AppError } from '@flowspark/core';
import { syntheticVector, syntheticVectors, type VectorRecord } from '@flowspark/vectors';
import { describe, expect, it } from 'vitest';
import { vectorIndex } from '../../workers/lib/vectors';

const index = () => vectorIndex(env);
const tenant = () => `org_${crypto.randomUUID().replaceAll('-', '')}`;
const stub = (namespace: string) => env.VECTOR_INDEX.get(env.VECTOR_INDEX.idFromName(namespace));

const DIMS = 384;
const vec = (i: number, seed = 1) => Array.from(syntheticVector(i, DIMS, seed));

const record = (id: string, values: number[], metadata: Partial<VectorRecord['metadata']> = {}): VectorRecord => ({
  id,
  values,
  metadata: { document_id: 'kbd_1', chunk_index: 0, page: null, tags: [], category: null, ...metadata },
});

const cosine = (a: number[], b: number[]) => {
  let dot = 0;
  let na = 0;
  let nb = 0;
  a.forEach((x, i) => {
    dot += x * b[i];
    na += x * x;
    nb += b[i] * b[i];
  });
  return dot / Math.sqrt(na * nb);
};

const appError = async (promise: Promise<unknown>) => {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
};

describe('local vector index (Durable Object per namespace)', () => {
  it('upserts, queries with cosine scores best first, and deletes', async () => {
    const ns = tenant();
    const records = Array.from({ length: 30 }, (_, i) => record(`chk_${i}`, vec(i), { chunk_index: i, page: i + 1 }));
    await index().upsert(ns, records);
    const query = vec(1000);
    const matches = await index().query(ns, query, { topK: 10 });
    const expected = records
      .map((r) => ({ id: r.id, score: cosine(query, r.values) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 10);
    expect(matches.map((m) => m.id)).toEqual(expected.map((e) => e.id));
    matches.forEach((m, i) => {
      expect(m.score).toBeCloseTo(expected[i].score, 5);
    });
    const top = records.find((r) => r.id === matches[0].id)!;
    expect(matches[0].metadata).toEqual(top.metadata);

    await index().deleteByIds(ns, [matches[0].id, 'chk_unknown']);
    const after = await index().query(ns, query, { topK: 10 });
    const remaining = records
      .filter((r) => r.id !== matches[0].id)
      .map((r) => ({ id: r.id, score: cosine(query, r.values) }))
      .sort((a, b) => b.score - a.score);
    expect(after.map((m) => m.id)).toEqual(remaining.slice(0, 10).map((e) => e.id));
    expect(await stub(ns).stats()).toMatchObject({ namespace: ns, count: 29, dims: DIMS, loaded: true });
  });

  it('filters by document ids, any of the tags and category', async () => {
    const ns = tenant();
    const records = Array.from({ length: 40 }, (_, i) =>
      record(`chk_${i}`, vec(i), {
        document_id: `kbd_${i % 4}`,
        chunk_index: i,
        tags: i % 2 === 0 ? ['even'] : ['odd', ...(i % 5 === 0 ? ['five'] : [])],
        category: i % 3 === 0 ? 'thirds' : null,
      }),
    );
    await index().upsert(ns, records);
    const q = vec(7);
    /** The query's ids against the best 20 (by exact cosine) of the records passing `test`. */
    const check = async (filter: object, test: (i: number) => boolean) => {
      const got = (await index().query(ns, q, { topK: 20, filter })).map((m) => m.id);
      const expected = records
        .filter((_, i) => test(i))
        .sort((a, b) => cosine(q, b.values) - cosine(q, a.values))
        .slice(0, 20)
        .map((r) => r.id);
      expect(got).toEqual(expected);
      return got;
    };
    expect(await check({ document_ids: ['kbd_1', 'kbd_3'] }, (i) => i % 2 === 1)).toHaveLength(20);
    expect(await check({ tags: ['five'] }, (i) => i % 10 === 5)).toHaveLength(4);
    expect(await check({ tags: ['five', 'even'] }, (i) => i % 2 === 0 || i % 10 === 5)).toHaveLength(20);
    expect(await check({ category: 'thirds' }, (i) => i % 3 === 0)).toHaveLength(14);
    expect(
      await check({ category: 'thirds', tags: ['odd'], document_ids: ['kbd_1'] }, (i) => [9, 21, 33].includes(i)),
    ).toHaveLength(3);
    expect(await check({ category: 'none' }, () => false)).toEqual([]);
  });

  it("never returns another tenant's vectors, even identical ones", async () => {
    const a = tenant();
    const b = tenant();
    const shared = vec(5);
    await index().upsert(a, [record('chk_a', shared, { document_id: 'kbd_a' })]);
    await index().upsert(b, [record('chk_b', shared, { document_id: 'kbd_b' }), record('chk_b2', vec(6))]);
    const fromA = await index().query(a, shared, { topK: 20 });
    expect(fromA.map((m) => m.id)).toEqual(['chk_a']);
    expect((await index().query(b, shared, { topK: 20 })).map((m) => m.id)).toEqual(['chk_b', 'chk_b2']);
    // Deleting B's id from A's namespace touches nothing of B's.
    await index().deleteByIds(a, ['chk_b']);
    expect((await index().query(b, shared, { topK: 1 }))[0].id).toBe('chk_b');
    // An object only ever serves the namespace it was created for.
    const result = await stub(a).query(b, { vector: new Float32Array(shared), topK: 1 });
    expect(result).toMatchObject({ ok: false, error: { code: 'INTERNAL_ERROR' } });
  });

  it('fixes the dimension with the first upsert, and frees it when the namespace is emptied', async () => {
    const ns = tenant();
    await index().upsert(ns, [record('chk_1', [1, 0, 0])]);
    const err = await appError(index().upsert(ns, [record('chk_2', [1, 0, 0, 0])]));
    expect(err.code).toBe('UNPROCESSABLE');
    expect(err.details).toEqual({ reason: 'DIMENSION_MISMATCH', expected: 3, got: 4 });
    expect((await appError(index().query(ns, [1, 0], { topK: 1 }))).code).toBe('UNPROCESSABLE');
    await index().deleteByIds(ns, ['chk_1']);
    await index().upsert(ns, [record('chk_2', [0, 1, 0, 0])]);
    expect((await index().query(ns, [0, 1, 0, 0], { topK: 1 }))[0]).toMatchObject({
      id: 'chk_2',
      score: expect.closeTo(1, 6),
    });
  });

  it('caps topK at 20 and validates like the Vectorize adapter', async () => {
    const ns = tenant();
    await index().upsert(
      ns,
      Array.from({ length: 25 }, (_, i) => record(`chk_${i}`, vec(i))),
    );
    expect(await index().query(ns, vec(0), { topK: 20 })).toHaveLength(20);
    expect((await appError(index().query(ns, vec(0), { topK: 21 }))).code).toBe('VALIDATION_ERROR');
    expect((await appError(index().upsert(ns, [record('x'.repeat(65), vec(0))]))).code).toBe('VALIDATION_ERROR');
    expect((await appError(index().upsert('n'.repeat(65), [record('chk_1', vec(0))]))).code).toBe('VALIDATION_ERROR');
    const nan = vec(0);
    nan[3] = Number.NaN;
    expect((await appError(index().query(ns, nan, { topK: 1 }))).code).toBe('VALIDATION_ERROR');
    // The object itself refuses batches over 1,000 (the adapter splits them).
    const big = await stub(ns).deleteByIds(
      ns,
      Array.from({ length: 1001 }, (_, i) => `chk_${i}`),
    );
    expect(big).toMatchObject({ ok: false, error: { code: 'VALIDATION_ERROR' } });
  });

  it('replaces a record on re-upsert (values and metadata)', async () => {
    const ns = tenant();
    await index().upsert(ns, [record('chk_1', vec(1), { tags: ['old'] }), record('chk_2', vec(2))]);
    await index().query(ns, vec(1), { topK: 1 }); // loads the in-memory index, which must follow the update
    await index().upsert(ns, [record('chk_1', vec(3), { tags: ['new'], category: 'c', page: 9 })]);
    const [top] = await index().query(ns, vec(3), { topK: 1 });
    expect(top).toEqual({
      id: 'chk_1',
      score: expect.closeTo(1, 6),
      metadata: { document_id: 'kbd_1', chunk_index: 0, page: 9, tags: ['new'], category: 'c' },
    });
    expect((await index().query(ns, vec(1), { topK: 1 }))[0].score).toBeLessThan(0.99);
    expect(await stub(ns).stats()).toMatchObject({ count: 2 });
  });

  it('keeps vectors across eviction of the Durable Object', async () => {
    const ns = tenant();
    await index().upsert(
      ns,
      Array.from({ length: 50 }, (_, i) => record(`chk_${i}`, vec(i), { chunk_index: i, tags: ['t'] })),
    );
    const before = await index().query(ns, vec(17), { topK: 5 });
    await evictDurableObject(stub(ns));
    expect(await stub(ns).stats()).toMatchObject({ namespace: ns, count: 50, dims: DIMS, loaded: false });
    const after = await index().query(ns, vec(17), { topK: 5 });
    expect(after).toEqual(before);
    expect(after[0]).toMatchObject({
      id: 'chk_17',
      score: expect.closeTo(1, 6),
      metadata: { chunk_index: 17, tags: ['t'] },
    });
  });

  it('finds the exact nearest neighbour among 10,000 vectors (upserted in batches of 1,000)', async () => {
    const ns = tenant();
    const vectors = syntheticVectors(10_000, DIMS, 77);
    const records = vectors.map((v, i) =>
      record(`chk_${i}`, Array.from(v), { document_id: `kbd_${i % 50}`, chunk_index: i }),
    );
    await index().upsert(ns, records);
    expect(await stub(ns).stats()).toMatchObject({ count: 10_000, dims: DIMS });
    for (const target of [0, 4321, 9999]) {
      const matches = await index().query(ns, Array.from(vectors[target]), { topK: 5 });
      expect(matches[0].id).toBe(`chk_${target}`);
      expect(matches[0].score).toBeCloseTo(1, 6);
      expect(matches[0].metadata).toEqual(records[target].metadata);
      expect(matches[1].score).toBeLessThan(matches[0].score);
    }
    const filtered = await index().query(ns, Array.from(vectors[4321]), {
      topK: 5,
      filter: { document_ids: ['kbd_21'] },
    });
    expect(filtered[0].id).toBe('chk_4321');
    expect(filtered.every((m) => m.metadata.document_id === 'kbd_21')).toBe(true);
  });
});
