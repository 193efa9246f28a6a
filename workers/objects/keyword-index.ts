import { DurableObject } from 'cloudflare:workers';
import type {
  KbKeywordDocument,
  KbKeywordFilter,
  KbKeywordHit,
  KbKeywordIndexRpc,
  KbKeywordQuery,
  KbKeywordRow,
  KbKeywordSearch,
  KbKeywordStats,
  KbKeywordWrite,
} from '@flowspark/kb';
import type { Env } from '../env';
import { readSettings } from './settings';

/**
 * The knowledge base's keyword index of one tenant: an FTS5 table in this object's SQLite storage.
 *
 * One object per organization (`idFromName(orgId)`), so a MATCH reads only the tenant's postings and
 * bm25's statistics (row count, average length, document frequencies) come from the tenant's own
 * chunks: neither the cost nor the scores of a search depend on other tenants. D1 holds the chunks
 * (the source of truth); this index is kept in step by ingestion, re-indexing and deletion, and a
 * fresh object is filled from D1 once (the backfill) before it answers its first search.
 *
 * Tables: `docs` (each document's tags and category, for filters inside the query), `chunks` (chunk id
 * and document per FTS rowid, indexed by document so a document's rows are found without a scan),
 * `fts` (the FTS5 text, rowid = chunks.rowid), `touched` (documents written or removed while the
 * backfill had not finished: the backfill leaves them alone, the live write is newer).
 */
const SCHEMA = [
  'CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)',
  'CREATE TABLE IF NOT EXISTS docs (id TEXT PRIMARY KEY, tags TEXT NOT NULL, category TEXT)',
  'CREATE TABLE IF NOT EXISTS chunks (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, document_id TEXT NOT NULL)',
  'CREATE INDEX IF NOT EXISTS chunks_document ON chunks (document_id)',
  "CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(search_text, tokenize = 'unicode61 remove_diacritics 2')",
  'CREATE TABLE IF NOT EXISTS touched (id TEXT PRIMARY KEY)',
];

type Binding = string | number | null;

/** The filter as SQL on `d` (docs) and its bindings; null when there is none. */
const filterSql = (filter: KbKeywordFilter | undefined): { where: string; args: Binding[] } | null => {
  const parts: string[] = [];
  const args: Binding[] = [];
  if (filter?.category !== undefined) {
    parts.push('d.category = ?');
    args.push(filter.category);
  }
  if (filter?.document_ids?.length) {
    parts.push('d.id IN (SELECT value FROM json_each(?))');
    args.push(JSON.stringify(filter.document_ids));
  }
  if (filter?.tags?.length) {
    parts.push('EXISTS (SELECT 1 FROM json_each(d.tags) AS t WHERE t.value IN (SELECT value FROM json_each(?)))');
    args.push(JSON.stringify(filter.tags));
  }
  return parts.length ? { where: parts.join(' AND '), args } : null;
};

