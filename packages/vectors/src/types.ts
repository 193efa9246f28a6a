/** What every vector carries besides its values: enough to filter and to cite without a D1 read. */
export interface VectorMetadata {
  document_id: string;
  chunk_index: number;
  page: number | null;
  tags: string[];
  category: string | null;
}

export interface VectorRecord {
  /** The chunk id (`chk_…`), at most 64 bytes. */
  id: string;
  values: number[];
  metadata: VectorMetadata;
}

/**
 * Every field given narrows the result (AND). `document_ids`: the record's document is one of them;
 * `tags`: the record has at least one of them; `category`: exact match. An empty array is no filter.
 */
export interface VectorFilter {
  document_ids?: string[];
  tags?: string[];
  category?: string;
}

export interface VectorMatch {
  id: string;
  /** Cosine similarity, -1..1, higher is closer. */
  score: number;
  metadata: VectorMetadata;
}

export interface VectorQueryOptions {
  /** 1..20 (Vectorize's ceiling when metadata is returned, which we always need). */
  topK: number;
  filter?: VectorFilter;
}

/** The vector index port. The namespace is the tenant id: nothing crosses namespaces. */
export interface VectorIndex {
  /** Inserts or replaces (by id) whole records; the first upsert into an empty namespace fixes its dimension. */
  upsert(namespace: string, records: VectorRecord[]): Promise<void>;
  /** The nearest records by cosine similarity, best first. */
  query(namespace: string, vector: number[], options: VectorQueryOptions): Promise<VectorMatch[]>;
  /** Removes these ids from the namespace; unknown ids are ignored. */
  deleteByIds(namespace: string, ids: string[]): Promise<void>;
}

/** A filter after validation: empty arrays dropped, duplicates removed. */
export interface NormalizedFilter {
  documentIds?: ReadonlySet<string>;
  tags?: ReadonlySet<string>;
  category?: string;
}
