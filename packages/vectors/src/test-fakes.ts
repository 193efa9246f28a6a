/**
 * A fake Vectorize V2 binding for this package's tests (not exported from the package). It follows
 * the documented API and limits (developers.cloudflare.com/vectorize/platform/limits/,
 * …/reference/client-api/, …/reference/metadata-filtering/) and fails the way the binding does
 * (plain Errors named after the operation):
 * - upsert: at most 1,000 vectors per call (Workers), ids ≤ 64 bytes, namespace ≤ 64 bytes, values
 *   matching the index dimension, metadata ≤ 10 KiB; writes are asynchronous: they become visible
 *   to queries only after `settle()` (in production: a few seconds later);
 * - query: topK ≤ 100, and ≤ 20 with returnValues or returnMetadata 'all'; filters `$eq`, `$ne`,
 *   `$in`, `$nin` and implicit equality on indexed properties only (a property without a metadata
 *   index matches nothing), string values indexed on their first 64 bytes; compact filter JSON
 *   under 2,048 bytes; cosine scores;
 * - deleteByIds: at most 1,000 ids per call (our assumption; the documentation gives no limit).
 */
import type { VectorizeBinding } from './adapters/vectorize';
import { cosineSimilarity } from './vector-math';

export interface RecordedCall {
  op: 'describe' | 'query' | 'upsert' | 'getByIds' | 'deleteByIds';
  args: unknown[];
}

interface Stored {
  id: string;
  namespace?: string;
  values: number[];
  metadata?: Record<string, VectorizeVectorMetadata>;
}

const encoder = new TextEncoder();
const bytes = (s: string) => encoder.encode(s).length;
const truncate64 = (v: unknown) =>
  typeof v === 'string' ? new TextDecoder().decode(encoder.encode(v).slice(0, 64)) : v;

const fail = (op: string, code: number, message: string): never => {
  throw new Error(`${op}_ERROR (code = ${code}): ${message}`);
};

export interface FakeVectorizeOptions {
  dimensions: number;
  /** Properties with a metadata index (default: the adapter's document_id and category). */
  metadataIndexes?: string[];
}

export const fakeVectorize = (options: FakeVectorizeOptions) => {
  const indexed = new Set(options.metadataIndexes ?? ['document_id', 'category']);
  const calls: RecordedCall[] = [];
  const store = new Map<string, Stored>();
  const pending: (() => void)[] = [];
  let mutations = 0;

  const matchesFilter = (v: Stored, filter: VectorizeVectorMetadataFilter): boolean =>
    Object.entries(filter).every(([key, condition]) => {
      if (!indexed.has(key)) return false;
      const value = truncate64(v.metadata?.[key]);
      const ops =
        condition !== null && typeof condition === 'object' && !Array.isArray(condition)
          ? (condition as Record<string, unknown>)
          : { $eq: condition };
      return Object.entries(ops).every(([op, operand]) => {
        switch (op) {
          case '$eq':
            return value === truncate64(operand);
          case '$ne':
            return value !== truncate64(operand);
          case '$in':
            return (operand as unknown[]).map(truncate64).includes(value);
          case '$nin':
            return !(operand as unknown[]).map(truncate64).includes(value);
          default:
            return fail('VECTOR_QUERY', 40007, `unsupported filter operator ${op}`);
        }
      });
    });

  const binding: VectorizeBinding = {
    async describe() {
      calls.push({ op: 'describe', args: [] });
      return { dimensions: options.dimensions, vectorCount: store.size, processedUpToMutation: mutations };
    },

    async upsert(vectors) {
      calls.push({ op: 'upsert', args: [vectors] });
      if (vectors.length > 1000) fail('VECTOR_UPSERT', 40006, `too many vectors in one call: ${vectors.length}`);
      const copies = vectors.map((v) => {
        if (bytes(v.id) > 64) fail('VECTOR_UPSERT', 40008, 'vector id exceeds 64 bytes');
        if (v.namespace !== undefined && bytes(v.namespace) > 64) fail('VECTOR_UPSERT', 40009, 'namespace too long');
        if (v.values.length !== options.dimensions) {
          fail('VECTOR_UPSERT', 40002, `expected ${options.dimensions} dimensions, got ${v.values.length}`);
        }
        if (v.metadata && bytes(JSON.stringify(v.metadata)) > 10 * 1024)
          fail('VECTOR_UPSERT', 40010, 'metadata too large');
        return { id: v.id, namespace: v.namespace, values: Array.from(v.values), metadata: v.metadata };
      });
      pending.push(() => {
        for (const v of copies) store.set(v.id, v);
      });
      return { mutationId: `m${++mutations}` };
    },

    async query(vector, opts = {}) {
      calls.push({ op: 'query', args: [vector, opts] });
      const topK = opts.topK ?? 5;
      const level = opts.returnMetadata === true ? 'all' : opts.returnMetadata === false ? 'none' : opts.returnMetadata;
      if (topK < 1 || topK > 100) fail('VECTOR_QUERY', 40003, 'topK must be between 1 and 100');
      if ((opts.returnValues || level === 'all') && topK > 20) {
        fail('VECTOR_QUERY', 40003, 'topK must be at most 20 with returnValues or returnMetadata "all"');
      }
      if (opts.namespace !== undefined && bytes(opts.namespace) > 64) fail('VECTOR_QUERY', 40009, 'namespace too long');
      if (vector.length !== options.dimensions) fail('VECTOR_QUERY', 40002, 'query vector has the wrong dimension');
      if (opts.filter !== undefined) {
        const json = JSON.stringify(opts.filter);
        if (Object.keys(opts.filter).length === 0 || bytes(json) >= 2048) {
          fail('VECTOR_QUERY', 40004, 'filter must be non-empty and under 2048 bytes');
        }
      }
      const matches = [...store.values()]
        .filter((v) => v.namespace === opts.namespace)
        .filter((v) => !opts.filter || matchesFilter(v, opts.filter))
        .map((v) => ({ v, score: cosineSimilarity(vector, v.values) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, topK)
        .map(({ v, score }) => ({
          id: v.id,
          score,
          namespace: v.namespace,
          ...(opts.returnValues ? { values: v.values } : {}),
          ...(level === 'all' ? { metadata: v.metadata } : {}),
          ...(level === 'indexed'
            ? { metadata: Object.fromEntries(Object.entries(v.metadata ?? {}).filter(([k]) => indexed.has(k))) }
            : {}),
        }));
      return { matches, count: matches.length };
    },

    async getByIds(ids) {
      calls.push({ op: 'getByIds', args: [ids] });
      return ids.flatMap((id) => {
        const v = store.get(id);
        return v ? [{ ...v }] : [];
      });
    },

    async deleteByIds(ids) {
      calls.push({ op: 'deleteByIds', args: [ids] });
      if (ids.length > 1000) fail('VECTOR_DELETE', 40006, `too many ids in one call: ${ids.length}`);
      const copy = [...ids];
      pending.push(() => {
        for (const id of copy) store.delete(id);
      });
      return { mutationId: `m${++mutations}` };
    },
  };

  return {
    binding,
    calls,
    store,
    /** Applies the queued mutations, as Vectorize does a few seconds after the call. */
    settle() {
      for (const apply of pending.splice(0)) apply();
    },
    callsOf: (op: RecordedCall['op']) => calls.filter((c) => c.op === op),
  };
};
