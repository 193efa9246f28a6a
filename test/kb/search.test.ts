import { createDb } from '@flowspark/db';
import { kbOrgScope, searchKb } from '@flowspark/kb';
import { describe, expect, it } from 'vitest';
import { kbPorts } from '../../workers/lib/kb-ports';
import { addMember } from '../helpers/harness';
import {
  call,
  createTenant,
  env,
  expectError,
  expectOk,
  indexed,
  KB,
  search,
  storedChunks,
  type TestTenant,
  textAccepted,
} from './helpers';

/**
 * FTS5's bm25 (k1 = 1.2, b = 0.75) of a document for the terms, over a corpus, as a positive score:
 * Σ idf · f·(k1+1) / (f + k1·(1 − b + b·|d|/avgdl)), idf = ln((N − n + ½) / (n + ½)).
 */
const bm25 = (terms: string[], text: string, corpus: string[]) => {
  const tokens = (t: string) => (t.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) as string[];
  const docs = corpus.map(tokens);
  const avg = docs.reduce((n, d) => n + d.length, 0) / docs.length;
  const own = tokens(text);
  return terms.reduce((sum, term) => {
    const n = docs.filter((d) => d.includes(term)).length;
    const idf = Math.log((docs.length - n + 0.5) / (n + 0.5));
    const f = own.filter((t) => t === term).length;
    return sum + (idf * (f * 2.2)) / (f + 1.2 * (0.25 + (0.75 * own.length) / avg));
  }, 0);
};

const parkingText = 'Visitors park on level minus two. Employees need a parking badge from the front desk.';
const laptopText = 'Laptops are replaced every three years. Report a stolen laptop to the security team at once.';

const addText = async (tenant: TestTenant, body: Record<string, unknown>) =>
  indexed(tenant, await textAccepted(tenant, body));

const library = async (tenant: TestTenant) => {
  const dental = await addText(tenant, {
    title: 'Dental insurance',
    text: 'Dental insurance covers two check-ups per year. Orthodontic treatment is covered up to 1,500 euros.',
    tags: ['benefits'],
    category: 'hr',
  });
  const parking = await addText(tenant, {
    title: 'Parking rules',
    text: parkingText,
    tags: ['facilities', 'office'],
    category: 'office',
  });
  const laptops = await addText(tenant, {
    title: 'Laptop policy',
    text: laptopText,
    tags: ['it'],
    category: 'it',
  });
  return { dental, parking, laptops };
};

