import { runInDurableObject } from 'cloudflare:test';
import { createDb } from '@flowspark/db';
import { backfillKeywordIndex, type KbKeywordSearch, kbOrgScope } from '@flowspark/kb';
import { describe, expect, it } from 'vitest';
import { KeywordIndex } from '../../workers/objects/keyword-index';
import { addText, createTenant, env, keywordIndexOf, keywordStats, search, type TestTenant } from './helpers';

const newOrg = () => `org_kw_${crypto.randomUUID().replaceAll('-', '')}`;
const doc = (document_id: string, tags: string[] = [], category: string | null = null, job_id = 'job_1') => ({
  document_id,
  tags,
  category,
  title: `Title of ${document_id}`,
  job_id,
});
const backfilled = (document_id: string) => ({ ...doc(document_id), embedding_model: 'local-hash-384' });
const row = (chunk_id: string, text: string, chunk_index = 0) => ({
  chunk_id,
  chunk_index,
  text,
  heading: null,
  page_number: null,
});
const query = (terms: string[], minimum: number, limit: number, filter = {}) => ({ terms, minimum, limit, filter });
const ids = (result: KbKeywordSearch) => (result.ready ? result.hits.map((h) => h.id) : null);

describe('the per-tenant keyword index (KeywordIndex object)', () => {
  it('is FTS5 in the object’s SQLite: bm25, folded diacritics, AND before OR, filters inside the query', async () => {
    const org = newOrg();
    const index = keywordIndexOf(org);
    // Never filled: it asks for the backfill instead of answering.
    expect(await index.search(org, query(['x'], 1, 5))).toEqual({ ready: false });
    expect(await index.backfill(org, [], [], true)).toEqual({ ready: true });

    const a = {
      document: doc('kbd_a', ['x'], 'food'),
      rows: [
        row('chk_1', 'Crème brûlée is a dessert from France'),
        row('chk_2', 'A report about quarterly revenue and one dessert', 1),
      ],
      reset: true,
    };
    await index.write(org, a);
    await index.write(org, {
      document: doc('kbd_b', ['y']),
      rows: [row('chk_3', 'dessert dessert dessert revenue')],
      reset: true,
    });
    // Written but not published: not shown yet.
    expect(ids(await index.search(org, query(['dessert'], 1, 5)))).toEqual([]);
    for (const id of ['kbd_a', 'kbd_b']) {
      expect(await index.publish(org, { document_id: id, job_id: 'job_1', embedding_model: 'local-hash-384' })).toEqual(
        { ready: true, published: true },
      );
    }

    const creme = await index.search(org, query(['creme'], 1, 5));
    expect(creme).toMatchObject({ ready: true, operator: 'AND', hits: [{ id: 'chk_1' }] });
    if (!creme.ready) throw new Error('not ready');
    expect(creme.hits[0]!.bm25).toBeLessThan(0);
    // The hit comes with what search shows of it.
    expect(creme.chunks).toEqual([
      {
        id: 'chk_1',
        document_id: 'kbd_a',
        chunk_index: 0,
        text: 'Crème brûlée is a dessert from France',
        heading: null,
        page_number: null,
        title: 'Title of kbd_a',
        embedding_model: 'local-hash-384',
      },
    ]);
    // So does a term with diacritics (FTS5 folds them), ranked the same way.
    expect(await index.search(org, query(['Crème'], 1, 5))).toEqual(creme);

    const both = query(['dessert', 'revenue'], 2, 10);
    const and = await index.search(org, both);
    expect(and).toMatchObject({ operator: 'AND', hits: [{ id: 'chk_3' }, { id: 'chk_2' }] });
    // Fewer AND hits than wanted: the OR query answers instead.
    const or = await index.search(org, { ...both, minimum: 3 });
    expect(or).toMatchObject({ operator: 'OR' });
    expect(ids(or)?.sort()).toEqual(['chk_1', 'chk_2', 'chk_3']);
    // With fill (hybrid), AND hits short of the limit are followed by the best other OR hits.
    expect(await index.search(org, { ...both, minimum: 1, limit: 3, fill: true })).toMatchObject({
      operator: 'AND',
      hits: [{ id: 'chk_3' }, { id: 'chk_2' }, { id: 'chk_1' }],
    });
    // Filters restrict the MATCH itself, so the LIMIT applies to what the filter allows.
    const dessert = (filter: object) => index.search(org, query(['dessert'], 1, 1, filter));
    expect(await dessert({})).toMatchObject({ hits: [{ id: 'chk_3' }] });
    expect(await dessert({ tags: ['x'] })).toMatchObject({ hits: [{ id: expect.stringMatching(/^chk_[12]$/) }] });
    expect(await dessert({ category: 'food' })).toMatchObject({ hits: [{ id: expect.stringMatching(/^chk_[12]$/) }] });
    expect(await dessert({ document_ids: ['kbd_b'] })).toMatchObject({ hits: [{ id: 'chk_3' }] });
    expect(await dessert({ document_ids: ['kbd_a'], tags: ['y'] })).toMatchObject({ hits: [] });
    // Other chunks (the vector leg's) are loaded in the same call, under the same filter.
    const included = await index.search(org, {
      ...query(['creme'], 1, 5, { tags: ['x'] }),
      include: ['chk_2', 'chk_3'],
    });
    expect(included.ready && included.chunks.map((c) => c.id)).toEqual(['chk_1', 'chk_2']);

    // Writing the same document again (a redelivered job) changes nothing once published.
    await index.write(org, a);
    await index.publish(org, { document_id: 'kbd_a', job_id: 'job_1', embedding_model: 'local-hash-384' });
    expect(await index.search(org, both)).toEqual(and);
    expect(await index.stats()).toEqual({
      namespace: org,
      ready: true,
      documents: 2,
      chunks: 3,
      in_memory: true,
      memory_bytes: expect.any(Number),
    });
    await index.remove(org, 'kbd_b');
    await index.remove(org, 'kbd_b');
    expect(await index.stats()).toMatchObject({ documents: 1, chunks: 2 });
    expect(await index.rows('kbd_b')).toEqual([]);
    expect(ids(await index.search(org, query(['dessert'], 1, 5)))).toEqual(['chk_1', 'chk_2']);
  });

  it('shows a document only while its current job has published it', async () => {
    const org = newOrg();
    const index = keywordIndexOf(org);
    await index.backfill(org, [], [], true);
    const publish = (job_id: string) =>
      index.publish(org, { document_id: 'kbd_r', job_id, embedding_model: 'local-hash-384' });
    const shown = async () => ids(await index.search(org, { ...query(['glacier'], 1, 5), include: ['chk_r'] }));
    await index.write(org, {
      document: doc('kbd_r', [], null, 'job_1'),
      rows: [row('chk_r', 'a glacier')],
      reset: true,
    });
    expect(await shown()).toEqual([]);
    expect(await publish('job_0')).toMatchObject({ published: false });
    expect(await shown()).toEqual([]);
    expect(await publish('job_1')).toMatchObject({ published: true });
    expect(await shown()).toEqual(['chk_r']);
    // A re-index hides it under its new job: the old job's late publish does not show it again.
    await index.hide(org, 'kbd_r', 'job_2');
    expect(await shown()).toEqual([]);
    const loaded = await index.search(org, { ...query([], 1, 5), include: ['chk_r'] });
    expect(loaded.ready && loaded.chunks).toEqual([]);
    expect(await publish('job_1')).toMatchObject({ published: false });
    expect(await shown()).toEqual([]);
    await index.write(org, {
      document: doc('kbd_r', [], null, 'job_2'),
      rows: [row('chk_r', 'a glacier moved')],
      reset: true,
    });
    expect(await shown()).toEqual([]);
    expect(await publish('job_2')).toMatchObject({ published: true });
    expect(await shown()).toEqual(['chk_r']);
  });

  it('keeps what the live path wrote while a backfill runs', async () => {
    const org = newOrg();
    const index = keywordIndexOf(org);
    expect(
      await index.write(org, {
        document: doc('kbd_live'),
        rows: [row('chk_live', 'the new text')],
        reset: true,
      }),
    ).toEqual({ ready: false });
    await index.remove(org, 'kbd_gone');
    // A publish for a document the object does not hold (its rows were written before the object was
    // emptied) changes nothing, and does not keep the backfill from bringing the document.
    expect(
      await index.publish(org, { document_id: 'kbd_late', job_id: 'job_1', embedding_model: 'local-hash-384' }),
    ).toEqual({ ready: false, published: false });
    // The backfill read D1 before those writes: its rows of both documents are older.
    await index.backfill(
      org,
      [backfilled('kbd_live'), backfilled('kbd_gone'), backfilled('kbd_old'), backfilled('kbd_late')],
      [
        { ...row('chk_live', 'the old text'), document_id: 'kbd_live' },
        { ...row('chk_gone', 'deleted meanwhile'), document_id: 'kbd_gone' },
        { ...row('chk_old', 'an untouched document'), document_id: 'kbd_old' },
        { ...row('chk_late', 'a late document'), document_id: 'kbd_late' },
      ],
      true,
    );
    expect(await index.rows('kbd_live')).toEqual([
      { ...row('chk_live', 'the new text'), document_id: 'kbd_live', search_text: 'the new text' },
    ]);
    expect(await index.rows('kbd_gone')).toEqual([]);
    expect(await index.rows('kbd_old')).toHaveLength(1);
    expect(await index.rows('kbd_late')).toHaveLength(1);
    expect(await index.stats()).toMatchObject({ ready: true, documents: 3, chunks: 3 });
    // The backfilled documents are indexed in D1, so shown; the live one waits for its job.
    expect(ids(await index.search(org, query(['text', 'document'], 1, 5)))?.sort()).toEqual(['chk_late', 'chk_old']);
  });
});

