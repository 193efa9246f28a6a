import { runInDurableObject } from 'cloudflare:test';
import { asciiTermCounts, type KbKeywordFilter, type KbKeywordHit } from '@flowspark/kb';
import { ftsExpression } from '@flowspark/rag';
import { describe, expect, it } from 'vitest';
import { fts5Match, KeywordIndex } from '../../workers/objects/keyword-index';
import { env, keywordIndexOf } from './helpers';

const newOrg = () => `org_rank_${crypto.randomUUID().replaceAll('-', '')}`;

/** A small PRNG, so every run builds the same corpus. */
const random = (seed: number) => {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
};

// Few words, so many rows share their counts and lengths: equal scores at every LIMIT boundary.
const WORDS = ['amber', 'basalt', 'cobalt', 'delta', 'ember', 'fjord', 'garnet', 'harbor'];
// Text FTS5 tokenizes itself: diacritics, ß, a superscript digit, CJK bigrams, punctuation.
const OTHER = ['café', 'Straße', 'naïve', 'Ærø', 'x²', '東京 京都', 'Ünïcödé—dash', 'İstanbul', '“quoted”'];

const makeText = (next: () => number) => {
  const length = 3 + Math.floor(next() * 14);
  const words = Array.from({ length }, () => {
    const r = next();
    if (r < 0.08) return OTHER[Math.floor(next() * OTHER.length)]!;
    return WORDS[Math.floor(next() ** 2 * WORDS.length)]!;
  });
  return words.join(next() < 0.3 ? ', ' : ' ');
};

const TERMS = [...WORDS, 'cafe', 'café', 'strasse', 'straße', 'naive', 'Ærø', 'x²', '東京', '京都', 'unknownword'];
const FILTERS: (KbKeywordFilter | undefined)[] = [
  undefined,
  { tags: ['red'] },
  { category: 'alpha' },
  { document_ids: ['kbd_0', 'kbd_3', 'kbd_5'] },
  { tags: ['red', 'blue'], category: 'beta' },
];

