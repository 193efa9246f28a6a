import { AppError } from '@flowspark/core';
import { VECTOR_LIMITS } from './limits';
import type { NormalizedFilter, VectorFilter, VectorMetadata, VectorQueryOptions, VectorRecord } from './types';

const encoder = new TextEncoder();
const FLOAT32_MAX = 3.4028234663852886e38;

export const byteLength = (text: string): number => encoder.encode(text).length;

const invalid = (field: string, message: string): AppError =>
  new AppError('VALIDATION_ERROR', `${field}: ${message}`, { details: { fields: { [field]: [message] } } });

const boundedString = (value: unknown, field: string, maxBytes: number): string => {
  if (typeof value !== 'string' || value.length === 0) throw invalid(field, 'must be a non-empty string');
  if (byteLength(value) > maxBytes) throw invalid(field, `must be at most ${maxBytes} bytes`);
  return value;
};

export const validateNamespace = (namespace: unknown): string =>
  boundedString(namespace, 'namespace', VECTOR_LIMITS.maxNamespaceBytes);

export const validateId = (id: unknown, field = 'id'): string => boundedString(id, field, VECTOR_LIMITS.maxIdBytes);

/** Finite numbers that survive the float32 conversion both indexes store; returns the dimension. */
export const validateValues = (values: unknown, field: string): number => {
  if (!Array.isArray(values) || values.length === 0) throw invalid(field, 'must be a non-empty array of numbers');
  if (values.length > VECTOR_LIMITS.maxDimensions) {
    throw invalid(field, `must have at most ${VECTOR_LIMITS.maxDimensions} dimensions`);
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > FLOAT32_MAX) {
      throw invalid(field, `element ${i} is not a finite float32 number`);
    }
  }
  return values.length;
};

const isNonNegativeInteger = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** A copy of the metadata with tags deduplicated; throws on anything Vectorize would refuse or truncate. */
export const validateMetadata = (metadata: unknown, field: string): VectorMetadata => {
  if (typeof metadata !== 'object' || metadata === null) throw invalid(field, 'must be an object');
  const m = metadata as Record<string, unknown>;
  const document_id = boundedString(m.document_id, `${field}.document_id`, VECTOR_LIMITS.maxIndexedStringBytes);
  if (!isNonNegativeInteger(m.chunk_index)) throw invalid(`${field}.chunk_index`, 'must be a non-negative integer');
  if (m.page !== null && !isNonNegativeInteger(m.page)) {
    throw invalid(`${field}.page`, 'must be a non-negative integer or null');
  }
  if (!Array.isArray(m.tags)) throw invalid(`${field}.tags`, 'must be an array of strings');
  if (m.tags.length > VECTOR_LIMITS.maxTags)
    throw invalid(`${field}.tags`, `must have at most ${VECTOR_LIMITS.maxTags} tags`);
  const tags = [...new Set(m.tags.map((t, i) => boundedString(t, `${field}.tags[${i}]`, VECTOR_LIMITS.maxTagBytes)))];
  const category =
    m.category === null ? null : boundedString(m.category, `${field}.category`, VECTOR_LIMITS.maxIndexedStringBytes);
  const clean: VectorMetadata = {
    document_id,
    chunk_index: m.chunk_index,
    page: m.page as number | null,
    tags,
    category,
  };
  if (byteLength(JSON.stringify(clean)) > VECTOR_LIMITS.maxMetadataBytes) {
    throw invalid(field, `must serialise to at most ${VECTOR_LIMITS.maxMetadataBytes} bytes`);
  }
  return clean;
};

export const dimensionMismatch = (expected: number, got: number, where: string): AppError =>
  new AppError('UNPROCESSABLE', `Vector dimension mismatch: ${where} has ${expected} dimensions, got ${got}`, {
    details: { reason: 'DIMENSION_MISMATCH', expected, got },
  });

