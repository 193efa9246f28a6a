import type { TokenUsage } from '@flowspark/ai';
import type {
  KbChunking,
  KbCitation,
  KbDocumentRow,
  KbHit,
  KbQueryRow,
  KbRetrievedHit,
  KbSearchFilters,
  KbSearchMode,
} from '@flowspark/kb';

const chunkingOf = (value: unknown): KbChunking | null => {
  const candidate = value as Partial<KbChunking> | null;
  return typeof candidate?.chunk_size === 'number' && typeof candidate.chunk_overlap === 'number'
    ? { chunk_size: candidate.chunk_size, chunk_overlap: candidate.chunk_overlap }
    : null;
};

/** Never the R2 key, the organization or the creator's internals. */
export const presentKbDocument = (row: KbDocumentRow) => ({
  id: row.id,
  title: row.title,
  source_type: row.sourceType,
  filename: row.filename,
  detected_type: row.detectedType,
  size_bytes: row.sizeBytes,
  sha256: row.sha256,
  status: row.status,
  error_code: row.errorCode,
  error_message: row.errorMessage,
  tags: row.tags ?? [],
  category: row.category,
  page_count: row.pageCount,
  chunk_count: row.chunkCount,
  char_count: row.charCount,
  embedding_model: row.embeddingModel,
  chunking: chunkingOf(row.chunking),
  job_id: row.jobId,
  created_at: row.createdAt,
  updated_at: row.updatedAt,
  indexed_at: row.indexedAt,
});

/** A hit as the search route shows it: no chunk text, no internal relevance flag. */
export const presentKbHit = (hit: KbRetrievedHit): KbHit => ({
  document_id: hit.document_id,
  title: hit.title,
  chunk_id: hit.chunk_id,
  chunk_index: hit.chunk_index,
  page_number: hit.page_number,
  heading: hit.heading,
  snippet: hit.snippet,
  score: hit.score,
  ...(hit.keyword_rank !== undefined ? { keyword_rank: hit.keyword_rank } : {}),
  ...(hit.vector_rank !== undefined ? { vector_rank: hit.vector_rank } : {}),
});

/** A recorded question. The mode travels in the stored filters (kb_queries has no column of its own for it). */
export const presentKbQuery = (row: KbQueryRow) => {
  const { mode, ...filters } = row.filters as KbSearchFilters & { mode?: KbSearchMode };
  return {
    id: row.id,
    query: row.query,
    answer: row.answer,
    citations: row.citations as KbCitation[],
    usage: row.usage as unknown as TokenUsage,
    model: row.modelUsed,
    timings: { retrieval_ms: row.retrievalMs, generation_ms: row.generationMs },
    top_k: row.topK,
    mode: mode ?? 'hybrid',
    filters,
    user_id: row.userId,
    created_at: row.createdAt,
  };
};
