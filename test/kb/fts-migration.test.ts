import { describe, expect, it } from 'vitest';
import { env } from '../helpers/harness';

describe('knowledge-base keyword index', () => {
  it('is an FTS5 table that ranks with bm25 and folds diacritics', async () => {
    const org = `org_${crypto.randomUUID().replaceAll('-', '')}`;
    await env.DB.batch([
      env.DB.prepare('INSERT INTO kb_chunks_fts (search_text, chunk_id, org_id, document_id) VALUES (?, ?, ?, ?)').bind(
        'Crème brûlée is a dessert from France',
        'chk_1',
        org,
        'kbd_1',
      ),
      env.DB.prepare('INSERT INTO kb_chunks_fts (search_text, chunk_id, org_id, document_id) VALUES (?, ?, ?, ?)').bind(
        'A report about quarterly revenue',
        'chk_2',
        org,
        'kbd_1',
      ),
    ]);
    const rows = await env.DB.prepare(
      'SELECT chunk_id, bm25(kb_chunks_fts) AS score FROM kb_chunks_fts WHERE kb_chunks_fts MATCH ? AND org_id = ? ORDER BY score',
    )
      .bind('creme', org)
      .all<{ chunk_id: string; score: number }>();
    expect(rows.results.map((r) => r.chunk_id)).toEqual(['chk_1']);
  });
});
