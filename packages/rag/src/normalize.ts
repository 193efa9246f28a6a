import { extractionFailed, extractionTooLarge } from './errors';
import { EXTRACTION_LIMITS } from './limits';
import type { ExtractedBlock, ExtractedPage, Extraction, KbFileType } from './types';

// Invisible characters that only get in the way of search: zero-width space, word joiner, BOM,
// soft hyphen. ZWJ/ZWNJ stay (they change meaning in Persian, Indic scripts and emoji).
const INVISIBLE = /[\u200B\u2060\uFEFF\u00AD]/g;
// C0/C1 controls except tab and newline (which are handled below).
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const CONTROLS = /[\u0000-\u0008\u000E-\u001F\u007F-\u009F]/g;
const SPACES = /[ \t\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]+/g;

/**
 * NFC, \r\n and \r → \n, vertical tab / form feed / Unicode separators → line or paragraph breaks,
 * runs of spaces collapsed, spaces around line breaks removed, at most one blank line in a row.
 */
export const normalizeText = (input: string): string =>
  input
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .replace(/[\v\u2028]/g, '\n')
    .replace(/[\f\u2029]/g, '\n\n')
    .replace(INVISIBLE, '')
    .replace(CONTROLS, '')
    .replace(SPACES, ' ')
    .replace(/ ?\n ?/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();

/** One line: every break becomes a space. */
export const normalizeLine = (input: string): string => normalizeText(input).replace(/\n+/g, ' ');

/** Strict UTF-8 (a leading BOM is dropped); null when the bytes are not UTF-8. */
export const decodeUtf8 = (bytes: Uint8Array): string | null => {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return null;
  }
};

export const decodeUtf8OrFail = (bytes: Uint8Array, what: string): string => {
  const text = decodeUtf8(bytes);
  if (text === null) throw extractionFailed('CORRUPT', `The ${what} is not valid UTF-8 text`);
  return text;
};

const SINGLE_LINE_KINDS = new Set<ExtractedBlock['kind']>(['heading', 'table', 'row']);

/**
 * Normalises raw blocks: empty ones go, headings and rows become one line, a paragraph holding a
 * blank line becomes several blocks (so '\n\n' only ever separates blocks in `Extraction.text`).
 */
export const normalizeBlocks = (raw: ExtractedBlock[]): ExtractedBlock[] => {
  const out: ExtractedBlock[] = [];
  for (const block of raw) {
    if (SINGLE_LINE_KINDS.has(block.kind)) {
      const text = normalizeLine(block.text);
      if (text) out.push({ ...block, text });
      continue;
    }
    for (const part of normalizeText(block.text).split('\n\n')) {
      if (part) out.push({ ...block, text: part });
    }
  }
  return out;
};

interface AssembleInput {
  type: KbFileType;
  title: string | null;
  blocks: ExtractedBlock[];
  /** PDF only: the number of pages; every page 1..pageCount gets an entry in `pages`. */
  pageCount?: number;
}

/** Builds the Extraction from raw blocks; EMPTY when nothing but whitespace is left. */
export const assembleExtraction = ({ type, title, blocks: raw, pageCount }: AssembleInput): Extraction => {
  const blocks = normalizeBlocks(raw);
  const text = blocks.map((b) => b.text).join('\n\n');
  if (text.length > EXTRACTION_LIMITS.maxTextChars) {
    throw extractionTooLarge(
      `The document holds more than ${EXTRACTION_LIMITS.maxTextChars} characters of text`,
      EXTRACTION_LIMITS.maxTextChars,
      text.length,
    );
  }
  if (!text) throw extractionFailed('EMPTY', 'The document contains no text');
  let pages: ExtractedPage[];
  if (pageCount === undefined) {
    pages = [{ page_number: null, text }];
  } else {
    const byPage = new Map<number, string[]>();
    for (const b of blocks) {
      const n = b.page_number ?? 0;
      const list = byPage.get(n);
      if (list) list.push(b.text);
      else byPage.set(n, [b.text]);
    }
    pages = Array.from({ length: pageCount }, (_, i) => ({
      page_number: i + 1,
      text: (byPage.get(i + 1) ?? []).join('\n\n'),
    }));
  }
  const cleanTitle = title ? normalizeLine(title).slice(0, 500) : '';
  return { type, title: cleanTitle || null, pages, blocks, text, page_count: pageCount ?? null };
};
