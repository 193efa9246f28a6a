/**
 * Retrieval over a scope's documents (a tenant's knowledge base, or one bot's training documents):
 * keyword (FTS5 BM25 in the scope's own keyword index), vector (the vector index port, in the scope's
 * namespace) and hybrid (both legs, fused by reciprocal rank fusion). Both indexes are per scope and
 * apply the filters before ranking, so a search costs what the scope's own corpus costs and its
 * scores depend on that corpus only.
 *
 * One call to the scope's keyword index object answers the keyword leg and loads every candidate
 * (its own hits and the vector leg's, which is asked first): the object keeps each chunk's text and
 * its document's title, and shows only documents D1 has `indexed` (see keyword-index.ts), under the
 * filters. Nothing of another tenant, of a document being (re)indexed or of a deleted one is returned,
 * even if the vector index still held it; no D1 query is made.
 */
import type { AiProvider } from '@flowspark/ai';
import { describeError, isAppError, logger } from '@flowspark/core';
import type { Database } from '@flowspark/db';
import { fuseRankings, hybridFusion, makeSnippet, meaningfulTerms, mentionsTerms, queryTerms } from '@flowspark/rag';
import type { VectorFilter, VectorIndex } from '@flowspark/vectors';
import { type KbScope, kbIndexName } from './documents';
import {
  backfillKeywordIndex,
  type KbIndexedChunk,
  type KbKeywordIndex,
  type KbKeywordQuery,
  type KbKeywordSearch,
} from './keyword-index';

export const KB_SEARCH_MODES = ['hybrid', 'vector', 'keyword'] as const;
export type KbSearchMode = (typeof KB_SEARCH_MODES)[number];

export const KB_MAX_TOP_K = 20;
export const KB_DEFAULT_TOP_K = 5;
/** Vectorize returns at most 20 matches with metadata. */
const MAX_VECTOR_POOL = 20;
const MAX_KEYWORD_POOL = 50;
export const KB_SNIPPET_CHARS = 300;

export interface KbSearchFilters {
  tags?: string[];
  category?: string;
  document_ids?: string[];
}

export interface KbSearchRequest {
  query: string;
  top_k: number;
  mode: KbSearchMode;
  filters?: KbSearchFilters;
}

export interface KbRetrievalPorts {
  db: Database;
  ai: Pick<AiProvider, 'embed'>;
  vectors: VectorIndex;
  keywords: KbKeywordIndex;
}

export interface KbHit {
  document_id: string;
  title: string;
  chunk_id: string;
  chunk_index: number;
  page_number: number | null;
  heading: string | null;
  snippet: string;
  /** keyword: −bm25 (higher is better); vector: cosine similarity; hybrid: the fused RRF score. */
  score: number;
  keyword_rank?: number;
  vector_rank?: number;
}

/** A hit with what answering needs besides: the whole chunk text and whether it looks relevant. */
export interface KbRetrievedHit extends KbHit {
  text: string;
  vector_score?: number;
  relevant: boolean;
}

export interface KbSearchResult {
  hits: KbRetrievedHit[];
  mode: KbSearchMode;
  timings: { retrieval_ms: number };
  /** The model the query was embedded with (vector and hybrid modes). */
  embedding_model: string | null;
}

export interface KbSearchOptions {
  /**
   * Cosine similarity from which a vector hit counts as relevant on its own (without sharing a
   * meaningful word with the question). Depends on the embedding model: see kbMinVectorScore.
   */
  minVectorScore?: number;
  /**
   * Filled with the milliseconds each step took, for Server-Timing: `kb-embed` (the query's embedding),
   * `kb-vector` (the vector index), `kb-index` (the keyword index: its hits, and every candidate loaded).
   */
  timings?: Record<string, number>;
}

/**
 * Relevance floors of vector similarity per embedding model. The offline model's lexical vectors are
 * compared by their words anyway, so only near-duplicates pass on similarity alone; bge vectors of
 * unrelated English texts commonly reach 0.4–0.5.
 */
