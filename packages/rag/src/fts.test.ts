import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ftsQuery, ftsText, MAX_QUERY_TERMS, queryTerms } from './fts';

describe('ftsText', () => {
  it('splits CJK runs into overlapping bigrams and leaves other text as it is', () => {
    expect(ftsText('東京都に住んでいます。')).toBe('東京 京都 都に に住 住ん んで でい いま ます 。');
    expect(ftsText('我爱北京')).toBe('我爱 爱北 北京');
    expect(ftsText('Café au lait, s’il vous plaît')).toBe('Café au lait, s’il vous plaît');
    expect(ftsText('Tokyo東京Tower 2024年')).toBe('Tokyo 東京 Tower 2024 年');
    expect(ftsText('한국어 텍스트')).toBe('한국 국어 텍스 스트');
    expect(ftsText('猫')).toBe('猫');
  });

  it('applies NFKC: full-width Latin and half-width katakana take their usual forms', () => {
    expect(ftsText('ＡＢＣ１２３ ｶﾀｶﾅ')).toBe('ABC123 カタ タカ カナ');
    expect(ftsText('コーヒー')).toBe('コー ーヒ ヒー');
  });
});

describe('ftsQuery', () => {
  it('quotes each term and ORs them (or ANDs them), CJK as bigrams', () => {
    expect(ftsQuery('budget review')).toBe('"budget" OR "review"');
    expect(ftsQuery('budget review', 'AND')).toBe('"budget" AND "review"');
    expect(ftsQuery('東京都 猫', 'AND')).toBe('"東京" AND "京都" AND "猫"*');
    expect(ftsQuery('東京都')).toBe('"東京" OR "京都"');
    expect(ftsQuery('Tokyo東京 tower')).toBe('"Tokyo" OR "東京" OR "tower"');
    expect(ftsQuery('猫')).toBe('"猫"*');
  });

  it('neutralises FTS5 syntax: operators, columns, quotes, parentheses, prefixes, NEAR', () => {
    expect(ftsQuery('"a" AND (b OR c*) NOT d NEAR(e f) org_id:1 ^g -h +i')).toBe(
      '"a" OR "AND" OR "b" OR "OR" OR "c" OR "NOT" OR "d" OR "NEAR" OR "e" OR "f" OR "org" OR "id" OR "1" OR "g" OR "h" OR "i"',
    );
  });

  it('deduplicates case-insensitively, caps the number of terms, and returns null when nothing is searchable', () => {
    expect(ftsQuery('Paris paris PARIS')).toBe('"Paris"');
    expect(queryTerms(Array.from({ length: 100 }, (_, i) => `w${i}`).join(' '))).toHaveLength(MAX_QUERY_TERMS);
    expect(ftsQuery('')).toBeNull();
    expect(ftsQuery('  "*()" :: -- ^ 。！？ ')).toBeNull();
  });
});

// The keyword index is one FTS5 table per tenant (a Durable Object's SQLite); the same tokenizer in a
// table of this test's own shows what the queries find.
describe('FTS5 round trip (unicode61 remove_diacritics 2)', () => {
  const table = `fts_round_trip_${crypto.randomUUID().replaceAll('-', '')}`;
  const rows = [
    ['chk_fr', 'Le café crème est servi à Noël dans la cathédrale.'],
    ['chk_zh', '北京是中华人民共和国的首都，位于华北平原。'],
    ['chk_ja', '東京都は日本の首都です。コーヒーが好きです。'],
    ['chk_en', 'The quarterly budget review covers every department.'],
  ];

  const search = async (query: string, operator: 'AND' | 'OR' = 'OR') => {
    const match = ftsQuery(query, operator);
    if (!match) return [];
    const { results } = await env.DB.prepare(
      `SELECT chunk_id FROM ${table} WHERE ${table} MATCH ?1 ORDER BY bm25(${table})`,
    )
      .bind(match)
      .all<{ chunk_id: string }>();
    return results.map((r) => r.chunk_id);
  };

  it('finds words inside CJK runs, accents folded, syntax characters harmless', async () => {
    await env.DB.batch([
      env.DB.prepare(
        `CREATE VIRTUAL TABLE ${table} USING fts5(search_text, chunk_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2')`,
      ),
      ...rows.map(([id, text]) =>
        env.DB.prepare(`INSERT INTO ${table} (search_text, chunk_id) VALUES (?1, ?2)`).bind(ftsText(text!), id),
      ),
    ]);
    expect(await search('首都')).toEqual(expect.arrayContaining(['chk_zh', 'chk_ja']));
    expect((await search('首都')).length).toBe(2);
    expect(await search('北京')).toEqual(['chk_zh']);
    expect(await search('華北平原の位置')).toContain('chk_zh'); // shares the bigram 平原
    expect(await search('東京')).toEqual(['chk_ja']);
    expect(await search('ｺｰﾋｰ')).toEqual(['chk_ja']); // half-width katakana query
    // A single character: a prefix of the bigrams 京是 (北京是…) and 京都.
    expect((await search('京')).sort()).toEqual(['chk_ja', 'chk_zh']);
    expect(await search('cafe creme')).toEqual(['chk_fr']); // remove_diacritics 2
    expect(await search('CATHÉDRALE')).toEqual(['chk_fr']);
    expect(await search('budget" OR "x')).toEqual(['chk_en']);
    expect(await search('review) NOT (budget')).toEqual(['chk_en']);
    expect(await search('nothing matches this')).toEqual([]);
    // AND needs every term: the OR query finds a chunk by one of them.
    expect(await search('budget cathedrale', 'AND')).toEqual([]);
    expect((await search('budget cathedrale')).sort()).toEqual(['chk_en', 'chk_fr']);
    expect(await search('quarterly budget', 'AND')).toEqual(['chk_en']);
    await env.DB.prepare(`DROP TABLE ${table}`).run();
  });
});
