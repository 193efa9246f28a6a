import { DurableObject } from 'cloudflare:workers';
import { logger } from '@flowspark/core';
import {
  asciiTermCounts,
  encodeTermCounts,
  fts5Idf,
  type KbIndexedChunk,
  type KbKeywordBackfillDocument,
  type KbKeywordChunk,
  type KbKeywordDocument,
  type KbKeywordFilter,
  type KbKeywordHit,
  type KbKeywordIndexRpc,
  type KbKeywordPublish,
  type KbKeywordQuery,
  type KbKeywordRow,
  type KbKeywordSearch,
  type KbKeywordStats,
  type KbKeywordWrite,
  keywordSearchText,
  TermIndex,
} from '@flowspark/kb';
import { ftsExpression, isPrefixTerm } from '@flowspark/rag';
import type { Env } from '../env';
import { readSettings } from './settings';

/**
 * The knowledge base's keyword index of one tenant: an FTS5 table in this object's SQLite storage,
 * ranked in memory.
 *
 * One object per organization (`idFromName(orgId)`), so a MATCH reads only the tenant's postings and
 * bm25's statistics (row count, average length, document frequencies) come from the tenant's own
 * chunks: neither the cost nor the scores of a search depend on other tenants. D1 holds the chunks
 * (the source of truth); this index is kept in step by ingestion, re-indexing and deletion, and a
 * fresh object is filled from D1 once (the backfill) before it answers its first search.
 *
 * Searches rank in memory (TermIndex, packages/kb): each row's terms and length are stored beside it
 * (`chunks.terms`, `chunks.length`, term ids in `terms`), loaded once into posting lists, and bm25 is
 * computed as FTS5 computes it, so the hits and scores are FTS5's. FTS5 ranks instead a query with a
 * term that is not one plain token (a prefix term, or a term FTS5 splits), and any query if the loaded
 * postings ever disagree with FTS5's own row and token counts.
 *
 * A search answers with everything its hits need (text, heading, page, position, title, embedding
 * model), for its own hits and for the vector leg's candidates, so it needs no D1 query. Documents are
 * hidden until their indexing job publishes them (see packages/kb keyword-index.ts).
 *
 * Tables: `docs` (each document's tags and category, for filters; title, embedding model, job and
 * visibility), `chunks` (per FTS rowid: chunk id, document, text, heading, page, position, length in
 * tokens and terms; rowids are never reused (`next_rowid` in settings), so rows load in the order they
 * were added), `fts` (the
 * FTS5 text, rowid = chunks.rowid), `terms` (term ids), `touched` (documents written or removed while
 * the backfill had not finished: the backfill leaves them alone, the live write is newer), and
 * `scratch`, an always-empty FTS5 table through which FTS5 tokenizes text that is not plain ASCII.
 *
 * `format` in settings names this layout; an object of an earlier one drops its index at start and is
 * backfilled from D1 again.
 */
