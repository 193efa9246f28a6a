import { AppError, batches, isAppError } from '@flowspark/core';
import { lastById } from '../batches';
import { VECTOR_LIMITS } from '../limits';
import type { NormalizedFilter, VectorIndex, VectorMatch, VectorMetadata } from '../types';
import {
  dimensionMismatch,
  matchesFilter,
  validateIds,
  validateNamespace,
  validateQuery,
  validateRecords,
} from '../validation';

/**
 * The part of the Vectorize binding we use (V2 `Vectorize`; the beta `VectorizeIndex` has the same
 * shape). Docs: developers.cloudflare.com/vectorize/reference/client-api/.
 */
export interface VectorizeBinding {
  describe(): Promise<unknown>;
  query(vector: number[], options?: VectorizeQueryOptions): Promise<VectorizeMatches>;
  upsert(vectors: VectorizeVector[]): Promise<unknown>;
  getByIds(ids: string[]): Promise<VectorizeVector[]>;
  deleteByIds(ids: string[]): Promise<unknown>;
}

/**
 * Properties that need a metadata index (created before the first insert: vectors upserted before an
 * index exists are not in it). Tags are not among them: Vectorize indexes only string, number and
 * boolean properties, so array membership cannot be filtered server-side (see `query`).
 */
export const VECTORIZE_METADATA_INDEXES = [
  { property: 'document_id', type: 'string' },
  { property: 'category', type: 'string' },
] as const;

/**
 * How records are stored: page and category are omitted when null (Vectorize metadata has no null),
 * tags are one JSON-encoded string (returned with the metadata, filtered after the query).
 */
export const toVectorizeMetadata = (m: VectorMetadata): Record<string, VectorizeVectorMetadata> => ({
  document_id: m.document_id,
  chunk_index: m.chunk_index,
  tags: JSON.stringify(m.tags),
  ...(m.page === null ? {} : { page: m.page }),
  ...(m.category === null ? {} : { category: m.category }),
});

export const fromVectorizeMetadata = (raw: unknown): VectorMetadata => {
  const m = (raw ?? {}) as Record<string, unknown>;
  let tags: string[] = [];
  if (typeof m.tags === 'string') {
    try {
      const parsed: unknown = JSON.parse(m.tags);
      if (Array.isArray(parsed)) tags = parsed.filter((t): t is string => typeof t === 'string');
    } catch {
      // A record written by something else: no tags rather than a failed query.
    }
  }
  return {
    document_id: typeof m.document_id === 'string' ? m.document_id : '',
    chunk_index: typeof m.chunk_index === 'number' ? m.chunk_index : 0,
    page: typeof m.page === 'number' ? m.page : null,
    tags,
    category: typeof m.category === 'string' ? m.category : null,
  };
};

/** The server-side part of a filter (indexed properties only); undefined when there is none. */
export const toVectorizeFilter = (filter: NormalizedFilter): VectorizeVectorMetadataFilter | undefined => {
  const out: VectorizeVectorMetadataFilter = {};
  if (filter.documentIds) {
    const ids = [...filter.documentIds];
    out.document_id = ids.length === 1 ? { $eq: ids[0] } : { $in: ids };
  }
  if (filter.category !== undefined) out.category = { $eq: filter.category };
  return Object.keys(out).length > 0 ? out : undefined;
};

const indexDimensions = (info: unknown): number | null => {
  const i = (info ?? {}) as { dimensions?: unknown; config?: { dimensions?: unknown } };
  const d = i.dimensions ?? i.config?.dimensions;
  return typeof d === 'number' ? d : null;
};

/** Binding failures become a 503 with the operation named; our own AppErrors pass through. */
const call = async <T>(operation: string, fn: () => Promise<T>): Promise<T> => {
  try {
    return await fn();
  } catch (err) {
    if (isAppError(err)) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new AppError('SERVICE_UNAVAILABLE', `Vectorize ${operation} failed: ${message}`, {
      details: { provider: 'vectorize', operation },
      cause: err,
    });
  }
};

