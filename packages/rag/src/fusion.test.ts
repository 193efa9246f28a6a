import { describe, expect, it } from 'vitest';
import { DEFAULT_HYBRID_FUSION, fuseRankings, hybridFusion, reciprocalRankFusion } from './fusion';

const hits = (...ids: string[]) => ids.map((id) => ({ id, source: 'x' }));

describe('reciprocalRankFusion', () => {
  it('sums 1 / (k + rank) over the lists and sorts by score', () => {
    const keyword = hits('a', 'b', 'c');
    const vector = hits('c', 'a', 'd');
    const fused = reciprocalRankFusion([keyword, vector]);
    expect(fused.map((r) => r.id)).toEqual(['a', 'c', 'b', 'd']);
    expect(fused[0]).toEqual({ id: 'a', score: 1 / 61 + 1 / 62, item: keyword[0], ranks: [1, 2] });
    expect(fused[1]!.score).toBeCloseTo(1 / 63 + 1 / 61, 12);
    expect(fused[2]).toMatchObject({ id: 'b', ranks: [2, 0] });
    expect(fused[3]).toMatchObject({ id: 'd', ranks: [0, 3] });
  });

  it('uses k: a small k rewards top ranks more', () => {
    const lists = [hits('a', 'b', 'c', 'd'), hits('d', 'x', 'y', 'a')];
    // a: 1/(k+1) + 1/(k+4); d: 1/(k+4) + 1/(k+1): a tie at any k, broken by best rank then list order.
    expect(
      reciprocalRankFusion(lists, 1)
        .slice(0, 2)
        .map((r) => r.id),
    ).toEqual(['a', 'd']);
    const skewed = [hits('a', 'b'), hits('b', 'z'), hits('a', 'q', 'r', 's', 't', 'u', 'b')];
    expect(reciprocalRankFusion(skewed, 0)[0]!.id).toBe('a');
    expect(reciprocalRankFusion(skewed, 1000)[0]!.id).toBe('b');
  });

  it('keeps a stable order on ties: best rank first, then the earlier list, then first appearance', () => {
    const fused = reciprocalRankFusion([hits('a', 'b'), hits('c', 'd'), hits('e')]);
    expect(fused.map((r) => r.id)).toEqual(['a', 'c', 'e', 'b', 'd']);
    expect(reciprocalRankFusion([hits('a', 'b'), hits('c', 'd'), hits('e')]).map((r) => r.id)).toEqual(
      fused.map((r) => r.id),
    );
  });

  it('counts an id once per list (its best rank) and keeps the first item seen', () => {
    const first = { id: 'a', source: 'keyword' };
    const fused = reciprocalRankFusion([[first, { id: 'a', source: 'dup' }], [{ id: 'a', source: 'vector' }]]);
    expect(fused).toEqual([{ id: 'a', score: 2 / 61, item: first, ranks: [1, 1] }]);
  });

  it('handles empty input and refuses a negative or non-finite k', () => {
    expect(reciprocalRankFusion([])).toEqual([]);
    expect(reciprocalRankFusion([[], []])).toEqual([]);
    expect(() => reciprocalRankFusion([hits('a')], -1)).toThrow(RangeError);
    expect(() => reciprocalRankFusion([hits('a')], Number.NaN)).toThrow(RangeError);
  });
});

describe('fuseRankings', () => {
  it('weights each list: Σ w_i / (k + rank_i)', () => {
    const keyword = hits('a', 'b');
    const vector = hits('c', 'd');
    const heavyKeyword = fuseRankings([keyword, vector], { k: 10, weights: [3, 1] });
    expect(heavyKeyword.map((r) => r.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(heavyKeyword[0]).toEqual({ id: 'a', score: 3 / 11, item: keyword[0], ranks: [1, 0] });
    expect(heavyKeyword[1]!.score).toBe(3 / 12);
    expect(heavyKeyword[2]!.score).toBe(1 / 11);
    // The vector list counting double puts its hits first instead.
    expect(fuseRankings([keyword, vector], { k: 10, weights: [1, 2] }).map((r) => r.id)).toEqual(['c', 'd', 'a', 'b']);
    // Agreement still wins: b is 2nd in both lists.
    const agreed = fuseRankings([hits('a', 'b'), hits('c', 'b')], { k: 10, weights: [3, 1] });
    expect(agreed.map((r) => r.id)).toEqual(['b', 'a', 'c']);
    expect(agreed[0]!.score).toBeCloseTo(3 / 12 + 1 / 12, 12);
  });

  it('equals reciprocalRankFusion without options, and a weight of 0 ignores a list', () => {
    const lists = [hits('a', 'b', 'c'), hits('c', 'a', 'd')];
    expect(fuseRankings(lists)).toEqual(reciprocalRankFusion(lists));
    expect(fuseRankings(lists, { weights: [1, 0] }).map((r) => [r.id, r.score])).toEqual([
      ['a', 1 / 61],
      ['b', 1 / 62],
      ['c', 1 / 63],
      ['d', 0],
    ]);
  });

  it('refuses weights that are not one finite number ≥ 0 per list', () => {
    const lists = [hits('a'), hits('b')];
    expect(() => fuseRankings(lists, { weights: [1] })).toThrow(RangeError);
    expect(() => fuseRankings(lists, { weights: [1, -1] })).toThrow(RangeError);
    expect(() => fuseRankings(lists, { weights: [1, Number.POSITIVE_INFINITY] })).toThrow(RangeError);
    expect(() => fuseRankings(lists, { k: -1 })).toThrow(RangeError);
  });
});

describe('hybridFusion', () => {
  it('has settings per offline embedding model and plain RRF for any other', () => {
    expect(hybridFusion('local-hash-384')).toEqual({ k: 10, weights: [3, 1] });
    expect(hybridFusion('local-bridged-384')).toEqual({ k: 10, weights: [1, 2] });
    expect(hybridFusion('local-use-lite-512')).toEqual({ k: 2, weights: [1, 1] });
    expect(hybridFusion('@cf/baai/bge-base-en-v1.5')).toEqual({ k: 60 });
    expect(hybridFusion(null)).toEqual(DEFAULT_HYBRID_FUSION);
  });
});
