/** The document types the knowledge base ingests. */
export type KbFileType = 'pdf' | 'docx' | 'html' | 'markdown' | 'text' | 'csv';

/** One page of a PDF (`page_number` 1-based), or the whole text of other types (`page_number` null). */
export interface ExtractedPage {
  page_number: number | null;
  text: string;
}

/**
 * A unit of structure. `level` is 1–6 for headings and the nesting depth (from 1) for list items.
 * `table` is one row of a table inside a document (cells joined with ' | '); `row` is one CSV record.
 */
export interface ExtractedBlock {
  kind: 'heading' | 'paragraph' | 'list' | 'table' | 'row';
  text: string;
  level?: number;
  page_number: number | null;
}

/**
 * `text` is the blocks' texts joined with blank lines ('\n\n'); no block text contains a blank line,
 * so block i starts at the sum of the previous blocks' lengths plus 2 per separator. Each PDF page's
 * text is its blocks joined the same way (a page without text has ''), so it also sits verbatim in
 * `text`.
 */
export interface Extraction {
  type: KbFileType;
  title: string | null;
  pages: ExtractedPage[];
  blocks: ExtractedBlock[];
  text: string;
  page_count: number | null;
}

export interface ChunkingOptions {
  /** Target (and maximum) chunk length in characters (UTF-16 code units), 100–8000. */
  chunk_size: number;
  /** Characters repeated from the end of the previous chunk, 0–chunk_size/2. */
  chunk_overlap: number;
}

/** `text === extraction.text.slice(start_offset, end_offset)` (UTF-16 offsets). */
export interface Chunk {
  index: number;
  text: string;
  heading: string | null;
  page_number: number | null;
  start_offset: number;
  end_offset: number;
  token_count: number;
}

/** Why a file could not be extracted (AppError('UNPROCESSABLE').details.reason). */
export type ExtractionFailure = 'ENCRYPTED' | 'CORRUPT' | 'EMPTY' | 'NO_TEXT';
