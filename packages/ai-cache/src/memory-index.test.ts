import { describe, expect, it } from 'vitest';
import { CacheIndex, type IndexedEntry, type SimilarQuery } from './memory-index';
import { cosine, unitVector, vectorBytes, vectorFromBytes } from './vectors';

const T0 = 1_000_000;
let nextId = 0;
const entry = (over: Partial<IndexedEntry> = {}): IndexedEntry => {
  nextId += 1;
  return {
    id: nextId,
    scope: 's1',
    promptHash: `h${nextId}`,
    guard: 'g',
    embeddingModel: 'm',
    vector: unitVector([1, 0, 0]),
    createdAt: T0,
    expiresAt: T0 + 60_000,
    usedAt: T0,
    ...over,
  };
};
const query = (over: Partial<SimilarQuery> = {}): SimilarQuery => ({
  scope: 's1',
  guard: 'g',
  embeddingModel: 'm',
  vector: unitVector([1, 0, 0]),
  threshold: 0.9,
  now: T0 + 1,
  ...over,
});

describe('vectors', () => {
  it('unit vectors, cosine as a dot product, BLOBs both ways', () => {
    const v = unitVector([3, 4])!;
    expect(Array.from(v)).toEqual([expect.closeTo(0.6, 6), expect.closeTo(0.8, 6)]);
    expect(cosine(v, v)).toBeCloseTo(1, 6);
    expect(cosine(v, unitVector([-4, 3])!)).toBeCloseTo(0, 6);
    expect(cosine(v, unitVector([1, 2, 3])!)).toBe(-1);
    expect(unitVector([0, 0])).toBeNull();
    expect(unitVector([])).toBeNull();
    expect(unitVector([Number.NaN, 1])).toBeNull();
    const view = new Float32Array([9, 1, 2, 9]).subarray(1, 3);
    expect(Array.from(vectorFromBytes(vectorBytes(view))!)).toEqual([1, 2]);
    expect(vectorFromBytes(null)).toBeNull();
    expect(vectorFromBytes(new ArrayBuffer(6))).toBeNull();
  });
});

describe('CacheIndex.lookup', () => {
  it('the exact key first, whatever the vectors say', () => {
    const index = new CacheIndex();
    const a = entry({ vector: null });
    index.add(a);
    expect(index.lookup(a.promptHash, query({ vector: unitVector([0, 1, 0]) }))).toEqual({
      entry: a,
      match: 'exact',
      similarity: 1,
    });
  });

  it('else the most similar entry of the scope at or above the threshold (the newest of equals)', () => {
    const index = new CacheIndex();
    const far = entry({ vector: unitVector([0.7, 0.7, 0]) });
    const near = entry({ vector: unitVector([0.95, 0.05, 0]) });
    const nearTwin = entry({ vector: unitVector([0.95, 0.05, 0]), createdAt: T0 - 5 });
    for (const e of [far, near, nearTwin]) index.add(e);
    const found = index.lookup('unknown', query())!;
    expect(found.entry).toBe(near);
    expect(found.match).toBe('similar');
    expect(found.similarity).toBeCloseTo(cosine(near.vector!, unitVector([1, 0, 0])!), 6);
    expect(index.lookup('unknown', query({ threshold: 0.9999 }))).toBeNull();
  });

  it('never another scope, guard or embedding model; never an expired entry; nothing without a vector', () => {
    const index = new CacheIndex();
    index.add(entry({ scope: 's2' }));
    index.add(entry({ guard: 'other' }));
    index.add(entry({ embeddingModel: 'other-model' }));
    index.add(entry({ expiresAt: T0 }));
    index.add(entry({ vector: null }));
    expect(index.lookup('unknown', query())).toBeNull();
    const scoped = entry({ scope: 's2' });
    index.add(scoped);
    expect(index.lookup(scoped.promptHash, query())).toBeNull();
    expect(index.lookup('unknown', query({ vector: null }))).toBeNull();
    const expired = entry({ expiresAt: T0 + 1 });
    index.add(expired);
    expect(index.lookup(expired.promptHash, query())).toBeNull();
  });

  it('a new answer under the same exact key replaces the old one everywhere', () => {
    const index = new CacheIndex();
    const old = entry({ promptHash: 'same' });
    const fresh = entry({ promptHash: 'same', vector: unitVector([0, 0, 1]) });
    index.add(old);
    index.add(fresh);
    expect(index.size).toBe(1);
    expect(index.get(old.id)).toBeUndefined();
    expect(index.lookup('same', query())?.entry).toBe(fresh);
    expect(index.lookup('other', query())).toBeNull();
    index.remove(fresh.id);
    expect(index.size).toBe(0);
    index.add(entry());
    index.clear();
    expect(index.lookup('x', query())).toBeNull();
  });
});

describe('CacheIndex.overCap', () => {
  it('expired entries go first, then the least recently used beyond the cap', () => {
    const index = new CacheIndex();
    const expired = entry({ expiresAt: T0 });
    const used = entry({ usedAt: T0 + 500 });
    const idle = entry({ usedAt: T0 + 10 });
    const idler = entry({ usedAt: T0 + 5 });
    const newest = entry({ usedAt: T0 + 900 });
    for (const e of [expired, used, idle, idler, newest]) index.add(e);
    expect(index.overCap(10, T0 + 1)).toEqual({ expired: [expired], evicted: [] });
    expect(index.overCap(4, T0 + 1)).toEqual({ expired: [expired], evicted: [] });
    expect(index.overCap(2, T0 + 1)).toEqual({ expired: [expired], evicted: [idler, idle] });
    expect(index.expired(T0 + 60_001).length).toBe(5);
  });
});
