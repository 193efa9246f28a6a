import { describe, expect, it } from 'vitest';
import { resolveAttributes } from './customers';

const rows = [
  { key: 'revenue', value: '100', year: 2024, quarter: 4 },
  { key: 'revenue', value: '120', year: 2025, quarter: 1 },
  { key: 'revenue', value: '90', year: 2024, quarter: null },
  { key: 'revenue', value: 'any', year: null, quarter: null },
  { key: 'city', value: 'Porto', year: null, quarter: null },
];

describe('resolveAttributes', () => {
  it('takes the latest (year, quarter) of each key; a value with no period is the oldest', () => {
    expect(resolveAttributes(rows)).toEqual({ revenue: '120', city: 'Porto' });
  });

  it('takes the asked period when a page names one', () => {
    expect(resolveAttributes(rows, { year: 2024 })).toEqual({ revenue: '100' });
    expect(resolveAttributes(rows, { year: 2024, quarter: 4 })).toEqual({ revenue: '100' });
    expect(resolveAttributes(rows, { year: 2023 })).toEqual({});
  });
});
