/**
 * The keyword index port: one FTS5 index per scope, the organization's knowledge base or one bot's
 * documents (the KeywordIndex Durable Object in workers/objects, named by `kbIndexName`), so a keyword
 * search reads its own scope's postings only and its bm25 scores come from that corpus alone. D1's kb_chunks stay the source of truth: ingestion writes the index after the
 * chunk rows, deletion removes it before them, and an index that has never been filled (a tenant from
 * before per-tenant indexes, or a new one) is backfilled from D1 on its first search or write.
 *
 * The index also keeps what a search answers with (each chunk's text, heading, page and position, each
 * document's title and embedding model) and which documents search may show: a search is one call to
 * the object, with no D1 query. Visibility follows D1's document status through the indexing job's id:
 * a job's first write hides the document (D1 has it `processing`), the job publishes it once D1 has it
 * `indexed`, a re-index hides it again under the new job's id, and a publish by any other job than the
 * document's current one changes nothing. A failed or deleted document's rows are removed.
 *
 * Why a Durable Object and not per-tenant tables in D1: D1 is one database with one size limit for
 * all tenants, and a table per tenant needs dynamic DDL and SQL naming; an object per tenant scales
 * with the number of tenants (each with its own storage, placed near its traffic) and keeps the same
 * FTS5 engine (SQLite) as D1.
 */
import type { Database } from '@flowspark/db';
import { sql } from 'drizzle-orm';
import { type KbScope, kbIndexName } from './documents';

export interface KbKeywordDocument {
  document_id: string;
  tags: string[];
  category: string | null;
  title: string;
  /** The indexing job writing the rows (kb_documents.job_id): the one that may publish them. */
  job_id: string | null;
}

/** A chunk as the index keeps it: its search text is made from `text` and `heading` (keywordSearchText). */
export interface KbKeywordChunk {
  chunk_id: string;
  chunk_index: number;
  text: string;
  heading: string | null;
  page_number: number | null;
}

export interface KbKeywordRow extends KbKeywordChunk {
  document_id: string;
}

export interface KbKeywordWrite {
  document: KbKeywordDocument;
  rows: KbKeywordChunk[];
  /** Drop the document's existing rows first and hide it until published (the first part of a job's rows). */
  reset: boolean;
}

/** A document of the backfill: indexed in D1, so visible at once. */
export interface KbKeywordBackfillDocument extends KbKeywordDocument {
  embedding_model: string | null;
}

export interface KbKeywordPublish {
  document_id: string;
  job_id: string;
  embedding_model: string | null;
}

export interface KbKeywordFilter {
  tags?: string[];
  category?: string;
  document_ids?: string[];
}

export interface KbKeywordQuery {
  /** The query's terms (queryTerms); none when only `include` is wanted (vector search). */
  terms: string[];
  /** The OR query answers instead when the AND query finds fewer than `minimum` chunks. */
  minimum: number;
  limit: number;
  /** AND hits (at least `minimum`) short of `limit` are followed by the best other OR hits. */
  fill?: boolean;
  filter?: KbKeywordFilter;
  /** Chunks to load besides the hits (the vector candidates): those visible and passing the filter. */
  include?: string[];
}

export interface KbKeywordHit {
  id: string;
  /** FTS5 bm25: lower is better. */
  bm25: number;
}

/** A chunk a search may show, with what the hit needs of it and of its document. */
export interface KbIndexedChunk {
  id: string;
  document_id: string;
  chunk_index: number;
  text: string;
  heading: string | null;
  page_number: number | null;
  title: string;
  embedding_model: string | null;
}

export type KbKeywordSearch =
  | { ready: false }
  | {
      ready: true;
      operator: 'AND' | 'OR';
      /** Best first; only chunks of visible documents passing the filter. */
      hits: KbKeywordHit[];
      /** The hits' chunks and those of `include` that may be shown. */
      chunks: KbIndexedChunk[];
    };

export interface KbKeywordStats {
  namespace: string | null;
  ready: boolean;
  documents: number;
  chunks: number;
  /** Whether searches rank in memory (false before the first search, or when FTS5 ranks them). */
  in_memory: boolean;
  /** What the loaded postings hold (0 when not loaded). */
  memory_bytes: number;
}

/** The RPC surface of a scope's index object; `namespace` is the scope's index name (kbIndexName). */
export interface KbKeywordIndexRpc {
  write(namespace: string, write: KbKeywordWrite): Promise<{ ready: boolean }>;
  /** Shows the document to search if `job_id` is still its job; `published` says whether it was. */
  publish(namespace: string, publish: KbKeywordPublish): Promise<{ ready: boolean; published: boolean }>;
  /** Hides the document from search under a new job (a re-index), until that job publishes it. */
  hide(namespace: string, documentId: string, jobId: string): Promise<{ ready: boolean }>;
  remove(namespace: string, documentId: string): Promise<{ ready: boolean }>;
  backfill(
    namespace: string,
    documents: KbKeywordBackfillDocument[],
    rows: KbKeywordRow[],
    done: boolean,
  ): Promise<{ ready: boolean }>;
  search(namespace: string, query: KbKeywordQuery): Promise<KbKeywordSearch>;
}

/** The port: the index object of a scope, by the scope's index name (kbIndexName). */
export type KbKeywordIndex = (name: string) => KbKeywordIndexRpc;

/** Bound on the chunk text one write call carries (an RPC message stays far below its limit). */
const MAX_WRITE_CHARS = 1024 * 1024;
/** Chunks read from D1 per backfill page. */
const BACKFILL_PAGE = 1000;

/** Consecutive parts of `rows` of at most `limit` characters of text (one row always fits). */
const parts = <T extends { text: string }>(rows: readonly T[], limit: number): T[][] => {
  const out: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const row of rows) {
    if (current.length > 0 && size + row.text.length > limit) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(row);
    size += row.text.length;
  }
  if (current.length > 0 || out.length === 0) out.push(current);
  return out;
};

