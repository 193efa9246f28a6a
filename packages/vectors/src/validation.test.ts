import { AppError } from '@flowspark/core';
import { describe, expect, it } from 'vitest';
import type { VectorRecord } from './types';
import { matchesFilter, normalizeFilter, validateIds, validateQuery, validateRecords } from './validation';

const record = (overrides: Partial<VectorRecord> = {}, metadata: Record<string, unknown> = {}): VectorRecord =>
  ({
    id: 'chk_1',
    values: [0.5, 0.5],
    ...overrides,
    metadata: { document_id: 'kbd_1', chunk_index: 0, page: null, tags: [], category: null, ...metadata },
  }) as VectorRecord;

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return err instanceof AppError ? err.code : 'NOT_APP_ERROR';
  }
  return undefined;
};

describe('validation', () => {
  it('accepts well-formed records, deduplicates tags and reports the dimension', () => {
    const { records, dims } = validateRecords([record({}, { tags: ['a', 'b', 'a'], page: 3, category: 'c' })]);
    expect(dims).toBe(2);
    expect(records[0].metadata).toEqual({
      document_id: 'kbd_1',
      chunk_index: 0,
      page: 3,
      tags: ['a', 'b'],
      category: 'c',
    });
  });

  it('refuses malformed records with VALIDATION_ERROR and mixed dimensions with UNPROCESSABLE', () => {
    expect(codeOf(() => validateRecords([record({ id: '' })]))).toBe('VALIDATION_ERROR');
    expect(codeOf(() => validateRecords([record({ id: 'é'.repeat(33) })]))).toBe('VALIDATION_ERROR'); // 66 bytes
    expect(codeOf(() => validateRecords([record({ id: 'é'.repeat(32) })]))).toBeUndefined(); // 64 bytes
    expect(codeOf(() => validateRecords([record({ values: [] })]))).toBe('VALIDATION_ERROR');
    expect(codeOf(() => validateRecords([record({ values: new Array(1537).fill(1) })]))).toBe('VALIDATION_ERROR');
    expect(codeOf(() => validateRecords([record({ values: [1, Number.POSITIVE_INFINITY] })]))).toBe('VALIDATION_ERROR');
    expect(codeOf(() => validateRecords([record({ values: [1, '2' as never] })]))).toBe('VALIDATION_ERROR');
    expect(codeOf(() => validateRecords([record({}, { chunk_index: -1 })]))).toBe('VALIDATION_ERROR');
    expect(codeOf(() => validateRecords([record({}, { page: 1.5 })]))).toBe('VALIDATION_ERROR');
    expect(codeOf(() => validateRecords([record({}, { tags: 'a' })]))).toBe('VALIDATION_ERROR');
    expect(codeOf(() => validateRecords([record({}, { tags: ['t'.repeat(65)] })]))).toBe('VALIDATION_ERROR');
    expect(codeOf(() => validateRecords([record({}, { document_id: 'd'.repeat(65) })]))).toBe('VALIDATION_ERROR');
    expect(codeOf(() => validateRecords([record(), record({ id: 'chk_2', values: [1, 2, 3] })]))).toBe('UNPROCESSABLE');
    expect(codeOf(() => validateIds(['ok', 3]))).toBe('VALIDATION_ERROR');
    expect(validateIds(['a', 'b', 'a'])).toEqual(['a', 'b']);
  });

  it('validates queries: topK 1..20, finite vector, known filter fields', () => {
    expect(validateQuery([1, 0], { topK: 20 }).topK).toBe(20);
    expect(codeOf(() => validateQuery([1, 0], { topK: 21 }))).toBe('VALIDATION_ERROR');
    expect(codeOf(() => validateQuery([1, Number.NaN], { topK: 1 }))).toBe('VALIDATION_ERROR');
    expect(codeOf(() => validateQuery([1, 0], { topK: 1, filter: { category: '' } }))).toBe('VALIDATION_ERROR');
    expect(codeOf(() => validateQuery([1, 0], { topK: 1, filter: { tags: new Array(21).fill('t') } }))).toBe(
      'VALIDATION_ERROR',
    );
  });

  it('matches filters: document in the list, any tag, exact category', () => {
    const m = { document_id: 'kbd_1', chunk_index: 0, page: null, tags: ['a', 'b'], category: 'x' };
    expect(matchesFilter(m, normalizeFilter({}))).toBe(true);
    expect(matchesFilter(m, normalizeFilter({ document_ids: ['kbd_2', 'kbd_1'] }))).toBe(true);
    expect(matchesFilter(m, normalizeFilter({ document_ids: ['kbd_2'] }))).toBe(false);
    expect(matchesFilter(m, normalizeFilter({ tags: ['z', 'b'] }))).toBe(true);
    expect(matchesFilter(m, normalizeFilter({ tags: ['z'] }))).toBe(false);
    expect(matchesFilter(m, normalizeFilter({ category: 'x', tags: ['a'] }))).toBe(true);
    expect(matchesFilter(m, normalizeFilter({ category: 'y' }))).toBe(false);
    expect(matchesFilter({ ...m, category: null }, normalizeFilter({ category: 'x' }))).toBe(false);
  });
});
