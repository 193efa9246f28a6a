/**
 * Limits both adapters enforce, so that what works locally works on Vectorize. Sources: Vectorize
 * "Limits" (developers.cloudflare.com/vectorize/platform/limits/), "Vectorize API"
 * (…/vectorize/reference/client-api/) and "Metadata filtering" (…/vectorize/reference/metadata-filtering/).
 */
export const VECTOR_LIMITS = {
  /** "Maximum returned results (topK) with values or metadata: 20"; we always return metadata. */
  maxTopK: 20,
  /** "Maximum returned results (topK) without values and metadata: 100": the over-fetch for tag filters. */
  maxTopKWithoutMetadata: 100,
  /** "Maximum upsert batch size: 1000 (Workers)". */
  upsertBatch: 1000,
  /** Not documented for deleteByIds; we keep to the upsert batch size. */
  deleteBatch: 1000,
  /** "Maximum vector ID length: 64 bytes". */
  maxIdBytes: 64,
  /** "Maximum namespace name length: 64 bytes". */
  maxNamespaceBytes: 64,
  /** "Maximum dimensions per vector: 1536". */
  maxDimensions: 1536,
  /** "Metadata per vector: 10KiB". */
  maxMetadataBytes: 10 * 1024,
  /** String metadata indexes keep the first 64 bytes: longer values would be filtered by a prefix. */
  maxIndexedStringBytes: 64,
  /** Tags are stored in the metadata; this keeps it far below 10 KiB. */
  maxTags: 32,
  maxTagBytes: 64,
  /**
   * A Vectorize filter's compact JSON must stay under 2048 bytes: 40 document ids (~39 bytes each)
   * plus a category fit with room to spare.
   */
  maxFilterDocumentIds: 40,
  maxFilterTags: 20,
} as const;
