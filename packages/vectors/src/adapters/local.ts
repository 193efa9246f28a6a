import { AppError, batches, type ErrorCode, isAppError } from '@flowspark/core';
import { lastById } from '../batches';
import { VECTOR_LIMITS } from '../limits';
import type { VectorFilter, VectorIndex, VectorMatch, VectorMetadata } from '../types';
import { validateIds, validateNamespace, validateQuery, validateRecords } from '../validation';
import { unitVector } from '../vector-math';

/** One upsert call to the local index object: ≤ 1,000 records, unit vectors packed row after row. */
export interface LocalUpsertBatch {
  dims: number;
  ids: string[];
  metadata: VectorMetadata[];
  /** ids.length × dims float32 values, each row unit length. */
  values: Float32Array;
}

export interface LocalQuery {
  /** Unit length. */
  vector: Float32Array;
  topK: number;
  filter?: VectorFilter;
}

/**
 * AppErrors do not survive a Durable Object RPC boundary (only the message does), so the object
 * answers a result and the adapter rethrows the AppError on this side.
 */
export type LocalResult<T> =
  | { ok: true; value: T }
  | { ok: false; error: { code: ErrorCode; message: string; details?: Record<string, unknown> } };

/** The RPC surface of the local index Durable Object (workers/objects/local-vector-index.ts). */
export interface LocalIndexRpc {
  upsert(namespace: string, batch: LocalUpsertBatch): Promise<LocalResult<{ count: number }>>;
  query(namespace: string, query: LocalQuery): Promise<LocalResult<VectorMatch[]>>;
  deleteByIds(namespace: string, ids: string[]): Promise<LocalResult<{ count: number }>>;
}

/** The Durable Object namespace binding (VECTOR_INDEX), typed structurally: packages never import workers/. */
export interface LocalIndexNamespace {
  idFromName(name: string): DurableObjectId;
  get(id: DurableObjectId): unknown;
}

/** Runs `fn`, turning an AppError into a failed result (for the Durable Object side). */
export const toLocalResult = <T>(fn: () => T): LocalResult<T> => {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    if (!isAppError(err)) throw err;
    return { ok: false, error: { code: err.code, message: err.message, details: err.details } };
  }
};

const unwrap = <T>(result: LocalResult<T>): T => {
  if (result.ok) return result.value;
  throw new AppError(result.error.code, result.error.message, { details: result.error.details });
};

/**
 * The local adapter: one Durable Object per namespace (`idFromName(namespace)`), so a tenant's
 * vectors live in their own SQLite database and no query can reach another tenant's. Same
 * validation, limits and scores (cosine) as the Vectorize adapter; unlike Vectorize, writes are
 * visible to the next query at once.
 */
export const createLocalVectorIndex = (objects: LocalIndexNamespace): VectorIndex => {
  const stub = (namespace: string) => objects.get(objects.idFromName(namespace)) as LocalIndexRpc;

  return {
    async upsert(namespace, records) {
      const ns = validateNamespace(namespace);
      const { records: valid, dims } = validateRecords(records);
      const index = stub(ns);
      for (const batch of batches(lastById(valid), VECTOR_LIMITS.upsertBatch)) {
        const values = new Float32Array(batch.length * dims);
        batch.forEach((r, i) => {
          values.set(unitVector(r.values), i * dims);
        });
        unwrap(
          await index.upsert(ns, {
            dims,
            ids: batch.map((r) => r.id),
            metadata: batch.map((r) => r.metadata),
            values,
          }),
        );
      }
    },

    async query(namespace, vector, options) {
      const ns = validateNamespace(namespace);
      const { topK, filter } = validateQuery(vector, options);
      const wire: VectorFilter = {};
      if (filter.documentIds) wire.document_ids = [...filter.documentIds];
      if (filter.tags) wire.tags = [...filter.tags];
      if (filter.category !== undefined) wire.category = filter.category;
      return unwrap(await stub(ns).query(ns, { vector: unitVector(vector), topK, filter: wire }));
    },

    async deleteByIds(namespace, ids) {
      const ns = validateNamespace(namespace);
      const valid = validateIds(ids);
      const index = stub(ns);
      for (const batch of batches(valid, VECTOR_LIMITS.deleteBatch)) unwrap(await index.deleteByIds(ns, batch));
    },
  };
};