const library = async (tenant: TestTenant) => {
  await addText(tenant, {
    title: 'Dental insurance',
    text: 'Dental insurance covers two check-ups per year. Orthodontic treatment is covered up to 1,500 euros.',
    tags: ['benefits'],
  });
  await addText(tenant, {
    title: 'Parking rules',
    text: 'Visitors park on level minus two. Employees need a parking badge from the front desk.',
  });
  await addText(tenant, {
    title: 'Travel policy',
    text: 'Travel expenses are reimbursed within fourteen days. Book trains for trips under four hours.',
  });
};

const QUERIES = ['orthodontic treatment', 'parking badge', 'travel expenses dental', 'insurance trains visitors'];

/** Every hit's chunk, score and ranks for the queries, in keyword and hybrid mode. */
const scores = async (tenant: TestTenant, modes = ['keyword', 'hybrid']) => {
  const out: unknown[] = [];
  for (const mode of modes) {
    for (const q of QUERIES) {
      const { hits } = await search(tenant, { q, mode, top_k: 10 });
      out.push(hits.map((h) => [h.chunk_id, h.score, h.keyword_rank ?? null, h.vector_rank ?? null]));
    }
  }
  return out;
};

/** Paragraphs of the same vocabulary as the library, many times over. */
const bigCorpus = (n: number) =>
  Array.from(
    { length: n },
    (_, i) =>
      `Section ${i}. Orthodontic treatment and dental insurance for visitors. The parking badge, travel expenses ` +
      `and trains are covered ${i % 3 === 0 ? 'orthodontic orthodontic' : 'insurance'}. `.repeat(4),
  ).join('\n\n');