/** Validated copies of the records (ids and values untouched) and their common dimension. */
export const validateRecords = (records: unknown): { records: VectorRecord[]; dims: number } => {
  if (!Array.isArray(records)) throw invalid('records', 'must be an array');
  let dims = 0;
  const clean = records.map((record, i): VectorRecord => {
    if (typeof record !== 'object' || record === null) throw invalid(`records[${i}]`, 'must be an object');
    const r = record as Record<string, unknown>;
    const id = validateId(r.id, `records[${i}].id`);
    const d = validateValues(r.values, `records[${i}].values`);
    if (dims === 0) dims = d;
    else if (d !== dims) throw dimensionMismatch(dims, d, 'this batch');
    return { id, values: r.values as number[], metadata: validateMetadata(r.metadata, `records[${i}].metadata`) };
  });
  return { records: clean, dims };
};

export const validateIds = (ids: unknown): string[] => {
  if (!Array.isArray(ids)) throw invalid('ids', 'must be an array of strings');
  return [...new Set(ids.map((id, i) => validateId(id, `ids[${i}]`)))];
};

const stringSet = (values: unknown, field: string, max: number, maxBytes: number): Set<string> | undefined => {
  if (values === undefined) return undefined;
  if (!Array.isArray(values)) throw invalid(field, 'must be an array of strings');
  if (values.length > max) throw invalid(field, `must have at most ${max} values`);
  const set = new Set(values.map((v, i) => boundedString(v, `${field}[${i}]`, maxBytes)));
  return set.size > 0 ? set : undefined;
};

export const normalizeFilter = (filter: unknown): NormalizedFilter => {
  if (filter === undefined || filter === null) return {};
  if (typeof filter !== 'object' || Array.isArray(filter)) throw invalid('filter', 'must be an object');
  const f = filter as VectorFilter & Record<string, unknown>;
  const unknown = Object.keys(f).filter((k) => !['document_ids', 'tags', 'category'].includes(k));
  if (unknown.length > 0) throw invalid('filter', `unknown field(s): ${unknown.join(', ')}`);
  const out: NormalizedFilter = {};
  const documentIds = stringSet(
    f.document_ids,
    'filter.document_ids',
    VECTOR_LIMITS.maxFilterDocumentIds,
    VECTOR_LIMITS.maxIndexedStringBytes,
  );
  const tags = stringSet(f.tags, 'filter.tags', VECTOR_LIMITS.maxFilterTags, VECTOR_LIMITS.maxTagBytes);
  if (documentIds) out.documentIds = documentIds;
  if (tags) out.tags = tags;
  if (f.category !== undefined) {
    out.category = boundedString(f.category, 'filter.category', VECTOR_LIMITS.maxIndexedStringBytes);
  }
  return out;
};

export const validateQuery = (
  vector: unknown,
  options: unknown,
): { dims: number; topK: number; filter: NormalizedFilter } => {
  const dims = validateValues(vector, 'vector');
  if (typeof options !== 'object' || options === null) throw invalid('options', 'must be an object');
  const { topK, filter } = options as VectorQueryOptions;
  if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1 || topK > VECTOR_LIMITS.maxTopK) {
    throw invalid('topK', `must be an integer between 1 and ${VECTOR_LIMITS.maxTopK}`);
  }
  return { dims, topK, filter: normalizeFilter(filter) };
};

/** Whether a record's metadata passes a normalized filter (the semantics both adapters share). */
export const matchesFilter = (metadata: VectorMetadata, filter: NormalizedFilter): boolean => {
  if (filter.documentIds && !filter.documentIds.has(metadata.document_id)) return false;
  if (filter.category !== undefined && metadata.category !== filter.category) return false;
  if (filter.tags && !metadata.tags.some((t) => filter.tags!.has(t))) return false;
  return true;
};

export const isEmptyFilter = (filter: NormalizedFilter): boolean =>
  !filter.documentIds && !filter.tags && filter.category === undefined;
