import { describe, expect, it } from 'vitest';
import { MemoryIndex, rerankCandidates } from './memory-index';
import { syntheticVector, syntheticVectors } from './synthetic';
import type { VectorMetadata } from './types';
import { dot, quantize, unitVector } from './vector-math';

const meta = (overrides: Partial<VectorMetadata> = {}): VectorMetadata => ({
  document_id: 'kbd_1',
  chunk_index: 0,
  page: null,
  tags: [],
  category: null,
  ...overrides,
});

/** Exact top k by brute force over float vectors. */
const bruteForce = (vectors: Float32Array[], query: Float32Array, k: number) =>
  vectors
    .map((v, i) => ({ id: `v${i}`, score: dot(query, v) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k);

const build = (vectors: Float32Array[], metadata: (i: number) => VectorMetadata = () => meta()) => {
  const index = new MemoryIndex(vectors[0].length);
  vectors.forEach((v, i) => {
    index.set(`v${i}`, metadata(i), v);
  });
  const exact = (ids: string[]) => new Map(ids.map((id) => [id, vectors[Number(id.slice(1))]]));
  return { index, exact };
};

describe('MemoryIndex', () => {
  it('finds the exact top 10 of 6,000 clustered vectors (crossing block boundaries) with exact scores', () => {
    const vectors = syntheticVectors(6000, 64, 7);
    const { index, exact } = build(vectors);
    expect(index.size).toBe(6000);
    for (const q of [0, 4095, 4096, 5999, 6100, 7000]) {
      const query = syntheticVector(q, 64, 7);
      const expected = bruteForce(vectors, query, 10);
      const got = index.search(query, 10, {}, exact);
      expect(got.map((m) => m.id)).toEqual(expected.map((m) => m.id));
      got.forEach((m, i) => {
        expect(m.score).toBeCloseTo(expected[i].score, 6);
      });
    }
  });

  it('estimates scores within int8 rounding without re-ranking', () => {
    const vectors = syntheticVectors(500, 384, 3);
    const { index } = build(vectors);
    const query = syntheticVector(900, 384, 3);
    for (const c of index.candidates(query, 20)) {
      expect(Math.abs(c.approx - dot(query, vectors[Number(c.id.slice(1))]))).toBeLessThan(0.01);
    }
    expect(rerankCandidates(20)).toBe(96);
  });

  it('gives a query with few non-zero dimensions the estimates of the full scan, bit for bit', () => {
    const dims = 64;
    const vectors = syntheticVectors(5000, dims, 9);
    const { index, exact } = build(vectors);
    // The full scan's estimate: int8 codes times the query, even and odd dimensions summed apart.
    const codes = new Int8Array(dims);
    const fullScan = (query: Float32Array, v: Float32Array) => {
      // The index keeps each scale as a float32.
      const scale = Math.fround(quantize(v, 0, dims, codes, 0));
      let even = 0;
      let odd = 0;
      for (let j = 0; j < dims; j += 2) {
        even += query[j] * codes[j];
        odd += query[j + 1] * codes[j + 1];
      }
      return (even + odd) * scale;
    };
    const sparseQuery = (nonZero: number[], seed: number) => {
      const q = new Float32Array(dims);
      nonZero.forEach((j, n) => {
        q[j] = (n + seed) % 2 === 0 ? 0.5 + n / 10 : -0.25 - n / 20;
      });
      return unitVector(q);
    };
    const queries = [
      sparseQuery([3], 0),
      sparseQuery([0, 1], 1),
      sparseQuery([5, 40, 41, 63], 0),
      // 16 of 64 dimensions: the most the sparse scan takes; one more and the full scan runs.
      sparseQuery(
        [...Array(16).keys()].map((j) => j * 4 + 1),
        1,
      ),
      sparseQuery(
        [...Array(17).keys()].map((j) => j * 3),
        0,
      ),
      syntheticVector(9999, dims, 9),
    ];
    for (const query of queries) {
      const expected = vectors
        .map((v, i) => ({ id: `v${i}`, approx: fullScan(query, v) }))
        .sort((a, b) => b.approx - a.approx);
      const got = index.candidates(query, 30);
      expect(got.map((c) => c.approx)).toEqual(expected.slice(0, 30).map((c) => c.approx));
      // Equal estimates may come in either order; every id carries its own estimate.
      for (const c of got) expect(c.approx).toBe(fullScan(query, vectors[Number(c.id.slice(1))]));
      expect(index.search(query, 5, {}, exact).map((m) => m.id)).toEqual(
        bruteForce(vectors, query, 5).map((m) => m.id),
      );
    }
  });

  it('filters by document ids, any of the tags, and category (AND across fields)', () => {
    const vectors = syntheticVectors(300, 32, 11);
    const { index, exact } = build(vectors, (i) =>
      meta({
        document_id: `kbd_${i % 3}`,
        tags: i % 2 === 0 ? ['even'] : ['odd', i % 5 === 0 ? 'five' : 'other'],
        category: i % 7 === 0 ? 'sevens' : null,
        chunk_index: i,
      }),
    );
    const query = vectors[42];
    const check = (filter: Parameters<MemoryIndex['search']>[2], test: (i: number) => boolean) => {
      const got = index.search(query, 20, filter, exact);
      const expected = bruteForce(
        vectors.filter((_, i) => test(i)),
        query,
        20,
      ).map((m) => m.score);
      expect(got.map((m) => m.score)).toEqual(expected.map((s) => expect.closeTo(s, 6)));
      for (const m of got) expect(test(m.metadata.chunk_index)).toBe(true);
      return got;
    };
    check({ documentIds: new Set(['kbd_1', 'kbd_2']) }, (i) => i % 3 !== 0);
    check({ tags: new Set(['five', 'even']) }, (i) => i % 2 === 0 || i % 5 === 0);
    check({ category: 'sevens' }, (i) => i % 7 === 0);
    check(
      { documentIds: new Set(['kbd_0']), category: 'sevens', tags: new Set(['odd']) },
      (i) => i % 21 === 0 && i % 2 === 1,
    );
    expect(index.search(query, 5, { category: 'unknown' })).toEqual([]);
    expect(index.search(query, 5, { documentIds: new Set(['kbd_9']) })).toEqual([]);
    expect(index.search(query, 5, { tags: new Set(['nope']) })).toEqual([]);
  });

  it('replaces by id, deletes by moving the last row, and returns metadata as stored', () => {
    const vectors = syntheticVectors(5000, 16, 5);
    const { index, exact } = build(vectors, (i) => meta({ chunk_index: i, page: i % 2 ? i : null, tags: ['b', 'a'] }));
    expect(index.metadata('v3')).toEqual({
      document_id: 'kbd_1',
      chunk_index: 3,
      page: 3,
      tags: ['b', 'a'],
      category: null,
    });
    expect(index.delete('v10')).toBe(true);
    expect(index.delete('v10')).toBe(false);
    expect(index.size).toBe(4999);
    expect(index.has('v4999')).toBe(true);
    // The moved row (the former last one) is still found by its own vector.
    expect(index.search(vectors[4999], 1, {}, exact)[0].id).toBe('v4999');
    expect(index.search(vectors[10], 1, {}, exact)[0].id).not.toBe('v10');
    index.set('v20', meta({ category: 'moved' }), vectors[10]);
    const [top] = index.search(vectors[10], 1, {}, () => new Map([['v20', vectors[10]]]));
    expect(top).toMatchObject({ id: 'v20', metadata: { category: 'moved' } });
    expect(top.score).toBeCloseTo(1, 6);
    for (let i = 0; i < 5000; i++) index.delete(`v${i}`);
    expect(index.size).toBe(0);
    expect(index.search(vectors[0], 5)).toEqual([]);
  });

  it('scores an all-zero vector 0 against everything', () => {
    const index = new MemoryIndex(4);
    index.set('zero', meta(), [0, 0, 0, 0]);
    index.set('x', meta(), [1, 0, 0, 0]);
    const got = index.search([1, 0, 0, 0], 2);
    expect(got.map((m) => [m.id, m.score])).toEqual([
      ['x', expect.closeTo(1, 6)],
      ['zero', 0],
    ]);
  });
});