export class KeywordIndex extends DurableObject<Env> implements KbKeywordIndexRpc {
  private readonly sql: SqlStorage;
  private namespace: string | null;
  private ready: boolean;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    for (const statement of SCHEMA) this.sql.exec(statement);
    const settings = readSettings(this.sql);
    this.namespace = settings.get('namespace') ?? null;
    this.ready = settings.get('ready') === '1';
  }

  /**
   * Writes part of a document's rows (`reset` on the first part drops what it had), with its tags and
   * category. Rows replace rows of the same chunk id, so a repeated write changes nothing. Answers
   * whether the index is ready (backfilled); the caller backfills it otherwise.
   */
  async write(namespace: string, write: KbKeywordWrite): Promise<{ ready: boolean }> {
    this.claim(namespace);
    this.ctx.storage.transactionSync(() => {
      if (write.reset) this.dropDocument(write.document.document_id);
      this.putDocument(write.document);
      this.putRows(write.document.document_id, write.rows);
      if (!this.ready) this.touch(write.document.document_id);
    });
    return { ready: this.ready };
  }

  /** Removes a document's rows. Idempotent. */
  async remove(namespace: string, documentId: string): Promise<{ ready: boolean }> {
    this.claim(namespace);
    this.ctx.storage.transactionSync(() => {
      this.dropDocument(documentId);
      if (!this.ready) this.touch(documentId);
    });
    return { ready: this.ready };
  }

  /**
   * One page of the backfill from D1: documents and rows, skipping documents the live path wrote or
   * removed meanwhile. `done` on the last page makes the index ready. Safe to repeat.
   */
  async backfill(
    namespace: string,
    documents: KbKeywordDocument[],
    rows: KbKeywordRow[],
    done: boolean,
  ): Promise<{ ready: boolean }> {
    this.claim(namespace);
    if (this.ready) return { ready: true };
    this.ctx.storage.transactionSync(() => {
      const touched = new Set(
        this.sql
          .exec<{ id: string }>(
            'SELECT id FROM touched WHERE id IN (SELECT value FROM json_each(?))',
            JSON.stringify(documents.map((d) => d.document_id)),
          )
          .toArray()
          .map((r) => r.id),
      );
      for (const document of documents) if (!touched.has(document.document_id)) this.putDocument(document);
      const byDocument = new Map<string, KbKeywordRow[]>();
      for (const row of rows) {
        if (touched.has(row.document_id)) continue;
        const list = byDocument.get(row.document_id) ?? [];
        list.push(row);
        byDocument.set(row.document_id, list);
      }
      for (const [documentId, list] of byDocument) this.putRows(documentId, list);
      if (done) {
        this.sql.exec('DELETE FROM touched');
        this.setSetting('ready', '1');
      }
    });
    if (done) this.ready = true;
    return { ready: this.ready };
  }

  /**
   * The best `limit` chunks by bm25 (lower is better) for the AND query; for the OR query instead when
   * the AND query finds fewer than `minimum`. With `fill`, AND hits short of `limit` are followed by
   * the best OR hits (hybrid search fuses a full candidate list). Filters are part of the MATCH query,
   * before the LIMIT.
   */
  async search(namespace: string, query: KbKeywordQuery): Promise<KbKeywordSearch> {
    this.check(namespace);
    if (!this.ready) return { ready: false };
    const hits = this.match(query.all, query.filter, query.limit);
    if (hits.length >= query.limit || query.any === query.all) return { ready: true, operator: 'AND', hits };
    if (hits.length >= query.minimum && !query.fill) return { ready: true, operator: 'AND', hits };
    const any = this.match(query.any, query.filter, query.limit);
    if (hits.length < query.minimum) return { ready: true, operator: 'OR', hits: any };
    const seen = new Set(hits.map((h) => h.id));
    const extra = any.filter((h) => !seen.has(h.id)).slice(0, query.limit - hits.length);
    return { ready: true, operator: 'AND', hits: [...hits, ...extra] };
  }

  /** Figures for tests and benchmarks. */
  async stats(): Promise<KbKeywordStats> {
    return {
      namespace: this.namespace,
      ready: this.ready,
      documents: this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM docs').one().n,
      chunks: this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM chunks').one().n,
    };
  }

  /** A document's rows as indexed (for tests). */
  async rows(documentId: string): Promise<KbKeywordRow[]> {
    return this.sql
      .exec<{ chunk_id: string; document_id: string; search_text: string }>(
        `SELECT c.id AS chunk_id, c.document_id, f.search_text FROM chunks AS c JOIN fts AS f ON f.rowid = c.rowid
         WHERE c.document_id = ? ORDER BY c.rowid`,
        documentId,
      )
      .toArray();
  }

  private match(expression: string, filter: KbKeywordFilter | undefined, limit: number): KbKeywordHit[] {
    const filtered = filterSql(filter);
    const restriction = filtered
      ? `AND fts.rowid IN (SELECT c.rowid FROM docs AS d JOIN chunks AS c ON c.document_id = d.id WHERE ${filtered.where})`
      : '';
    return this.sql
      .exec<{ id: string; bm25: number }>(
        `SELECT c.id AS id, m.bm25 AS bm25
         FROM (SELECT fts.rowid AS rowid, bm25(fts) AS bm25 FROM fts WHERE fts MATCH ? ${restriction}
               ORDER BY bm25 LIMIT ?) AS m
         JOIN chunks AS c ON c.rowid = m.rowid
         ORDER BY m.bm25, c.id`,
        expression,
        ...(filtered?.args ?? []),
        limit,
      )
      .toArray()
      .map((r) => ({ id: r.id, bm25: r.bm25 }));
  }

  private putDocument(document: KbKeywordDocument): void {
    this.sql.exec(
      `INSERT INTO docs (id, tags, category) VALUES (?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET tags = excluded.tags, category = excluded.category`,
      document.document_id,
      JSON.stringify(document.tags),
      document.category,
    );
  }

  private putRows(documentId: string, rows: readonly Pick<KbKeywordRow, 'chunk_id' | 'search_text'>[]): void {
    for (const row of rows) {
      const { rowid } = this.sql
        .exec<{ rowid: number }>(
          `INSERT INTO chunks (id, document_id) VALUES (?, ?)
           ON CONFLICT (id) DO UPDATE SET document_id = excluded.document_id RETURNING rowid`,
          row.chunk_id,
          documentId,
        )
        .one();
      this.sql.exec('DELETE FROM fts WHERE rowid = ?', rowid);
      this.sql.exec('INSERT INTO fts (rowid, search_text) VALUES (?, ?)', rowid, row.search_text);
    }
  }

  private dropDocument(documentId: string): void {
    this.sql.exec('DELETE FROM fts WHERE rowid IN (SELECT rowid FROM chunks WHERE document_id = ?)', documentId);
    this.sql.exec('DELETE FROM chunks WHERE document_id = ?', documentId);
    this.sql.exec('DELETE FROM docs WHERE id = ?', documentId);
  }

  private touch(documentId: string): void {
    this.sql.exec('INSERT INTO touched (id) VALUES (?) ON CONFLICT (id) DO NOTHING', documentId);
  }

  /** The first write names this object's tenant; any other name is a routing bug, never served. */
  private claim(namespace: string): void {
    if (this.namespace === null) {
      this.setSetting('namespace', namespace);
      this.namespace = namespace;
    }
    this.check(namespace);
  }

  private check(namespace: string): void {
    if (this.namespace !== null && this.namespace !== namespace) {
      throw new Error('Keyword index object addressed with another organization');
    }
  }

  private setSetting(key: string, value: string): void {
    this.sql.exec(
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      key,
      value,
    );
  }
}