describe('ranking keyword searches in memory', () => {
  it('gives exactly FTS5’s hits and bm25 scores, through writes, re-writes, hiding, removals and a restart', async () => {
    const org = newOrg();
    const index = keywordIndexOf(org);
    await index.backfill(org, [], [], true);
    const next = random(20261207);
    const docIds = Array.from({ length: 8 }, (_, i) => `kbd_${i}`);
    const writeDocument = async (id: string, job: string, rows: number) => {
      const n = Number(id.slice(4));
      const texts = Array.from({ length: rows }, () => makeText(next));
      // Some rows repeat another's text: identical scores.
      for (let i = 3; i < texts.length; i += 5) texts[i] = texts[i - 3]!;
      await index.write(org, {
        document: {
          document_id: id,
          tags: n % 2 === 0 ? ['red'] : ['blue'],
          category: n % 3 === 0 ? 'alpha' : 'beta',
          title: id,
          job_id: job,
        },
        rows: texts.map((text, i) => ({
          chunk_id: `chk_${id}_${String(i).padStart(3, '0')}`,
          chunk_index: i,
          text,
          heading: null,
          page_number: null,
        })),
        reset: true,
      });
      await index.publish(org, { document_id: id, job_id: job, embedding_model: null });
    };
    for (const id of docIds) await writeDocument(id, 'job_1', 60);

    const queries: { terms: string[]; operator: 'AND' | 'OR' }[] = [];
    for (let i = 0; i < 60; i++) {
      const count = 1 + Math.floor(next() * 4);
      const terms = [...new Set(Array.from({ length: count }, () => TERMS[Math.floor(next() * TERMS.length)]!))];
      queries.push({ terms, operator: next() < 0.5 ? 'AND' : 'OR' });
    }
    // Two spellings of one token are two phrases for FTS5, each scored.
    queries.push({ terms: ['cafe', 'café'], operator: 'AND' }, { terms: ['café', 'amber'], operator: 'OR' });

    const compare = async (label: string) => {
      let compared = 0;
      for (const [q, { terms, operator }] of queries.entries()) {
        for (const filter of FILTERS) {
          const limit = [1, 3, 5, 20, 50][q % 5]!;
          const expression = ftsExpression(terms, operator)!;
          const expected: KbKeywordHit[] = await runInDurableObject(index, (_object, state) =>
            fts5Match(state.storage.sql, expression, filter, limit),
          );
          const got = await index.rank(org, terms, operator, filter, limit);
          expect(got.by, `${label}: ${expression}`).toBe('memory');
          expect(got.hits, `${label}: ${expression} ${JSON.stringify(filter)} limit ${limit}`).toEqual(expected);
          compared += expected.length;
        }
      }
      return compared;
    };

    // Loaded from storage on the first ranking.
    expect(await compare('loaded')).toBeGreaterThan(500);
    expect(await index.stats()).toMatchObject({ in_memory: true });
    // Changes to a loaded index: a re-index under a new job, a hidden document, a removed one, rows
    // rewritten under the same chunk ids, new documents.
    await writeDocument('kbd_2', 'job_2', 40);
    await index.hide(org, 'kbd_4', 'job_3');
    await index.remove(org, 'kbd_6');
    await index.write(org, {
      document: { document_id: 'kbd_1', tags: ['blue'], category: 'beta', title: 'kbd_1', job_id: 'job_1' },
      rows: [0, 1, 2].map((i) => ({
        chunk_id: `chk_kbd_1_${String(i).padStart(3, '0')}`,
        chunk_index: i,
        text: 'amber amber basalt café',
        heading: null,
        page_number: null,
      })),
      reset: false,
    });
    for (let i = 8; i < 11; i++) await writeDocument(`kbd_${i}`, 'job_1', 30);
    expect(await compare('changed')).toBeGreaterThan(500);

    // The same answers from an object started afresh on the same storage.
    await runInDurableObject(index, async (_object, state) => {
      const restarted = new KeywordIndex(state, env);
      for (const { terms, operator } of queries) {
        const expression = ftsExpression(terms, operator)!;
        const got = await restarted.rank(org, terms, operator, { tags: ['red'] }, 20);
        expect(got.by).toBe('memory');
        expect(got.hits).toEqual(fts5Match(state.storage.sql, expression, { tags: ['red'] }, 20));
      }
    });
  });

  it('tokenizes plain ASCII text exactly as FTS5’s unicode61 tokenizer does', async () => {
    const next = random(42);
    const printable = `${Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('')}\t\n\r`;
    const texts = Array.from({ length: 300 }, () =>
      Array.from({ length: 1 + Math.floor(next() * 60) }, () =>
        // Mostly letters and digits, so tokens are long enough to meet every separator.
        next() < 0.6 ? 'aZ9kQ'[Math.floor(next() * 5)] : printable[Math.floor(next() * printable.length)],
      ).join(''),
    );
    const stub = keywordIndexOf(newOrg());
    await runInDurableObject(stub, (_object, state) => {
      const sql = state.storage.sql;
      sql.exec("CREATE VIRTUAL TABLE ascii_check USING fts5(x, tokenize = 'unicode61 remove_diacritics 2')");
      sql.exec("CREATE VIRTUAL TABLE ascii_check_terms USING fts5vocab(ascii_check, 'instance')");
      texts.forEach((text, i) => {
        sql.exec('INSERT INTO ascii_check (rowid, x) VALUES (?, ?)', i + 1, text);
      });
      const fts5 = texts.map(() => new Map<string, number>());
      for (const r of sql.exec<{ doc: number; term: string; n: number }>(
        'SELECT doc, term, COUNT(*) AS n FROM ascii_check_terms GROUP BY doc, term',
      )) {
        fts5[r.doc - 1]!.set(r.term, r.n);
      }
      texts.forEach((text, i) => {
        expect(asciiTermCounts(text), JSON.stringify(text)).toEqual(fts5[i]);
      });
    });
    // Anything else is left to FTS5.
    for (const text of ['café', 'a\u00a0b', 'x\u0000y', 'del\u007f', '東京']) expect(asciiTermCounts(text)).toBeNull();
  });

  it('leaves to FTS5 an index whose postings would outgrow the memory bound, with the same answers', async () => {
    const org = newOrg();
    const index = keywordIndexOf(org);
    await index.backfill(org, [], [], true);
    const next = random(7);
    const write = (document_id: string, rows: number) =>
      index.write(org, {
        document: { document_id, tags: [], category: null, title: document_id, job_id: 'job_1' },
        rows: Array.from({ length: rows }, (_, i) => ({
          chunk_id: `chk_${document_id}_${i}`,
          chunk_index: i,
          text: makeText(next),
          heading: null,
          page_number: null,
        })),
        reset: true,
      });
    await write('kbd_a', 50);
    await index.publish(org, { document_id: 'kbd_a', job_id: 'job_1', embedding_model: null });
    const queries = [['amber'], ['basalt', 'cobalt'], ['delta', 'ember', 'fjord']];
    await runInDurableObject(index, async (_object, state) => {
      const fits = new KeywordIndex(state, env);
      const limited = new KeywordIndex(state, { ...env, KB_KEYWORD_MEMORY_BYTES: '1000' });
      for (const terms of queries) {
        const inMemory = await fits.rank(org, terms, 'OR', undefined, 10);
        expect(inMemory.by).toBe('memory');
        expect(await limited.rank(org, terms, 'OR', undefined, 10)).toEqual({ by: 'fts5', hits: inMemory.hits });
      }
      expect(await limited.stats()).toMatchObject({ in_memory: false, memory_bytes: 0 });
      // Postings that outgrow the bound as rows come are dropped too.
      const { memory_bytes } = await fits.stats();
      const growing = new KeywordIndex(state, { ...env, KB_KEYWORD_MEMORY_BYTES: String(memory_bytes + 20_000) });
      expect(await growing.rank(org, ['amber'], 'OR', undefined, 5)).toMatchObject({ by: 'memory' });
      await growing.write(org, {
        document: { document_id: 'kbd_b', tags: [], category: null, title: 'b', job_id: 'job_1' },
        rows: Array.from({ length: 400 }, (_, i) => ({
          chunk_id: `chk_b_${i}`,
          chunk_index: i,
          text: `${makeText(next)} word${i} other${i} more${i}`,
          heading: null,
          page_number: null,
        })),
        reset: true,
      });
      expect(await growing.rank(org, ['amber'], 'OR', undefined, 5)).toMatchObject({ by: 'fts5' });
    });
  });

  it('leaves to FTS5 a query whose term is not one token, with the same answers', async () => {
    const org = newOrg();
    const index = keywordIndexOf(org);
    await index.backfill(org, [], [], true);
    await index.write(org, {
      document: { document_id: 'kbd_j', tags: [], category: null, title: 'J', job_id: 'job_1' },
      rows: [
        { chunk_id: 'chk_1', chunk_index: 0, text: '東京オフィスは渋谷駅から', heading: null, page_number: null },
        { chunk_id: 'chk_2', chunk_index: 1, text: 'a-b c·d', heading: null, page_number: null },
      ],
      reset: true,
    });
    await index.publish(org, { document_id: 'kbd_j', job_id: 'job_1', embedding_model: null });
    // A single CJK character is a prefix term; "a-b" and "c·d" are two tokens each for FTS5.
    for (const terms of [['京'], ['a-b'], ['c·d'], ['東京', '京']]) {
      const got = await index.rank(org, terms, 'OR', undefined, 5);
      expect(got.by, terms.join(' ')).toBe('fts5');
      expect(got.hits.length, terms.join(' ')).toBeGreaterThan(0);
    }
    expect(await index.rank(org, ['東京'], 'OR', undefined, 5)).toMatchObject({
      by: 'memory',
      hits: [{ id: 'chk_1' }],
    });
  });
});
