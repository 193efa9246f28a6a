// @flowspark/rag: knowledge-base ingestion (type detection, extraction, chunking) and retrieval
// helpers (FTS5 text preparation, rank fusion, query terms, snippets and the answer language). Light to import: pdf.js (unpdf) loads only when a PDF
// is extracted; DOCX archives are read by @flowspark/archive, which has no dependencies.
export { chunk, estimateTokens, resolveChunkingOptions } from './chunk';
export { detectFileType } from './detect';
export { extract } from './extract';
export { decodeEntities } from './extract/entities';
export { type Attributes, type TokenHandler, tokenizeHtml } from './extract/html-tokenizer';
export { ftsExpression, ftsQuery, ftsText, isPrefixTerm, MAX_QUERY_TERMS, queryTerms } from './fts';
export {
  DEFAULT_HYBRID_FUSION,
  type FusedResult,
  type FusionOptions,
  fuseRankings,
  HYBRID_FUSION,
  hybridFusion,
  reciprocalRankFusion,
} from './fusion';
export { CHUNKING_LIMITS, EXTRACTION_LIMITS } from './limits';
export {
  type AnswerLanguage,
  citedSourceNumbers,
  detectLanguage,
  findTerms,
  foldText,
  makeSnippet,
  meaningfulTerms,
  mentionsTerms,
  NOTHING_FOUND_ANSWERS,
  nothingFoundAnswer,
  type TermHit,
} from './text';
export type {
  Chunk,
  ChunkingOptions,
  ExtractedBlock,
  ExtractedPage,
  Extraction,
  ExtractionFailure,
  KbFileType,
} from './types';
