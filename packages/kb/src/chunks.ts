/**
 * Chunk rows of knowledge-base documents (`kb_chunks`: text and position), the source of truth of the
 * tenant's keyword index (keyword-index.ts) and of its vectors.
 *
 * Rows travel as one JSON array per statement, expanded by `json_each`, so a statement binds 3–4
 * parameters whatever its row count (D1 allows 100 per statement) and a large document needs a few
 * dozen statements instead of thousands.
 */
import type { Database } from '@flowspark/db';
import { type Chunk, ftsText } from '@flowspark/rag';
import { sql } from 'drizzle-orm';
import { sha256OfBytes } from './hash';

/** A chunk to store: the chunker's chunk with its id. */
export interface KbChunkInput extends Chunk {
  id: string;
}

/** A stored chunk, as `listKbChunks` reads it. */
export interface KbChunkRow extends Omit<Chunk, 'index'> {
  id: string;
  document_id: string;
  chunk_index: number;
}

/**
 * A chunk's id from its document and position: a redelivered or re-run job writes the same ids, so
 * an upsert of its vectors replaces rather than adds. `chk_` + 32 hex digits, like every other id.
 */
export const kbChunkId = async (documentId: string, index: number): Promise<string> =>
  `chk_${(await sha256OfBytes(new TextEncoder().encode(`${documentId}:${index}`))).slice(0, 32)}`;

/** Bound on the JSON text one statement carries (D1 allows 2 MB per value). */
const MAX_STATEMENT_JSON = 512 * 1024;
/** Bound on the JSON text one batch (one round trip, one transaction) carries. */
const MAX_BATCH_JSON = 4 * 1024 * 1024;

/** Groups rows into JSON arrays of at most `limit` characters each (one row always fits alone). */
const packRows = (rows: unknown[][], limit: number): string[] => {
  const packs: string[] = [];
  let current: string[] = [];
  let size = 2;
  for (const row of rows) {
    const text = JSON.stringify(row);
    if (current.length > 0 && size + text.length + 1 > limit) {
      packs.push(`[${current.join(',')}]`);
      current = [];
      size = 2;
    }
    current.push(text);
    size += text.length + 1;
  }
  if (current.length > 0) packs.push(`[${current.join(',')}]`);
  return packs;
};

// Raw D1 statements: drizzle's batch cannot carry its `run(sql)` statements.
type Statement = D1PreparedStatement;
type SizedStatement = { statement: Statement; size: number };
const d1 = (db: Database): D1Database => db.$client;

const chunkStatements = (db: Database, orgId: string, documentId: string, chunks: KbChunkInput[]): SizedStatement[] => {
  const createdAt = new Date().toISOString();
  const rows = chunks.map((c) => [
    c.id,
    c.index,
    c.text,
    c.heading,
    c.page_number,
    c.start_offset,
    c.end_offset,
    c.token_count,
  ]);
  return packRows(rows, MAX_STATEMENT_JSON).map((json) => ({
    size: json.length,
    statement: d1(db)
      .prepare(
        `INSERT INTO kb_chunks (id, org_id, document_id, chunk_index, text, heading, page_number, start_offset,
           end_offset, token_count, created_at)
         SELECT json_extract(value, '$[0]'), ?1, ?2, json_extract(value, '$[1]'), json_extract(value, '$[2]'),
           json_extract(value, '$[3]'), json_extract(value, '$[4]'), json_extract(value, '$[5]'),
           json_extract(value, '$[6]'), json_extract(value, '$[7]'), ?3
         FROM json_each(?4)`,
      )
      .bind(orgId, documentId, createdAt, json),
  }));
};

/** Deletes the document's chunks. */
export const deleteStatements = (db: Database, orgId: string, documentId: string): Statement[] => [
  d1(db).prepare('DELETE FROM kb_chunks WHERE document_id = ?1 AND org_id = ?2').bind(documentId, orgId),
];

/** Runs statements in batches of bounded size; the first batch also holds `first` (e.g. the deletes). */
const runInBatches = async (db: Database, first: Statement[], rest: SizedStatement[]) => {
  let batch: Statement[] = [...first];
  let size = 0;
  for (const { statement, size: length } of rest) {
    if (batch.length > 0 && size + length > MAX_BATCH_JSON) {
      await d1(db).batch(batch);
      batch = [];
      size = 0;
    }
    batch.push(statement);
    size += length;
  }
  if (batch.length > 0) await d1(db).batch(batch);
};

/**
 * Replaces the document's chunks with these. A small document is replaced in
 * one transaction; a large one in several batches (the document is `processing` meanwhile, so search
 * does not see the intermediate state, and a re-run starts again with the delete).
 */
export const replaceKbChunks = async (
  db: Database,
  orgId: string,
  documentId: string,
  chunks: KbChunkInput[],
): Promise<void> => {
  await runInBatches(db, deleteStatements(db, orgId, documentId), chunkStatements(db, orgId, documentId, chunks));
};

export const deleteKbChunks = async (db: Database, orgId: string, documentId: string): Promise<void> => {
  await d1(db).batch(deleteStatements(db, orgId, documentId));
};

/** The ids of the document's chunks (what its vectors are called). */
export const listKbChunkIds = async (db: Database, orgId: string, documentId: string): Promise<string[]> => {
  const rows = await db.all<{ id: string }>(
    sql`SELECT id FROM kb_chunks WHERE document_id = ${documentId} AND org_id = ${orgId} ORDER BY chunk_index`,
  );
  return rows.map((row) => row.id);
};

/** The document's chunks in order (for inspection and tests; search loads only the hits). */
export const listKbChunks = async (db: Database, orgId: string, documentId: string): Promise<KbChunkRow[]> =>
  db.all<KbChunkRow>(sql`SELECT id, document_id, chunk_index, text, heading, page_number, start_offset,
      end_offset, token_count
    FROM kb_chunks WHERE document_id = ${documentId} AND org_id = ${orgId} ORDER BY chunk_index`);

/**
 * What is embedded and keyword-indexed for a chunk: its heading (when the text does not start with
 * it) gives a passage from the middle of a section the context a reader would have.
 */
export const embeddingText = (row: Pick<KbChunkInput, 'text' | 'heading'>): string =>
  row.heading && !row.text.startsWith(row.heading) ? `${row.heading}\n${row.text}` : row.text;

/** What the keyword index tokenizes for a chunk: its embedding text prepared for FTS5 (ftsText). */
export const keywordSearchText = (row: Pick<KbChunkInput, 'text' | 'heading'>): string => ftsText(embeddingText(row));
