export interface FusedResult<T> {
  id: string;
  score: number;
  /** The item as first met (lists in order, then by rank). */
  item: T;
  /** 1-based rank in each input list, aligned with `lists`; 0 where the list does not hold the id. */
  ranks: number[];
}

export interface FusionOptions {
  /** The RRF constant: smaller rewards top ranks more (default 60). */
  k?: number;
  /** One weight ≥ 0 per list (default 1 each): score(d) = Σ w_i / (k + rank_i(d)). */
  weights?: readonly number[];
}

const validWeights = (weights: readonly number[] | undefined, count: number): number[] => {
  if (weights === undefined) return Array.from({ length: count }, () => 1);
  if (weights.length !== count || weights.some((w) => !Number.isFinite(w) || w < 0)) {
    throw new RangeError('weights must hold one finite number ≥ 0 per list');
  }
  return [...weights];
};

/**
 * Weighted reciprocal rank fusion (Cormack et al., 2009): score(d) = Σ w_i / (k + rank_i(d)) over
 * the lists holding d, ranks from 1. Ties keep a stable order: the better best rank first, then the
 * earlier list. A duplicate id inside one list counts at its best rank only.
 */
export const fuseRankings = <T extends { id: string }>(lists: T[][], options: FusionOptions = {}): FusedResult<T>[] => {
  const k = options.k ?? 60;
  if (!Number.isFinite(k) || k < 0) throw new RangeError('k must be a finite number ≥ 0');
  const weights = validWeights(options.weights, lists.length);
  const fused = new Map<string, FusedResult<T> & { bestRank: number; firstList: number }>();
  lists.forEach((list, listIndex) => {
    list.forEach((item, position) => {
      const rank = position + 1;
      let entry = fused.get(item.id);
      if (!entry) {
        entry = { id: item.id, score: 0, item, ranks: lists.map(() => 0), bestRank: rank, firstList: listIndex };
        fused.set(item.id, entry);
      }
      if (entry.ranks[listIndex]) return;
      entry.ranks[listIndex] = rank;
      entry.score += weights[listIndex]! / (k + rank);
      entry.bestRank = Math.min(entry.bestRank, rank);
    });
  });
  return [...fused.values()]
    .sort((a, b) => b.score - a.score || a.bestRank - b.bestRank || a.firstList - b.firstList)
    .map(({ id, score, item, ranks }) => ({ id, score, item, ranks }));
};

/** Plain reciprocal rank fusion: fuseRankings with every weight 1 and the given k. */
export const reciprocalRankFusion = <T extends { id: string }>(lists: T[][], k = 60): FusedResult<T>[] =>
  fuseRankings(lists, { k });

/**
 * Hybrid fusion settings per embedding model (keyword list first, vector list second), tuned on the
 * labelled set in bench/kb (questions.json) and confirmed on its held-out set. The offline hash
 * vectors mostly repeat the keyword leg, so keyword counts more; the bridged ones reach paraphrases
 * the keyword leg misses, so vector counts more. The local embedding model (AI_EMBEDDINGS=model) and
 * the keyword leg are each right where the other misses: equal weights, and a small k so that a
 * first place in either list counts most (k 1 to 3 tie on the tuning set; 2 is the middle). Other
 * models: plain RRF.
 */
export const HYBRID_FUSION: Readonly<Record<string, FusionOptions>> = {
  'local-hash-384': { k: 10, weights: [3, 1] },
  'local-bridged-384': { k: 10, weights: [1, 2] },
  'local-use-lite-512': { k: 2, weights: [1, 1] },
};
export const DEFAULT_HYBRID_FUSION: FusionOptions = { k: 60 };

/** The fusion settings for hybrid search over vectors of this embedding model. */
export const hybridFusion = (model: string | null | undefined): FusionOptions =>
  (model ? HYBRID_FUSION[model] : undefined) ?? DEFAULT_HYBRID_FUSION;
