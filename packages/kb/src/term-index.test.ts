import { describe, expect, it } from 'vitest';
import {
  asciiTermCounts,
  BM25_B,
  BM25_K1,
  decodeTermCounts,
  encodeTermCounts,
  fts5Idf,
  TermIndex,
  type TermIndexFilter,
} from './term-index';

const idf = fts5Idf(Math.log);

/** A small corpus: each row's text, its document, and the index over it (term ids from a dictionary). */
const corpus = (
  rows: { text: string; doc: string }[],
  docs: Record<string, { tags?: string[]; category?: string }>,
) => {
  const ids = new Map<string, number>();
  const index = new TermIndex();
  for (const [id, d] of Object.entries(docs)) {
    index.setDocument(id, { visible: true, tags: d.tags ?? [], category: d.category ?? null });
  }
  const blobs: Uint8Array[] = [];
  rows.forEach((row, i) => {
    const counts = asciiTermCounts(row.text)!;
    const terms = [...counts].map(([term, n]) => {
      if (!ids.has(term)) ids.set(term, ids.size + 1);
      return [ids.get(term)!, n] as const;
    });
    const length = [...counts.values()].reduce((a, b) => a + b, 0);
    const blob = encodeTermCounts(terms);
    blobs.push(blob);
    index.addRow(10 * (i + 1), row.doc, length, blob);
  });
  return { index, ids, blobs, phrases: (...terms: string[]) => terms.map((t) => ids.get(t) ?? null) };
};

/** bm25 straight from FTS5's definition, over the rows still in the index. */
const reference = (texts: string[], terms: string[], operator: 'AND' | 'OR') => {
  const tokens = texts.map((t) => [...(asciiTermCounts(t) ?? new Map())].flatMap(([k, n]) => Array(n).fill(k)));
  const n = tokens.length;
  const avgdl = tokens.reduce((a, t) => a + t.length, 0) / n;
  return tokens
    .map((row, i) => {
      const present = terms.map((term) => row.filter((t) => t === term).length);
      if (operator === 'AND' ? present.some((f) => f === 0) : present.every((f) => f === 0)) return null;
      let score = 0;
      terms.forEach((term, p) => {
        const hits = tokens.filter((r) => r.includes(term)).length;
        const f = present[p]!;
        score += idf(n, hits) * ((f * (BM25_K1 + 1.0)) / (f + BM25_K1 * (1 - BM25_B + (BM25_B * row.length) / avgdl)));
      });
      return { rowid: 10 * (i + 1), bm25: -1.0 * score };
    })
    .filter((r) => r !== null)
    .sort((a, b) => a.bm25 - b.bm25 || a.rowid - b.rowid);
};

describe('asciiTermCounts', () => {
  it('makes unicode61’s tokens of ASCII text: letter and digit runs, lower-cased, every other character a separator', () => {
    expect(asciiTermCounts('Hello, hello WORLD! x_y 3.14 e-mail\tTab\nline')).toEqual(
      new Map([
        ['hello', 2],
        ['world', 1],
        ['x', 1],
        ['y', 1],
        ['3', 1],
        ['14', 1],
        ['e', 1],
        ['mail', 1],
        ['tab', 1],
        ['line', 1],
      ]),
    );
    expect(asciiTermCounts(' ... ')).toEqual(new Map());
    expect(asciiTermCounts('naïve')).toBeNull();
    expect(asciiTermCounts('a\u0001b')).toBeNull();
  });
});

describe('encodeTermCounts', () => {
  it('stores (term id, count) pairs by term id and reads them back', () => {
    const pairs = [
      [300_000, 1],
      [1, 70_000],
      [128, 2],
      [129, 127],
    ] as const;
    const seen: [number, number][] = [];
    decodeTermCounts(encodeTermCounts(pairs), (id, n) => seen.push([id, n]));
    expect(seen).toEqual([
      [1, 70_000],
      [128, 2],
      [129, 127],
      [300_000, 1],
    ]);
  });
});

