/**
 * The keyword index port: one FTS5 index per organization (the KeywordIndex Durable Object in
 * workers/objects), so a tenant's keyword search reads its own postings only and its bm25 scores come
 * from its own corpus. D1's kb_chunks stay the source of truth: ingestion writes the index after the
 * chunk rows, deletion removes it before them, and an index that has never been filled (a tenant from
 * before per-tenant indexes, or a new one) is backfilled from D1 on its first search or write.
 *
 * Why a Durable Object and not per-tenant tables in D1: D1 is one database with one size limit for
 * all tenants, and a table per tenant needs dynamic DDL and SQL naming; an object per tenant scales
 * with the number of tenants (each with its own storage, placed near its traffic) and keeps the same
 * FTS5 engine (SQLite) as D1.
 */
import type { Database } from '@flowspark/db';
import { ftsText } from '@flowspark/rag';
import { sql } from 'drizzle-orm';
import { embeddingText, type KbChunkInput } from './chunks';

export interface KbKeywordDocument {
  document_id: string;
  tags: string[];
  category: string | null;
}

export interface KbKeywordRow {
  chunk_id: string;
  document_id: string;
  /** The chunk's text prepared for the tokenizer (ftsText). */
  search_text: string;
}

export interface KbKeywordWrite {
  document: KbKeywordDocument;
  rows: Pick<KbKeywordRow, 'chunk_id' | 'search_text'>[];
  /** Drop the document's existing rows first (the first part of a document's rows). */
  reset: boolean;
}

export interface KbKeywordFilter {
  tags?: string[];
  category?: string;
  document_ids?: string[];
}

export interface KbKeywordQuery {
  /** The terms AND-ed (ftsQuery(q, 'AND')). */
  all: string;
  /** The terms OR-ed, used when the AND query finds fewer than `minimum` chunks. */
  any: string;
  minimum: number;
  limit: number;
  /** AND hits (at least `minimum`) short of `limit` are followed by the best other OR hits. */
  fill?: boolean;
  filter?: KbKeywordFilter;
}

export interface KbKeywordHit {
  id: string;
  /** FTS5 bm25: lower is better. */
  bm25: number;
}

export type KbKeywordSearch = { ready: false } | { ready: true; operator: 'AND' | 'OR'; hits: KbKeywordHit[] };

export interface KbKeywordStats {
  namespace: string | null;
  ready: boolean;
  documents: number;
  chunks: number;
}

/** The RPC surface of the per-tenant index object; `namespace` is the organization id. */
export interface KbKeywordIndexRpc {
  write(namespace: string, write: KbKeywordWrite): Promise<{ ready: boolean }>;
  remove(namespace: string, documentId: string): Promise<{ ready: boolean }>;
  backfill(
    namespace: string,
    documents: KbKeywordDocument[],
    rows: KbKeywordRow[],
    done: boolean,
  ): Promise<{ ready: boolean }>;
  search(namespace: string, query: KbKeywordQuery): Promise<KbKeywordSearch>;
}

/** The port: the tenant's index object for an organization. */
export type KbKeywordIndex = (orgId: string) => KbKeywordIndexRpc;

/** Bound on the search text one write call carries (an RPC message stays far below its limit). */
const MAX_WRITE_CHARS = 1024 * 1024;
/** Chunks read from D1 per backfill page. */
const BACKFILL_PAGE = 1000;

/** Consecutive parts of `rows` of at most `limit` characters of search text (one row always fits). */
const parts = <T extends { search_text: string }>(rows: readonly T[], limit: number): T[][] => {
  const out: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const row of rows) {
    if (current.length > 0 && size + row.search_text.length > limit) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(row);
    size += row.search_text.length;
  }
  if (current.length > 0 || out.length === 0) out.push(current);
  return out;
};

interface KeywordPorts {
  db: Database;
  keywords: KbKeywordIndex;
}

/**
 * Replaces the document's rows in the tenant's keyword index with these chunks (idempotent: a re-run
 * writes the same ids). Backfills the index first if it was never filled.
 */
export const writeKeywordIndex = async (
  ports: KeywordPorts,
  orgId: string,
  document: KbKeywordDocument,
  chunks: readonly Pick<KbChunkInput, 'id' | 'search_text'>[],
): Promise<void> => {
  const index = ports.keywords(orgId);
  let ready = true;
  for (const [n, part] of parts(
    chunks.map((c) => ({ chunk_id: c.id, search_text: c.search_text })),
    MAX_WRITE_CHARS,
  ).entries()) {
    ({ ready } = await index.write(orgId, { document, rows: part, reset: n === 0 }));
  }
  if (!ready) await backfillKeywordIndex(ports, orgId);
};

/** Removes the document from the tenant's keyword index. Idempotent. */
export const removeFromKeywordIndex = async (ports: KeywordPorts, orgId: string, documentId: string): Promise<void> => {
  const { ready } = await ports.keywords(orgId).remove(orgId, documentId);
  if (!ready) await backfillKeywordIndex(ports, orgId);
};

interface Slice {
  document_id: string;
  from: number;
  to: number;
}

/**
 * Fills the tenant's keyword index from D1: its indexed documents' chunks, read in pages of at most
 * BACKFILL_PAGE chunks (one query each, by document and chunk range on the kb_chunks_doc index), the
 * search text made as ingestion makes it. Documents written or removed meanwhile by ingestion or
 * deletion are left to them (the object skips them). Safe to run twice or concurrently.
 */
export const backfillKeywordIndex = async (ports: KeywordPorts, orgId: string): Promise<void> => {
  const index = ports.keywords(orgId);
  const documents = await ports.db.all<{ id: string; tags: string; category: string | null; chunk_count: number }>(
    sql`SELECT id, tags, category, chunk_count FROM kb_documents
        WHERE org_id = ${orgId} AND status = 'indexed' ORDER BY id`,
  );
  const byId = new Map(
    documents.map((d) => [
      d.id,
      { document_id: d.id, tags: JSON.parse(d.tags) as string[], category: d.category } satisfies KbKeywordDocument,
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

  for (const [n, slices] of pages.entries()) {
    const rows = slices.length
      ? await ports.db.all<{ id: string; document_id: string; text: string; heading: string | null }>(sql`
          SELECT c.id, c.document_id, c.text, c.heading
          FROM json_each(${JSON.stringify(slices.map((s) => [s.document_id, s.from, s.to]))}) AS s
          JOIN kb_chunks AS c ON c.document_id = json_extract(s.value, '$[0]')
            AND c.chunk_index >= json_extract(s.value, '$[1]') AND c.chunk_index < json_extract(s.value, '$[2]')
          WHERE c.org_id = ${orgId}
          ORDER BY c.document_id, c.chunk_index`)
      : [];
    const pageDocuments = [...new Set(slices.map((s) => s.document_id))].map((id) => byId.get(id)!);
    const keywordRows = rows.map((r) => ({
      chunk_id: r.id,
      document_id: r.document_id,
      search_text: ftsText(embeddingText(r)),
    }));
    await index.backfill(orgId, pageDocuments, keywordRows, n === pages.length - 1);
  }
};