const MIN_VECTOR_SCORES: Record<string, number> = {
  'local-hash-384': 0.5,
  'local-bridged-384': 0.5,
  // The local model (AI_EMBEDDINGS=model) on the bench set: the right document's chunks score a median
  // of 0.59, other documents' 0.37 (90th percentile 0.60).
  'local-use-lite-512': 0.5,
  '@cf/baai/bge-base-en-v1.5': 0.62,
  '@cf/baai/bge-small-en-v1.5': 0.62,
  '@cf/baai/bge-large-en-v1.5': 0.62,
};
export const DEFAULT_MIN_VECTOR_SCORE = 0.45;

/** The floor for a model, or `override` (the KB_MIN_VECTOR_SCORE var) when it is a number in 0..1. */
export const kbMinVectorScore = (model: string | null, override?: unknown): number => {
  const value = override === undefined || override === '' ? Number.NaN : Number(override);
  if (Number.isFinite(value) && value >= 0 && value <= 1) return value;
  return (model ? MIN_VECTOR_SCORES[model] : undefined) ?? DEFAULT_MIN_VECTOR_SCORE;
};

/**
 * The scope's keyword index answers `query`: the best chunks by bm25 (AND first, OR when AND finds
 * fewer than `minimum`; with `fill`, AND hits short of `limit` are followed by the best other OR hits:
 * hybrid fuses the whole list) and the chunks of those and of `include` that search may show. An
 * index never filled is backfilled from D1 first (once per scope).
 */
export const searchKeywordIndex = async (
  ports: Pick<KbRetrievalPorts, 'db' | 'keywords'>,
  scope: KbScope,
  query: KbKeywordQuery,
): Promise<Extract<KbKeywordSearch, { ready: true }>> => {
  const name = kbIndexName(scope);
  const index = ports.keywords(name);
  let result = await index.search(name, query);
  if (!result.ready) {
    await backfillKeywordIndex(ports, scope);
    result = await index.search(name, query);
  }
  return result.ready ? result : { ready: true, operator: 'AND', hits: [], chunks: [] };
};

const vectorFilter = (filters: KbSearchFilters): VectorFilter | undefined => {
  const filter: VectorFilter = {};
  if (filters.document_ids?.length) filter.document_ids = filters.document_ids;
  if (filters.tags?.length) filter.tags = filters.tags;
  if (filters.category !== undefined) filter.category = filters.category;
  return Object.keys(filter).length > 0 ? filter : undefined;
};

type Timer = <T>(name: string, step: () => Promise<T>) => Promise<T>;

/** Runs a step, recording its milliseconds under `name` when there is somewhere to record them. */
const timer =
  (timings: Record<string, number> | undefined): Timer =>
  async (name, step) => {
    if (!timings) return step();
    const started = performance.now();
    try {
      return await step();
    } finally {
      timings[name] = performance.now() - started;
    }
  };

const isDimensionMismatch = (err: unknown) => isAppError(err) && err.details?.reason === 'DIMENSION_MISMATCH';

const vectorCandidates = async (
  ports: KbRetrievalPorts,
  scope: KbScope,
  query: string,
  topK: number,
  filters: KbSearchFilters,
  timed: Timer,
): Promise<{ matches: { id: string; score: number }[]; model: string }> => {
  const embedded = await timed('kb-embed', () => ports.ai.embed([query]));
  const vector = embedded.vectors[0];
  if (!vector) return { matches: [], model: embedded.model };
  try {
    const matches = await timed('kb-vector', () =>
      ports.vectors.query(kbIndexName(scope), vector, { topK, filter: vectorFilter(filters) }),
    );
    return { matches: matches.map((m) => ({ id: m.id, score: m.score })), model: embedded.model };
  } catch (err) {
    // The tenant's vectors were made by another embedding model (re-index them): keyword search still works.
    if (!isDimensionMismatch(err)) throw err;
    logger.warn('kb vector search skipped: embedding dimensions differ', {
      org_id: scope.orgId,
      ...(scope.botId ? { bot_id: scope.botId } : {}),
      ...describeError(err),
    });
    return { matches: [], model: embedded.model };
  }
};