const FORMAT = '2';
const TOKENIZER = "tokenize = 'unicode61 remove_diacritics 2'";
const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS docs (id TEXT PRIMARY KEY, tags TEXT NOT NULL, category TEXT, title TEXT NOT NULL,
     embedding_model TEXT, job_id TEXT, visible INTEGER NOT NULL DEFAULT 0)`,
  `CREATE TABLE IF NOT EXISTS chunks (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
     document_id TEXT NOT NULL, chunk_index INTEGER NOT NULL, page_number INTEGER, heading TEXT, text TEXT NOT NULL,
     length INTEGER NOT NULL, terms BLOB NOT NULL)`,
  'CREATE INDEX IF NOT EXISTS chunks_document ON chunks (document_id)',
  `CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(search_text, ${TOKENIZER})`,
  'CREATE TABLE IF NOT EXISTS terms (id INTEGER PRIMARY KEY, term TEXT NOT NULL UNIQUE)',
  'CREATE TABLE IF NOT EXISTS touched (id TEXT PRIMARY KEY)',
  `CREATE VIRTUAL TABLE IF NOT EXISTS scratch USING fts5(search_text, content = '', ${TOKENIZER})`,
  "CREATE VIRTUAL TABLE IF NOT EXISTS scratch_terms USING fts5vocab(scratch, 'instance')",
];
/** Every table of this and earlier layouts, dropped when the layout changes (all are derived from D1). */
const DERIVED_TABLES = ['scratch_terms', 'scratch', 'fts', 'chunks', 'docs', 'terms', 'touched'];

/** Rows read per statement while loading, so no single result holds the whole table. */
const LOAD_PAGE = 2048;
/**
 * Most bytes the postings may hold in memory by default (20,000 chunks of about 900 characters of the
 * bench's prose take 2.6 MB); a larger index is ranked by FTS5, so an object stays well inside its
 * isolate's 128 MB. KB_KEYWORD_MEMORY_BYTES sets another bound.
 */
export const MAX_MEMORY_BYTES = 64 * 1024 * 1024;
/** FTS5 keeps at most this many bytes of a token; a longer one is left to FTS5 to tokenize. */
const MAX_TOKEN_BYTES = 32768;

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

/**
 * FTS5 ranking a MATCH expression: the best `limit` chunks of visible documents passing the filter,
 * by bm25 (lower is better), then chunk id. Filters are part of the MATCH query, before the LIMIT.
 */
export const fts5Match = (
  sql: SqlStorage,
  expression: string,
  filter: KbKeywordFilter | undefined,
  limit: number,
): KbKeywordHit[] => {
  const filtered = filterSql(filter);
  const where = filtered ? `d.visible = 1 AND ${filtered.where}` : 'd.visible = 1';
  return sql
    .exec<{ id: string; bm25: number }>(
      `SELECT c.id AS id, m.bm25 AS bm25
       FROM (SELECT fts.rowid AS rowid, bm25(fts) AS bm25 FROM fts WHERE fts MATCH ?
               AND fts.rowid IN (SELECT c.rowid FROM docs AS d JOIN chunks AS c ON c.document_id = d.id WHERE ${where})
             ORDER BY bm25 LIMIT ?) AS m
       JOIN chunks AS c ON c.rowid = m.rowid
       ORDER BY m.bm25, c.id`,
      expression,
      ...(filtered?.args ?? []),
      limit,
    )
    .toArray()
    .map((r) => ({ id: r.id, bm25: r.bm25 }));
};

/** SQLite's order of TEXT (BINARY collation: UTF-8 bytes, which is code point order). */
const compareText = (a: string, b: string): number => {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
};

/** The one token of a term's counts (a token FTS5 keeps whole, once), or null. */
const singleToken = (counts: Map<string, number>): string | null => {
  if (counts.size !== 1) return null;
  const [[token, n]] = [...counts];
  return n === 1 && token!.length <= MAX_TOKEN_BYTES ? token! : null;
};

const byScoreThenId = (a: KbKeywordHit, b: KbKeywordHit) => a.bm25 - b.bm25 || compareText(a.id, b.id);

/** FTS5's row count and token total, from its averages record (rowid 1 of `fts_data`: two varints). */
const fts5Totals = (sql: SqlStorage): { rows: number; tokens: number } => {
  const record = sql.exec<{ block: ArrayBuffer }>('SELECT block FROM fts_data WHERE id = 1').toArray()[0];
  if (!record) return { rows: 0, tokens: 0 };
  const bytes = new Uint8Array(record.block);
  let i = 0;
  const varint = () => {
    // SQLite varints: 7 bits a byte, big-endian, a ninth byte of 8 bits.
    let value = 0;
    for (let n = 0; n < 9 && i < bytes.length; n++) {
      const byte = bytes[i++]!;
      if (n === 8) return value * 256 + byte;
      value = value * 128 + (byte & 0x7f);
      if (byte < 0x80) return value;
    }
    return value;
  };
  return { rows: varint(), tokens: varint() };
};

export class KeywordIndex extends DurableObject<Env> implements KbKeywordIndexRpc {
  private readonly sql: SqlStorage;
  private namespace: string | null;
  private ready: boolean;
  /** Term ids by term, read from `terms` on first use. */
  private termIds: Map<string, number> | null = null;
  /** The loaded postings; null until the first search, or after too many removals. */
  private memory: TermIndex | null = null;
  /** False once the postings disagreed with FTS5's counts: FTS5 ranks every query then. */
  private rankInMemory = true;
  /** The rowid of the next row written: rowids only grow, so rows load in the order they came. */
  private nextRowid: number;
  /** Most bytes the loaded postings may hold. */
  private readonly memoryBudget: number;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec('CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    let settings = readSettings(this.sql);
    if (settings.get('format') !== FORMAT) {
      ctx.storage.transactionSync(() => {
        for (const table of DERIVED_TABLES) this.sql.exec(`DROP TABLE IF EXISTS ${table}`);
        this.sql.exec("DELETE FROM settings WHERE key = 'ready'");
        this.setSetting('format', FORMAT);
      });
      settings = readSettings(this.sql);
    }
    for (const statement of SCHEMA) this.sql.exec(statement);
    this.namespace = settings.get('namespace') ?? null;
    this.ready = settings.get('ready') === '1';
    const last = this.sql.exec<{ n: number }>('SELECT coalesce(max(rowid), 0) AS n FROM chunks').one().n;
    this.nextRowid = Math.max(Number(settings.get('next_rowid') ?? 1), last + 1);
    const budget = Number(env.KB_KEYWORD_MEMORY_BYTES);
    this.memoryBudget = Number.isFinite(budget) && budget > 0 ? budget : MAX_MEMORY_BYTES;
  }

  /**
   * Writes part of a document's rows, with its tags, category and title. `reset` (a job's first part)
   * drops what the document had and hides it under the job until the job publishes it. Rows replace
   * rows of the same chunk id, so a repeated write changes nothing. Answers whether the index is ready
   * (backfilled); the caller backfills it otherwise.
   */
  async write(namespace: string, write: KbKeywordWrite): Promise<{ ready: boolean }> {
    this.claim(namespace);
    const id = write.document.document_id;
    this.transact(() => {
      if (write.reset) this.dropDocument(id);
      this.putDocument(write.document, write.reset ? { visible: false, embedding_model: null } : null);
      this.putRows(id, write.rows);
      if (!this.ready) this.touch(id);
    });
    return { ready: this.ready };
  }

  /**
   * Shows a document its job wrote. Nothing else changes (the document is not marked as touched): a
   * document the object does not hold is left to the backfill, which reads it from D1.
   */
  async publish(namespace: string, publish: KbKeywordPublish): Promise<{ ready: boolean; published: boolean }> {
    this.claim(namespace);
    const published =
      this.sql
        .exec<{ id: string }>(
          'UPDATE docs SET visible = 1, embedding_model = ? WHERE id = ? AND job_id IS ? RETURNING id',
          publish.embedding_model,
          publish.document_id,
          publish.job_id,
        )
        .toArray().length > 0;
    if (published) this.memory?.setVisible(publish.document_id, true);
    return { ready: this.ready, published };
  }

  async hide(namespace: string, documentId: string, jobId: string): Promise<{ ready: boolean }> {
    this.claim(namespace);
    this.transact(() => {
      this.sql.exec('UPDATE docs SET visible = 0, job_id = ? WHERE id = ?', jobId, documentId);
      if (!this.ready) this.touch(documentId);
    });
    this.memory?.setVisible(documentId, false);
    return { ready: this.ready };
  }

  /** Removes a document's rows. Idempotent. */
  async remove(namespace: string, documentId: string): Promise<{ ready: boolean }> {
    this.claim(namespace);
    this.transact(() => {
      this.dropDocument(documentId);
      if (!this.ready) this.touch(documentId);
    });
    return { ready: this.ready };
  }

  /**
   * One page of the backfill from D1: documents (indexed there, so visible) and rows, skipping
   * documents the live path wrote or removed meanwhile. `done` on the last page makes the index ready.
   * Safe to repeat.
   */
  async backfill(
    namespace: string,
    documents: KbKeywordBackfillDocument[],
    rows: KbKeywordRow[],
    done: boolean,
  ): Promise<{ ready: boolean }> {
    this.claim(namespace);
    if (this.ready) return { ready: true };
    this.transact(() => {
      const touched = new Set(
        this.sql
          .exec<{ id: string }>(
            'SELECT id FROM touched WHERE id IN (SELECT value FROM json_each(?))',
            JSON.stringify(documents.map((d) => d.document_id)),
          )
          .toArray()
          .map((r) => r.id),
      );
      for (const document of documents) {
        if (touched.has(document.document_id)) continue;
        this.putDocument(document, { visible: true, embedding_model: document.embedding_model });
      }
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
   * The best `limit` chunks by bm25 (lower is better) for the terms AND-ed; OR-ed instead when AND
   * finds fewer than `minimum`. With `fill`, AND hits short of `limit` are followed by the best OR hits
   * (hybrid search fuses a full candidate list). Only visible documents passing the filter count, before
   * the LIMIT. Answers with the hits' chunks and those of `include` that may be shown.
   */
  async search(namespace: string, query: KbKeywordQuery): Promise<KbKeywordSearch> {
    this.check(namespace);
    if (!this.ready) return { ready: false };
    const { operator, hits } = this.keywordHits(query);
    const wanted = new Set(hits.map((h) => h.id));
    const extra = (query.include ?? []).filter((id) => !wanted.has(id));
    return { ready: true, operator, hits, chunks: [...this.chunks([...wanted], null), ...this.chunks(extra, query)] };
  }

  /**
   * The best `limit` visible chunks passing the filter for the terms, all of them (AND) or any (OR), by
   * bm25 then chunk id, and which ranking gave them: the in-memory postings, or FTS5 (for tests).
   */
  async rank(
    namespace: string,
    terms: string[],
    operator: 'AND' | 'OR',
    filter: KbKeywordFilter | undefined,
    limit: number,
  ): Promise<{ by: 'memory' | 'fts5'; hits: KbKeywordHit[] }> {
    this.check(namespace);
    return this.rankTerms(terms, operator, filter, limit);
  }

  /** Figures for tests and benchmarks. */
  async stats(): Promise<KbKeywordStats> {
    return {
      namespace: this.namespace,
      ready: this.ready,
      documents: this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM docs').one().n,
      chunks: this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM chunks').one().n,
      in_memory: this.memory !== null && this.rankInMemory,
      memory_bytes: this.memory?.bytes ?? 0,
    };
  }

  /** A document's rows as indexed (for tests). */
  async rows(documentId: string): Promise<(KbKeywordRow & { search_text: string })[]> {
    return this.sql
      .exec<KbKeywordRow & { search_text: string } & Record<string, SqlStorageValue>>(
        `SELECT c.id AS chunk_id, c.document_id, c.chunk_index, c.text, c.heading, c.page_number, f.search_text
         FROM chunks AS c JOIN fts AS f ON f.rowid = c.rowid
         WHERE c.document_id = ? ORDER BY c.rowid`,
        documentId,
      )
      .toArray();
  }

  private keywordHits(query: KbKeywordQuery): { operator: 'AND' | 'OR'; hits: KbKeywordHit[] } {
    const { terms, filter, limit, minimum } = query;
    if (terms.length === 0) return { operator: 'AND', hits: [] };
    const hits = this.rankTerms(terms, 'AND', filter, limit).hits;
    if (hits.length >= limit || terms.length === 1) return { operator: 'AND', hits };
    if (hits.length >= minimum && !query.fill) return { operator: 'AND', hits };
    const any = this.rankTerms(terms, 'OR', filter, limit).hits;
    if (hits.length < minimum) return { operator: 'OR', hits: any };
    const seen = new Set(hits.map((h) => h.id));
    const extra = any.filter((h) => !seen.has(h.id)).slice(0, limit - hits.length);
    return { operator: 'AND', hits: [...hits, ...extra] };
  }

  private rankTerms(
    terms: string[],
    operator: 'AND' | 'OR',
    filter: KbKeywordFilter | undefined,
    limit: number,
  ): { by: 'memory' | 'fts5'; hits: KbKeywordHit[] } {
    const phrases = this.phrases(terms);
    const index = phrases ? this.loaded() : null;
    if (!phrases || !index) {
      const expression = ftsExpression(terms, operator);
      return { by: 'fts5', hits: expression ? fts5Match(this.sql, expression, filter, limit) : [] };
    }
    const ranked = index.search(phrases, operator, limit, filter, fts5Idf(this.ln));
    if (ranked.length === 0) return { by: 'memory', hits: [] };
    const ids = new Map(
      this.sql
        .exec<{ rowid: number; id: string }>(
          'SELECT c.rowid AS rowid, c.id AS id FROM json_each(?) AS r CROSS JOIN chunks AS c ON c.rowid = r.value',
          JSON.stringify(ranked.map((r) => r.rowid)),
        )
        .toArray()
        .map((r) => [r.rowid, r.id]),
    );
    // FTS5's outer ORDER BY: equal scores by chunk id.
    return { by: 'memory', hits: ranked.map((r) => ({ id: ids.get(r.rowid)!, bm25: r.bm25 })).sort(byScoreThenId) };
  }

  /**
   * ln as SQLite computes it: FTS5's bm25 takes its logarithm from the same C library. (JavaScript's
   * Math.log if SQLite has no ln.)
   */
  private readonly ln = (x: number): number => {
    if (this.sqlLn) {
      try {
        return this.sql.exec<{ v: number }>('SELECT ln(?) AS v', x).one().v;
      } catch {
        this.sqlLn = false;
      }
    }
    return Math.log(x);
  };
  private sqlLn = true;

  /**
   * The query's terms as term ids (null for a token the index has never seen), one per term in order;
   * null when a term is not exactly one plain token (a prefix term, or one FTS5 splits or drops): FTS5
   * ranks such a query itself. ASCII terms are tokenized here, any other by FTS5.
   */
  private phrases(terms: readonly string[]): (number | null)[] | null {
    if (terms.some(isPrefixTerm)) return null;
    const tokens: string[] = [];
    const byFts5: number[] = [];
    for (const [i, term] of terms.entries()) {
      const counts = asciiTermCounts(term);
      if (counts === null) {
        byFts5.push(i);
        continue;
      }
      const token = singleToken(counts);
      if (token === null) return null;
      tokens[i] = token;
    }
    if (byFts5.length > 0) {
      const tokenized = this.transact(() => this.fts5Tokens(byFts5.map((i) => terms[i]!)));
      for (const [n, i] of byFts5.entries()) {
        const token = singleToken(tokenized[n]!);
        if (token === null) return null;
        tokens[i] = token;
      }
    }
    const ids = this.dictionary();
    return tokens.map((t) => ids.get(t) ?? null);
  }

  /** The postings in memory, loaded on first use; null when FTS5 must rank instead. */
  private loaded(): TermIndex | null {
    if (!this.rankInMemory) return null;
    if (this.memory) return this.memory;
    const index = new TermIndex();
    for (const d of this.sql
      .exec<{ id: string; tags: string; category: string | null; visible: number }>(
        'SELECT id, tags, category, visible FROM docs',
      )
      .toArray()) {
      index.setDocument(d.id, { visible: d.visible === 1, tags: JSON.parse(d.tags) as string[], category: d.category });
    }
    let after = 0;
    for (;;) {
      const rows = this.sql
        .exec<{ rowid: number; document_id: string; length: number; terms: ArrayBuffer }>(
          'SELECT rowid, document_id, length, terms FROM chunks WHERE rowid > ? ORDER BY rowid LIMIT ?',
          after,
          LOAD_PAGE,
        )
        .toArray();
      for (const row of rows) index.addRow(row.rowid, row.document_id, row.length, new Uint8Array(row.terms));
      if (index.bytes > this.memoryBudget) return this.tooLarge(index);
      if (rows.length < LOAD_PAGE) break;
      after = rows[rows.length - 1]!.rowid;
    }
    // The postings must count what FTS5 counts, or their scores would not be FTS5's.
    const fts5 = fts5Totals(this.sql);
    if (fts5.rows !== index.rows || fts5.tokens !== index.tokens) {
      logger.warn('keyword index postings disagree with FTS5; FTS5 ranks this index', {
        namespace: this.namespace,
        rows: index.rows,
        fts5_rows: fts5.rows,
        tokens: index.tokens,
        fts5_tokens: fts5.tokens,
      });
      this.rankInMemory = false;
      return null;
    }
    this.memory = index;
    return index;
  }

  /**
   * Chunks by id with their document's title and embedding model: all of `ids` when `query` is null
   * (the hits, already visible and filtered), else those of visible documents passing its filter.
   */
  private chunks(ids: readonly string[], query: KbKeywordQuery | null): KbIndexedChunk[] {
    if (ids.length === 0) return [];
    const filtered = query ? filterSql(query.filter) : null;
    const conditions = query ? ['d.visible = 1', ...(filtered ? [filtered.where] : [])] : [];
    return this.sql
      .exec<KbIndexedChunk & Record<string, SqlStorageValue>>(
        `SELECT c.id, c.document_id, c.chunk_index, c.text, c.heading, c.page_number, d.title, d.embedding_model
         FROM json_each(?) AS wanted CROSS JOIN chunks AS c ON c.id = wanted.value JOIN docs AS d ON d.id = c.document_id
         ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}`,
        JSON.stringify(ids),
        ...(filtered?.args ?? []),
      )
      .toArray()
      .map((r) => ({
        id: r.id,
        document_id: r.document_id,
        chunk_index: r.chunk_index,
        text: r.text,
        heading: r.heading,
        page_number: r.page_number,
        title: r.title,
        embedding_model: r.embedding_model,
      }));
  }

  /**
   * Writes the document's tags, category and title; with `state`, also its visibility and embedding
   * model (and its job, from `document`). Without, a new document starts hidden.
   */
  private putDocument(
    document: KbKeywordDocument,
    state: { visible: boolean; embedding_model: string | null } | null,
  ): void {
    const tags = JSON.stringify(document.tags);
    if (state) {
      this.sql.exec(
        `INSERT INTO docs (id, tags, category, title, embedding_model, job_id, visible) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET tags = excluded.tags, category = excluded.category, title = excluded.title,
           embedding_model = excluded.embedding_model, job_id = excluded.job_id, visible = excluded.visible`,
        document.document_id,
        tags,
        document.category,
        document.title,
        state.embedding_model,
        document.job_id,
        state.visible ? 1 : 0,
      );
    } else {
      this.sql.exec(
        `INSERT INTO docs (id, tags, category, title, job_id, visible) VALUES (?, ?, ?, ?, ?, 0)
         ON CONFLICT (id) DO UPDATE SET tags = excluded.tags, category = excluded.category, title = excluded.title`,
        document.document_id,
        tags,
        document.category,
        document.title,
        document.job_id,
      );
    }
    if (this.memory) {
      const visible = this.sql
        .exec<{ visible: number }>('SELECT visible FROM docs WHERE id = ?', document.document_id)
        .one().visible;
      this.memory.setDocument(document.document_id, {
        visible: visible === 1,
        tags: document.tags,
        category: document.category,
      });
    }
  }

  /**
   * Writes rows of a document: each with a new rowid (a row of the same chunk id is removed first),
   * its terms and length, its FTS5 text, and into the loaded postings.
   */
  private putRows(documentId: string, rows: readonly KbKeywordChunk[]): void {
    if (rows.length === 0) return;
    const texts = rows.map(keywordSearchText);
    const counts: (Map<string, number> | null)[] = texts.map((text) => {
      const ascii = asciiTermCounts(text);
      return ascii && [...ascii.keys()].every((t) => t.length <= MAX_TOKEN_BYTES) ? ascii : null;
    });
    const others = texts.filter((_, i) => counts[i] === null);
    if (others.length > 0) {
      const tokenized = this.fts5Tokens(others);
      let next = 0;
      for (let i = 0; i < counts.length; i++) if (counts[i] === null) counts[i] = tokenized[next++]!;
    }
    rows.forEach((row, i) => {
      const terms = counts[i]!;
      const blob = encodeTermCounts([...terms].map(([term, n]) => [this.termId(term), n] as const));
      let length = 0;
      for (const n of terms.values()) length += n;
      const insert = (rowid: number) =>
        this.sql
          .exec(
            `INSERT INTO chunks (rowid, id, document_id, chunk_index, page_number, heading, text, length, terms)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING rowid`,
            rowid,
            row.chunk_id,
            documentId,
            row.chunk_index,
            row.page_number,
            row.heading,
            row.text,
            length,
            blob.buffer as ArrayBuffer,
          )
          .toArray().length > 0;
      const rowid = this.nextRowid++;
      if (!insert(rowid)) {
        // A row of this chunk id already: it goes, and this one takes a new rowid.
        const old = this.sql
          .exec<{ rowid: number; terms: ArrayBuffer }>(
            'DELETE FROM chunks WHERE id = ? RETURNING rowid, terms',
            row.chunk_id,
          )
          .one();
        this.sql.exec('DELETE FROM fts WHERE rowid = ?', old.rowid);
        this.memory?.removeRow(old.rowid, new Uint8Array(old.terms));
        insert(rowid);
      }
      this.sql.exec('INSERT INTO fts (rowid, search_text) VALUES (?, ?)', rowid, texts[i]!);
      this.memory?.addRow(rowid, documentId, length, blob);
    });
    this.setSetting('next_rowid', String(this.nextRowid));
    this.compactIfNeeded();
  }

  private dropDocument(documentId: string): void {
    const removed = this.sql
      .exec<{ rowid: number; terms: ArrayBuffer }>(
        'DELETE FROM chunks WHERE document_id = ? RETURNING rowid, terms',
        documentId,
      )
      .toArray();
    for (const row of removed) {
      this.sql.exec('DELETE FROM fts WHERE rowid = ?', row.rowid);
      this.memory?.removeRow(row.rowid, new Uint8Array(row.terms));
    }
    this.sql.exec('DELETE FROM docs WHERE id = ?', documentId);
    this.memory?.setVisible(documentId, false);
    this.compactIfNeeded();
  }

  /**
   * Drops the loaded postings once removed rows outnumber the rest (the next search loads them afresh),
   * or once they outgrow the memory budget.
   */
  private compactIfNeeded(): void {
    if (!this.memory) return;
    if (this.memory.bytes > this.memoryBudget) this.tooLarge(this.memory);
    else if (this.memory.holes > Math.max(1024, this.memory.rows)) this.memory = null;
  }

  /** FTS5 ranks this object's searches from now on: its postings would not fit in memory. */
  private tooLarge(index: TermIndex): null {
    logger.warn('keyword index too large to rank in memory; FTS5 ranks it', {
      namespace: this.namespace,
      rows: index.rows,
      bytes: index.bytes,
    });
    this.memory = null;
    this.rankInMemory = false;
    return null;
  }

  /**
   * FTS5's tokens of each text, with their counts: the texts go into the contentless `scratch` table
   * (same tokenizer as `fts`), its vocabulary lists their tokens, and the table is emptied again.
   * Runs inside the caller's transaction.
   */
  private fts5Tokens(texts: readonly string[]): Map<string, number>[] {
    texts.forEach((text, i) => {
      this.sql.exec('INSERT INTO scratch (rowid, search_text) VALUES (?, ?)', i + 1, text);
    });
    const out = texts.map(() => new Map<string, number>());
    for (const r of this.sql.exec<{ doc: number; term: string; n: number }>(
      'SELECT doc, term, COUNT(*) AS n FROM scratch_terms GROUP BY doc, term',
    )) {
      out[r.doc - 1]!.set(r.term, r.n);
    }
    this.sql.exec("INSERT INTO scratch (scratch) VALUES ('delete-all')");
    return out;
  }

  private dictionary(): Map<string, number> {
    if (!this.termIds) {
      this.termIds = new Map(
        this.sql
          .exec<{ id: number; term: string }>('SELECT id, term FROM terms')
          .toArray()
          .map((r) => [r.term, r.id]),
      );
    }
    return this.termIds;
  }

  private termId(term: string): number {
    const ids = this.dictionary();
    let id = ids.get(term);
    if (id === undefined) {
      id = this.sql.exec<{ id: number }>('INSERT INTO terms (term) VALUES (?) RETURNING id', term).one().id;
      ids.set(term, id);
    }
    return id;
  }

  /**
   * A storage transaction. Should it fail (and roll back), the loaded postings and term ids may hold
   * what it wrote: they are dropped, to be read again from storage.
   */
  private transact<T>(fn: () => T): T {
    try {
      return this.ctx.storage.transactionSync(fn);
    } catch (err) {
      this.memory = null;
      this.termIds = null;
      throw err;
    }
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
