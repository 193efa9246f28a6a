/**
 * Ceilings that keep one extraction inside a Worker's 128 MB: the text is held a few times over
 * (text, blocks, chunks with overlap), so it is capped well below the memory limit.
 */
export const EXTRACTION_LIMITS = {
  /** PDF pages read (pages are processed one at a time and released). */
  maxPdfPages: 2000,
  /**
   * Inflated size of each DOCX part read (document.xml, styles, properties), checked from the
   * archive's directory before inflating and enforced while inflating. The XML is held once as bytes
   * and once as a string before it becomes blocks, so 32 MB of XML stays inside 128 MB.
   */
  maxDocxXmlBytes: 32 * 1024 * 1024,
  /** Characters of extracted text. */
  maxTextChars: 10_000_000,
} as const;

export const CHUNKING_LIMITS = {
  minSize: 100,
  maxSize: 8000,
  defaultSize: 1000,
  defaultOverlap: 150,
} as const;