describe('TermIndex', () => {
  const texts = [
    'alpha beta gamma',
    'alpha alpha alpha beta',
    'gamma delta',
    'alpha beta gamma',
    'beta beta delta delta delta epsilon',
    'alpha',
  ];
  const docs = { d1: { tags: ['red'], category: 'x' }, d2: { tags: ['blue'], category: 'y' } };
  const rows = texts.map((text, i) => ({ text, doc: i % 2 === 0 ? 'd1' : 'd2' }));

  it('scores as FTS5’s bm25 does, AND and OR, equal scores in row order', () => {
    const { index, phrases } = corpus(rows, docs);
    expect(index.rows).toBe(6);
    expect(index.tokens).toBe(3 + 4 + 2 + 3 + 6 + 1);
    for (const terms of [['alpha'], ['alpha', 'beta'], ['beta', 'delta', 'gamma'], ['delta', 'alpha']]) {
      for (const operator of ['AND', 'OR'] as const) {
        expect(index.search(phrases(...terms), operator, 10, undefined, idf), `${operator} ${terms}`).toEqual(
          reference(texts, terms, operator),
        );
      }
    }
    // Rows 1 and 4 are the same text: the same score, the earlier row first, and first to be kept.
    const [first, second] = index.search(phrases('gamma', 'alpha'), 'AND', 2, undefined, idf);
    expect(first!.bm25).toBe(second!.bm25);
    expect([first!.rowid, second!.rowid]).toEqual([10, 40]);
    expect(index.search(phrases('gamma', 'alpha'), 'AND', 1, undefined, idf)).toEqual([first]);
  });

  it('counts a term twice when the query names it twice, and a term never seen as absent', () => {
    const { index, phrases } = corpus(rows, docs);
    const once = index.search(phrases('beta'), 'OR', 10, undefined, idf);
    const twice = index.search(phrases('beta', 'beta'), 'AND', 10, undefined, idf);
    expect(twice.map((r) => r.rowid)).toEqual(once.map((r) => r.rowid));
    twice.forEach((r, i) => {
      expect(r.bm25).toBe(once[i]!.bm25 + once[i]!.bm25);
    });
    expect(index.search(phrases('alpha', 'zeta'), 'AND', 10, undefined, idf)).toEqual([]);
    expect(index.search(phrases('alpha', 'zeta'), 'OR', 10, undefined, idf)).toEqual(
      index.search(phrases('alpha'), 'OR', 10, undefined, idf),
    );
  });

  it('returns only visible documents passing the filter, while the statistics count every row', () => {
    const { index, phrases } = corpus(rows, docs);
    const all = index.search(phrases('alpha', 'beta'), 'OR', 10, undefined, idf);
    const only = (filter: TermIndexFilter) => index.search(phrases('alpha', 'beta'), 'OR', 10, filter, idf);
    const odd = all.filter((r) => (r.rowid / 10) % 2 === 0);
    expect(only({ tags: ['blue', 'green'] })).toEqual(odd);
    expect(only({ category: 'y' })).toEqual(odd);
    expect(only({ document_ids: ['d2'] })).toEqual(odd);
    expect(only({ document_ids: ['d2'], tags: ['red'] })).toEqual([]);
    expect(only({ category: 'nothing' })).toEqual([]);
    index.setVisible('d1', false);
    expect(index.search(phrases('alpha', 'beta'), 'OR', 10, undefined, idf)).toEqual(odd);
  });

  it('counts the bytes it holds', () => {
    const { index, phrases } = corpus(rows, docs);
    const before = index.bytes;
    expect(before).toBeGreaterThan(0);
    for (let i = 0; i < 5000; i++) {
      index.addRow(
        1000 + i,
        'd1',
        3,
        encodeTermCounts([
          [1, 1],
          [2, 1],
          [3, 1],
        ]),
      );
    }
    // Three postings a row, about two bytes each, and the row's own 17 bytes.
    expect(index.bytes - before).toBeGreaterThan(5000 * (3 * 2 + 17));
    expect(index.bytes - before).toBeLessThan(5000 * (3 * 2 + 17) * 2.5);
    index.search(phrases('alpha'), 'OR', 5, undefined, idf);
    expect(index.bytes).toBeGreaterThan(before);
  });

  it('forgets a removed row in every statistic, and keeps adding rows after it', () => {
    const { index, phrases, blobs } = corpus(rows, docs);
    expect(index.removeRow(20, blobs[1]!)).toBe(true);
    expect(index.removeRow(20, blobs[1]!)).toBe(false);
    expect(index.removeRow(25, blobs[1]!)).toBe(false);
    expect(index.holes).toBe(1);
    const remaining = texts.filter((_, i) => i !== 1);
    const expected = reference(remaining, ['alpha', 'beta'], 'OR').map((r) => ({
      ...r,
      rowid: r.rowid >= 20 ? r.rowid + 10 : r.rowid,
    }));
    expect(index.search(phrases('alpha', 'beta'), 'OR', 10, undefined, idf)).toEqual(expected);
    expect(() => index.addRow(60, 'd1', 1, blobs[5]!)).toThrow();
    index.addRow(70, 'd1', 1, blobs[5]!);
    expect(index.rows).toBe(6);
    expect(index.lastRowid).toBe(70);
  });
});