interface KeywordPorts {
  db: Database;
  keywords: KbKeywordIndex;
}

/**
 * Replaces the document's rows in its scope's keyword index with these chunks, hidden from search
 * until the job publishes them (idempotent: a re-run writes the same ids). Backfills the index first
 * if it was never filled.
 */
export const writeKeywordIndex = async (
  ports: KeywordPorts,
  scope: KbScope,
  document: KbKeywordDocument,
  chunks: readonly { id: string; index: number; text: string; heading: string | null; page_number: number | null }[],
): Promise<void> => {
  const name = kbIndexName(scope);
  const index = ports.keywords(name);
  let ready = true;
  const rows = chunks.map(
    (c): KbKeywordChunk => ({
      chunk_id: c.id,
      chunk_index: c.index,
      text: c.text,
      heading: c.heading,
      page_number: c.page_number,
    }),
  );
  for (const [n, part] of parts(rows, MAX_WRITE_CHARS).entries()) {
    ({ ready } = await index.write(name, { document, rows: part, reset: n === 0 }));
  }
  if (!ready) await backfillKeywordIndex(ports, scope);
};

/**
 * Shows the document's rows to search once D1 has it `indexed` by this job. A document another job
 * owns by now stays as that job leaves it. Backfills the index first if it was never filled.
 */
export const publishInKeywordIndex = async (ports: KeywordPorts, scope: KbScope, publish: KbKeywordPublish) => {
  const name = kbIndexName(scope);
  const { ready } = await ports.keywords(name).publish(name, publish);
  if (!ready) await backfillKeywordIndex(ports, scope);
};

/** Hides the document from search while the job `jobId` re-indexes it. */
export const hideInKeywordIndex = async (ports: KeywordPorts, scope: KbScope, documentId: string, jobId: string) => {
  const name = kbIndexName(scope);
  const { ready } = await ports.keywords(name).hide(name, documentId, jobId);
  if (!ready) await backfillKeywordIndex(ports, scope);
};

/** Removes the document from its scope's keyword index. Idempotent. */
export const removeFromKeywordIndex = async (
  ports: KeywordPorts,
  scope: KbScope,
  documentId: string,
): Promise<void> => {
  const name = kbIndexName(scope);
  const { ready } = await ports.keywords(name).remove(name, documentId);
  if (!ready) await backfillKeywordIndex(ports, scope);
};

interface Slice {
  document_id: string;
  from: number;
  to: number;
}

/**
 * Fills a scope's keyword index from D1: its indexed documents (shown to search at once) and their
 * chunks, read in pages of at most BACKFILL_PAGE chunks (one query each, by document and chunk range
 * on the kb_chunks_doc index). Documents written or removed meanwhile by ingestion or deletion are left
 * to them (the object skips them). Safe to run twice or concurrently.
 */
export const backfillKeywordIndex = async (ports: KeywordPorts, scope: KbScope): Promise<void> => {
  const { orgId, botId } = scope;
  const name = kbIndexName(scope);
  const index = ports.keywords(name);
  const documents = await ports.db.all<{
    id: string;
    tags: string;
    category: string | null;
    title: string;
    job_id: string | null;
    embedding_model: string | null;
    chunk_count: number;
  }>(
    sql`SELECT id, tags, category, title, job_id, embedding_model, chunk_count FROM kb_documents
        WHERE org_id = ${orgId} AND bot_id IS ${botId} AND status = 'indexed' ORDER BY id`,
  );
  const byId = new Map(
    documents.map((d) => [
      d.id,
      {
        document_id: d.id,
        tags: JSON.parse(d.tags) as string[],
        category: d.category,
        title: d.title,
        job_id: d.job_id,
        embedding_model: d.embedding_model,
      } satisfies KbKeywordBackfillDocument,
    ]),
  );
  // Pages of document slices [from, to) of chunk indexes, at most BACKFILL_PAGE chunks each.
  const pages: Slice[][] = [];
  let page: Slice[] = [];
  let size = 0;
  for (const d of documents) {
    for (let from = 0; from < d.chunk_count; ) {
      const take = Math.min(d.chunk_count - from, BACKFILL_PAGE - size);
      page.push({ document_id: d.id, from, to: from + take });
      from += take;
      size += take;
      if (size >= BACKFILL_PAGE) {
        pages.push(page);
        page = [];
        size = 0;
      }
    }
  }
  if (page.length > 0 || pages.length === 0) pages.push(page);

  const read = (slices: Slice[]) =>
    slices.length
      ? ports.db.all<KbKeywordRow>(sql`
          SELECT c.id AS chunk_id, c.document_id, c.chunk_index, c.text, c.heading, c.page_number
          FROM json_each(${JSON.stringify(slices.map((s) => [s.document_id, s.from, s.to]))}) AS s
          JOIN kb_chunks AS c ON c.document_id = json_extract(s.value, '$[0]')
            AND c.chunk_index >= json_extract(s.value, '$[1]') AND c.chunk_index < json_extract(s.value, '$[2]')
          WHERE c.org_id = ${orgId}
          ORDER BY c.document_id, c.chunk_index`)
      : Promise.resolve([]);
  // Each page is read from D1 while the object writes the one before.
  let next = read(pages[0]!);
  for (const [n, slices] of pages.entries()) {
    const rows = await next;
    if (n + 1 < pages.length) next = read(pages[n + 1]!);
    const pageDocuments = [...new Set(slices.map((s) => s.document_id))].map((id) => byId.get(id)!);
    await index.backfill(name, pageDocuments, rows, n === pages.length - 1);
  }
};