const round = (n: number) => Math.round(n * 1e6) / 1e6;

/**
 * Searches the scope's indexed documents. Hits are best first, at most `top_k`; each carries the
 * chunk text and a relevance flag for answering (the route shows neither).
 */
export const searchKb = async (
  ports: KbRetrievalPorts,
  scope: KbScope,
  request: KbSearchRequest,
  options: KbSearchOptions = {},
): Promise<KbSearchResult> => {
  const started = Date.now();
  const filters = request.filters ?? {};
  const topK = Math.max(1, Math.min(KB_MAX_TOP_K, request.top_k));
  const useKeyword = request.mode !== 'vector';
  const useVector = request.mode !== 'keyword';
  const hybrid = request.mode === 'hybrid';

  const timed = timer(options.timings);

  // The vector leg first: the keyword index then loads its candidates with its own, in the same call.
  const vector = useVector
    ? await vectorCandidates(
        ports,
        scope,
        request.query,
        Math.min(MAX_VECTOR_POOL, hybrid ? topK * 4 : topK * 2),
        filters,
        timed,
      )
    : null;
  const vectorMatches = vector?.matches ?? [];
  const found = await timed('kb-index', () =>
    searchKeywordIndex(ports, scope, {
      terms: useKeyword ? queryTerms(request.query) : [],
      minimum: topK,
      limit: hybrid ? Math.min(MAX_KEYWORD_POOL, topK * 4) : topK,
      fill: hybrid,
      filter: filters,
      include: vectorMatches.map((v) => v.id),
    }),
  );
  const keyword = found.hits;
  const chunks = new Map<string, KbIndexedChunk>(found.chunks.map((chunk) => [chunk.id, chunk]));

  const keywordList = keyword.filter((k) => chunks.has(k.id));
  // A vector is comparable to the query only when both come from the same embedding model.
  const vectorList = vectorMatches.filter((v) => chunks.get(v.id)?.embedding_model === vector?.model);
  const keywordRank = new Map(keywordList.map((k, i) => [k.id, { rank: i + 1, bm25: k.bm25 }]));
  const vectorRank = new Map(vectorList.map((v, i) => [v.id, { rank: i + 1, score: v.score }]));

  let ranked: { id: string; score: number }[];
  if (hybrid) {
    const lists = [keywordList, vectorList].map((list) => list.map((entry) => ({ id: entry.id })));
    // Weights and k per embedding model (packages/rag's HYBRID_FUSION).
    ranked = fuseRankings(lists, hybridFusion(vector?.model)).map((fused) => ({ id: fused.id, score: fused.score }));
  } else if (useKeyword) {
    ranked = keywordList.map((k) => ({ id: k.id, score: -k.bm25 }));
  } else {
    ranked = vectorList.map((v) => ({ id: v.id, score: v.score }));
  }

  const terms = meaningfulTerms(request.query);
  const minVectorScore = options.minVectorScore ?? kbMinVectorScore(vector?.model ?? null);
  const hits = ranked.slice(0, topK).map((entry): KbRetrievedHit => {
    const chunk = chunks.get(entry.id)!;
    const kw = keywordRank.get(entry.id);
    const vec = vectorRank.get(entry.id);
    const relevant =
      mentionsTerms([chunk.text, chunk.heading, chunk.title], terms) ||
      (vec !== undefined && vec.score >= minVectorScore);
    return {
      document_id: chunk.document_id,
      title: chunk.title,
      chunk_id: chunk.id,
      chunk_index: chunk.chunk_index,
      page_number: chunk.page_number,
      heading: chunk.heading,
      snippet: makeSnippet(chunk.text, terms, KB_SNIPPET_CHARS),
      score: round(entry.score),
      ...(kw ? { keyword_rank: kw.rank } : {}),
      ...(vec ? { vector_rank: vec.rank, vector_score: round(vec.score) } : {}),
      text: chunk.text,
      relevant,
    };
  });
  return {
    hits,
    mode: request.mode,
    timings: { retrieval_ms: Date.now() - started },
    embedding_model: vector?.model ?? null,
  };
};