/**
 * The Vectorize adapter. One index for every tenant, one namespace per tenant (`namespace` on every
 * vector and query). Writes are asynchronous in Vectorize: upserted or deleted vectors are reflected
 * in queries only after a few seconds, and this adapter does not wait for them. The index must use
 * the cosine metric (scores are cosine similarities) and the embedding model's dimension.
 *
 * Vector ids are unique per index, not per namespace (deleteByIds and getByIds take no namespace):
 * chunk ids are random UUIDs, so tenants cannot collide, and reads check the namespace anyway.
 */
export const createVectorizeIndex = (binding: VectorizeBinding): VectorIndex => {
  let dimensions: Promise<number | null> | undefined;
  const checkDimensions = async (dims: number) => {
    dimensions ??= call('describe', () => binding.describe()).then(indexDimensions);
    const expected = await dimensions.catch((err) => {
      dimensions = undefined;
      throw err;
    });
    if (expected !== null && expected !== dims) throw dimensionMismatch(expected, dims, 'the Vectorize index');
  };

  return {
    async upsert(namespace, records) {
      const ns = validateNamespace(namespace);
      const valid = validateRecords(records);
      if (valid.records.length === 0) return;
      await checkDimensions(valid.dims);
      // Sequential, so a later batch's version of an id is the one that stays.
      for (const batch of batches(lastById(valid.records), VECTOR_LIMITS.upsertBatch)) {
        const vectors = batch.map((r) => ({
          id: r.id,
          values: r.values,
          namespace: ns,
          metadata: toVectorizeMetadata(r.metadata),
        }));
        await call('upsert', () => binding.upsert(vectors));
      }
    },

    async query(namespace, vector, options) {
      const ns = validateNamespace(namespace);
      const { dims, topK, filter } = validateQuery(vector, options);
      await checkDimensions(dims);
      const serverFilter = toVectorizeFilter(filter);
      if (!filter.tags) {
        const result = await call('query', () =>
          binding.query(vector, {
            topK,
            namespace: ns,
            returnMetadata: 'all',
            returnValues: false,
            ...(serverFilter ? { filter: serverFilter } : {}),
          }),
        );
        return result.matches
          .filter((m) => m.namespace === undefined || m.namespace === ns)
          .slice(0, topK)
          .map((m): VectorMatch => ({ id: m.id, score: m.score, metadata: fromVectorizeMetadata(m.metadata) }));
      }
      // Tags cannot be filtered by Vectorize: take the 100 nearest ids (the ceiling without metadata),
      // read their metadata, keep those with a wanted tag. Recall is exact within those 100.
      const candidates = await call('query', () =>
        binding.query(vector, {
          topK: VECTOR_LIMITS.maxTopKWithoutMetadata,
          namespace: ns,
          returnMetadata: 'none',
          returnValues: false,
          ...(serverFilter ? { filter: serverFilter } : {}),
        }),
      );
      if (candidates.matches.length === 0) return [];
      const stored = await call('getByIds', () => binding.getByIds(candidates.matches.map((m) => m.id)));
      const byId = new Map(
        stored.filter((v) => v.namespace === undefined || v.namespace === ns).map((v) => [v.id, v] as const),
      );
      const out: VectorMatch[] = [];
      for (const m of candidates.matches) {
        const v = byId.get(m.id);
        if (!v) continue;
        const metadata = fromVectorizeMetadata(v.metadata);
        if (matchesFilter(metadata, filter)) out.push({ id: m.id, score: m.score, metadata });
        if (out.length === topK) break;
      }
      return out;
    },

    async deleteByIds(namespace, ids) {
      validateNamespace(namespace);
      const valid = validateIds(ids);
      for (const batch of batches(valid, VECTOR_LIMITS.deleteBatch)) {
        await call('deleteByIds', () => binding.deleteByIds(batch));
      }
    },
  };
};