describe('knowledge-base search is independent of other tenants', () => {
  it('gives a tenant exactly the same scores beside a much larger tenant as alone', async () => {
    const small = await createTenant();
    await library(small);
    const alone = await scores(small);
    expect((alone[0] as unknown[]).length).toBe(1);

    const large = await createTenant();
    const big = await addText(large, { title: 'Everything', text: bigCorpus(150) });
    expect(big.chunk_count).toBeGreaterThanOrEqual(40);
    expect((await keywordStats(large.orgId)).chunks).toBe(big.chunk_count);

    // Same words, over 10× the chunks next door: with one shared FTS5 index every bm25 score (document
    // frequencies, average length) would move. Each tenant's index holds its own chunks only.
    expect(await scores(small)).toEqual(alone);
    expect(await keywordStats(small.orgId)).toMatchObject({ namespace: small.orgId, ready: true, chunks: 3 });
    const largeHit = (await search(large, { q: 'orthodontic treatment', mode: 'keyword' })).hits[0]!;
    const smallHit = (await search(small, { q: 'orthodontic treatment', mode: 'keyword' })).hits[0]!;
    expect(largeHit.score).not.toBe(smallHit.score);
  });

  it('backfills a tenant indexed before per-tenant indexes from its D1 chunks, on its first search', async () => {
    const source = await createTenant();
    await library(source);
    // The same documents and chunks written straight to D1 for another tenant, as the shared index
    // days left them: its keyword index object has never been written.
    const legacy = await createTenant();
    const { results: docs } = await env.DB.prepare('SELECT * FROM kb_documents WHERE org_id = ?')
      .bind(source.orgId)
      .all<Record<string, unknown>>();
    const statements: D1PreparedStatement[] = [];
    for (const d of docs) {
      const id = `kbd_${crypto.randomUUID().replaceAll('-', '')}`;
      const row = { ...d, id, org_id: legacy.orgId, created_by: null, file_key: `tenants/${legacy.orgId}/kb/${id}/x` };
      const columns = Object.keys(row);
      statements.push(
        env.DB.prepare(
          `INSERT INTO kb_documents (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
        ).bind(...Object.values(row)),
        env.DB.prepare(
          `INSERT INTO kb_chunks (id, org_id, document_id, chunk_index, text, heading, page_number, start_offset,
             end_offset, token_count, created_at)
           SELECT 'chk_' || lower(hex(randomblob(16))), ?1, ?2, chunk_index, text, heading, page_number,
             start_offset, end_offset, token_count, created_at
           FROM kb_chunks WHERE document_id = ?3 AND org_id = ?4`,
        ).bind(legacy.orgId, id, d.id, source.orgId),
      );
    }
    await env.DB.batch(statements);
    expect(await keywordStats(legacy.orgId)).toMatchObject({ ready: false, chunks: 0 });

    // Identical corpora, so identical keyword scores.
    const expected = (await scores(source, ['keyword'])).map((hits) =>
      (hits as unknown[][]).map(([, score, rank]) => [score, rank]),
    );
    const got = (await scores(legacy, ['keyword'])).map((hits) =>
      (hits as unknown[][]).map(([, score, rank]) => [score, rank]),
    );
    expect(got).toEqual(expected);
    expect(await keywordStats(legacy.orgId)).toEqual({
      namespace: legacy.orgId,
      ready: true,
      documents: 3,
      chunks: 3,
      in_memory: true,
      memory_bytes: expect.any(Number),
    });
  });
});

describe('an index object of the earlier layout', () => {
  it('drops its index when it starts and is backfilled from D1, with the same results as before', async () => {
    const tenant = await createTenant();
    await library(tenant);
    const stub = keywordIndexOf(tenant.orgId);
    const queries = QUERIES.map((q) => ({ terms: q.split(' '), minimum: 2, limit: 10, fill: true }));
    const before = await Promise.all(queries.map((q) => stub.search(tenant.orgId, q)));
    expect(before.every((r) => r.ready && r.hits.length > 0)).toBe(true);
    await runInDurableObject(stub, async (_object, state) => {
      const sql = state.storage.sql;
      // What an object of the first layout held: no format, FTS5 text without the chunks' own.
      for (const table of ['scratch_terms', 'scratch', 'fts', 'chunks', 'docs', 'terms', 'touched']) {
        sql.exec(`DROP TABLE IF EXISTS ${table}`);
      }
      sql.exec("DELETE FROM settings WHERE key = 'format'");
      sql.exec('CREATE TABLE docs (id TEXT PRIMARY KEY, tags TEXT NOT NULL, category TEXT)');
      sql.exec('CREATE TABLE chunks (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, document_id TEXT NOT NULL)');
      sql.exec("CREATE VIRTUAL TABLE fts USING fts5(search_text, tokenize = 'unicode61 remove_diacritics 2')");
      sql.exec('CREATE TABLE touched (id TEXT PRIMARY KEY)');
      sql.exec("INSERT INTO docs VALUES ('kbd_old', '[]', NULL)");
      sql.exec("INSERT INTO chunks VALUES (1, 'chk_old', 'kbd_old')");
      sql.exec("INSERT INTO fts (rowid, search_text) VALUES (1, 'orthodontic treatment')");

      const restarted = new KeywordIndex(state, env);
      expect(await restarted.stats()).toMatchObject({ namespace: tenant.orgId, ready: false, chunks: 0 });
      expect(await restarted.search(tenant.orgId, { terms: ['orthodontic'], minimum: 1, limit: 5 })).toEqual({
        ready: false,
      });
      await backfillKeywordIndex({ db: createDb(env.DB), keywords: () => restarted }, kbOrgScope(tenant.orgId));
      expect(await restarted.stats()).toMatchObject({ ready: true, documents: 3, chunks: 3 });
      for (const [i, q] of queries.entries()) expect(await restarted.search(tenant.orgId, q)).toEqual(before[i]);
    });
  });
});
