export interface FusedResult<T> {
  id: string;
  score: number;
  /** The item as first met (lists in order, then by rank). */
  item: T;
  /** 1-based rank in each input list, aligned with `lists`; 0 where the list does not hold the id. */
  ranks: number[];
}

/**
 * Reciprocal rank fusion (Cormack et al., 2009): score(d) = Σ 1 / (k + rank_i(d)) over the lists
 * holding d, ranks from 1. Ties keep a stable order: the better best rank first, then the earlier
 * list. A duplicate id inside one list counts at its best rank only.
 */
export const reciprocalRankFusion = <T extends { id: string }>(lists: T[][], k = 60): FusedResult<T>[] => {
  if (!Number.isFinite(k) || k < 0) throw new RangeError('k must be a finite number ≥ 0');
  const fused = new Map<string, FusedResult<T> & { bestRank: number; firstList: number }>();
  lists.forEach((list, listIndex) => {
    list.forEach((item, position) => {
      const rank = position + 1;
      let entry = fused.get(item.id);
      if (!entry) {
        entry = {
          id: item.id,
          score: 0,
          item,
          ranks: lists.map(() => 0),
          bestRank: rank,
          firstList: listIndex,
        };
        fused.set(item.id, entry);
      }
      if (entry.ranks[listIndex]) return;
      entry.ranks[listIndex] = rank;
      entry.score += 1 / (k + rank);
      entry.bestRank = Math.min(entry.bestRank, rank);
    });
  });
  return [...fused.values()]
    .sort((a, b) => b.score - a.score || a.bestRank - b.bestRank || a.firstList - b.firstList)
    .map(({ id, score, item, ranks }) => ({ id, score, item, ranks }));
};