describe('GET /api/v1/kb/search', () => {
  it('finds passages by keyword, by vector and by both, with ranks, scores and snippets', async () => {
    const tenant = await createTenant();
    const { dental, parking } = await library(tenant);

    const keyword = await search(tenant, { q: 'orthodontic treatment', mode: 'keyword' });
    expect(keyword.mode).toBe('keyword');
    expect(keyword.timings.retrieval_ms).toBeGreaterThanOrEqual(0);
    expect(keyword.hits).toHaveLength(1);
    const [chunk] = await storedChunks(dental.id);
    expect(keyword.hits[0]).toEqual({
      document_id: dental.id,
      title: 'Dental insurance',
      chunk_id: chunk!.id,
      chunk_index: 0,
      page_number: null,
      heading: null,
      snippet: chunk!.text,
      score: expect.any(Number),
      keyword_rank: 1,
    });
    // BM25 over the tenant's own three chunks only (its keyword index holds nothing else), so exact.
    expect(keyword.hits[0]!.score).toBe(0.996181);
    expect(keyword.hits[0]!.score).toBeCloseTo(
      bm25(['orthodontic', 'treatment'], chunk!.text, [chunk!.text, parkingText, laptopText]),
      6,
    );

    const vector = await search(tenant, { q: 'orthodontic treatment', mode: 'vector' });
    expect(vector.hits[0]).toMatchObject({ document_id: dental.id, vector_rank: 1 });
    expect(vector.hits[0]).not.toHaveProperty('keyword_rank');
    expect(vector.hits[0]!.score).toBeCloseTo(0.365148, 5);
    expect(vector.hits[0]!.score).toBeLessThanOrEqual(1);
    // Vector search returns the nearest chunks even without shared words, ranked by similarity.
    const scores = vector.hits.map((h) => h.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));

    const hybrid = await search(tenant, { q: 'parking badge', mode: 'hybrid' });
    expect(hybrid.hits[0]).toMatchObject({ document_id: parking.id, keyword_rank: 1, vector_rank: 1 });
    // Hybrid fusion over the offline hash vectors: keyword ×3, vector ×1 at k 10 (packages/rag HYBRID_FUSION).
    expect(hybrid.hits[0]!.score).toBeCloseTo(3 / 11 + 1 / 11, 6);
    // Default mode is hybrid, top_k bounds the hits.
    const defaults = await search(tenant, { q: 'parking badge' });
    expect(defaults.mode).toBe('hybrid');
    expect((await search(tenant, { q: 'laptop parking dental', top_k: 2 })).hits).toHaveLength(2);
  });

  it('filters by tags, category and document ids in every mode', async () => {
    const tenant = await createTenant();
    const { dental, parking, laptops } = await library(tenant);
    for (const mode of ['keyword', 'vector', 'hybrid']) {
      const q = 'dental parking laptop';
      const byTag = await search(tenant, { q, mode, tags: 'FACILITIES,nothing' });
      expect(
        byTag.hits.map((h) => h.document_id),
        mode,
      ).toEqual([parking.id]);
      const byCategory = await search(tenant, { q, mode, category: 'it' });
      expect(
        byCategory.hits.map((h) => h.document_id),
        mode,
      ).toEqual([laptops.id]);
      const byIds = await search(tenant, { q, mode, document_ids: `${dental.id},${laptops.id}`, top_k: 10 });
      expect(new Set(byIds.hits.map((h) => h.document_id)), mode).toEqual(new Set([dental.id, laptops.id]));
      const none = await search(tenant, { q, mode, tags: 'benefits', category: 'office' });
      expect(none.hits, mode).toEqual([]);
    }
  });

  it('centres the snippet of a long chunk on the matching terms', async () => {
    const tenant = await createTenant();
    const filler = (word: string) => Array.from({ length: 40 }, (_, i) => `${word}${i}`).join(' ');
    const doc = await addText(tenant, {
      title: 'Long note',
      text: `${filler('alpha')}. The secret ingredient is saffron from Valencia. ${filler('omega')}.`,
    });
    const hit = (await search(tenant, { q: 'secret ingredient saffron', mode: 'keyword' })).hits[0]!;
    expect(hit.document_id).toBe(doc.id);
    expect(hit.snippet.length).toBeLessThanOrEqual(300);
    expect(hit.snippet).toContain('The secret ingredient is saffron from Valencia.');
    expect(hit.snippet.startsWith('…')).toBe(true);
    expect(hit.snippet.endsWith('…')).toBe(true);
  });

  it('searches indexed documents only', async () => {
    const tenant = await createTenant();
    const pending = await textAccepted(tenant, { title: 'Pending', text: 'The zeppelin hangar opens at dawn.' });
    expect(pending.document.status).toBe('uploading');
    for (const mode of ['keyword', 'vector', 'hybrid']) {
      expect((await search(tenant, { q: 'zeppelin hangar', mode })).hits, mode).toEqual([]);
    }
  });

  it('asks D1 nothing: the keyword index object loads every candidate, whatever the tenant holds', async () => {
    const tenant = await createTenant();
    const words = ['harbour', 'ledger', 'orchid', 'quartz', 'saddle', 'tundra', 'violet', 'walnut'];
    const text = Array.from(
      { length: 3500 },
      (_, i) => `Note ${i} about ${words[i % 8]} and ${words[(i * 3) % 8]} near ${words[(i * 5 + 1) % 8]}.`,
    ).join(' ');
    const doc = await addText(tenant, { title: 'Many chunks', text });
    expect(doc.chunk_count).toBeGreaterThan(150);
    // D1 with every statement prepared on it recorded.
    const statements: string[] = [];
    const counted = new Proxy(env.DB, {
      get(target, key) {
        if (key === 'prepare') {
          return (query: string) => {
            statements.push(query);
            return target.prepare(query);
          };
        }
        const value = Reflect.get(target, key);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const ports = { ...kbPorts(env), db: createDb(counted) };
    for (const mode of ['keyword', 'vector', 'hybrid'] as const) {
      const { hits } = await searchKb(ports, kbOrgScope(tenant.orgId), { query: 'orchid quartz', top_k: 5, mode });
      expect(hits.length, mode).toBe(5);
      expect(
        hits.every((h) => h.title === 'Many chunks' && h.text.includes('orchid')),
        mode,
      ).toBe(true);
    }
    expect(statements).toEqual([]);
    // The same hits as the route shows.
    const routed = await search(tenant, { q: 'orchid quartz', mode: 'hybrid' });
    const direct = await searchKb(ports, kbOrgScope(tenant.orgId), {
      query: 'orchid quartz',
      top_k: 5,
      mode: 'hybrid',
    });
    expect(routed.hits.map((h) => [h.chunk_id, h.score])).toEqual(direct.hits.map((h) => [h.chunk_id, h.score]));
  });

  it('validates the query and needs kb:read', async () => {
    const tenant = await createTenant();
    const bad = [
      '',
      'q=',
      'q=x&top_k=0',
      'q=x&top_k=21',
      'q=x&mode=fuzzy',
      'q=x&colour=blue',
      'q=x&document_ids=doc_1',
      `q=${'x'.repeat(2001)}`,
    ];
    for (const query of bad) {
      expectError(await tenant.as('GET', `${KB}/search?${query}`), 400, 'VALIDATION_ERROR');
    }
    expectError(await call('GET', `${KB}/search?q=x`), 401, 'UNAUTHENTICATED');
    const viewer = await addMember(tenant, 'viewer');
    expect(expectOk(await call('GET', `${KB}/search?q=x`, { token: viewer.accessToken })).body.data.hits).toEqual([]);
    const key = expectOk(
      await tenant.as('POST', '/api/v1/api-keys', { body: { name: 'no kb', scopes: ['documents:read'] } }),
      201,
    ).body.data.key;
    expectError(await call('GET', `${KB}/search?q=x`, { token: key }), 403, 'INSUFFICIENT_SCOPE');
  });
});
