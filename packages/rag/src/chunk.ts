import { validationError } from '@flowspark/core';
import { CHUNKING_LIMITS } from './limits';
import type { Chunk, ChunkingOptions, ExtractedBlock, Extraction } from './types';

// Ideographic and syllabic scripts (and CJK punctuation, full-width forms) run about one token per
// character; the rest about four characters per token.
const DENSE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3000-\u303F\uFF00-\uFFEF]/gu;

export const estimateTokens = (text: string): number => {
  if (!text) return 0;
  const dense = text.match(DENSE)?.length ?? 0;
  return dense + Math.ceil((text.length - dense) / 4);
};

/**
 * Defaults (1000 / 150; the default overlap is capped at half the size) and validation: integer
 * size 100–8000, integer overlap 0–size/2. Throws VALIDATION_ERROR with the offending fields.
 */
export const resolveChunkingOptions = (options: Partial<ChunkingOptions> = {}): ChunkingOptions => {
  const size = options.chunk_size ?? CHUNKING_LIMITS.defaultSize;
  const fields: Record<string, string[]> = {};
  if (!Number.isInteger(size) || size < CHUNKING_LIMITS.minSize || size > CHUNKING_LIMITS.maxSize) {
    fields.chunk_size = [`Must be an integer from ${CHUNKING_LIMITS.minSize} to ${CHUNKING_LIMITS.maxSize}`];
  }
  const half = Math.floor(size / 2);
  const overlap = options.chunk_overlap ?? Math.min(CHUNKING_LIMITS.defaultOverlap, half);
  if (!Number.isInteger(overlap) || overlap < 0 || overlap > half) {
    fields.chunk_overlap = ['Must be an integer from 0 to half of chunk_size'];
  }
  if (Object.keys(fields).length) throw validationError('Invalid chunking options', fields);
  return { chunk_size: size, chunk_overlap: overlap };
};

interface Span {
  start: number;
  end: number;
  block: ExtractedBlock;
}

/** Where each block sits in `extraction.text` (blocks joined with '\n\n'). */
const locateBlocks = ({ text, blocks }: Extraction): Span[] => {
  const spans: Span[] = [];
  let at = 0;
  for (const block of blocks) {
    if (!block.text) continue;
    const expected = spans.length ? at + 2 : 0;
    const start = text.startsWith(block.text, expected) ? expected : text.indexOf(block.text, at);
    if (start < 0) throw new Error('Extraction.text does not contain its blocks in order');
    spans.push({ start, end: start + block.text.length, block });
    at = start + block.text.length;
  }
  return spans;
};

/** Runs of blocks on the same page: a chunk never crosses one. */
const segmentsOf = (spans: Span[]): Span[][] => {
  const segments: Span[][] = [];
  for (const span of spans) {
    const last = segments[segments.length - 1];
    if (last && last[0]!.block.page_number === span.block.page_number) last.push(span);
    else segments.push([span]);
  }
  return segments;
};

const isSpace = (code: number) =>
  code === 32 || code === 10 || code === 9 || code === 13 || code === 0xa0 || code === 0x3000 || code === 12;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

// A sentence ends at . ! ? … (before a space), or at 。！？ (CJK, no space needed), closing quotes included.
const SENTENCE_END = /[.!?…]+["'”’»)\]]*(?=\s)|[。！？．]+[」』”’）)\]]*/g;
// Clause marks where CJK text (no spaces) can break after.
const CLAUSE_MARKS = /[、，；：,;]/g;

type Level = 'heading' | 'paragraph' | 'line' | 'sentence' | 'space' | 'hard';

interface Break {
  /** Where the next text begins (the chunk ends here, trailing whitespace excluded). */
  at: number;
  level: Level;
}

/**
 * Structure-aware recursive splitting. Each chunk is a verbatim slice of `extraction.text`
 * (`text === extraction.text.slice(start_offset, end_offset)`), at most `chunk_size` characters,
 * never across two PDF pages. A chunk that must end before the text does breaks at the best
 * boundary in its window: before a heading (tiny sections are packed together), else a paragraph
 * break, a line break, a sentence end (。！？ too), a space or CJK clause mark, and only then a hard
 * cut (never inside a surrogate pair). The next chunk repeats the last `chunk_overlap` characters
 * (from a word start when there is one; at most half of the previous chunk), except after a break
 * before a heading: a new section starts clean. Even when the rest of a page fits in one chunk, a
 * section starting past a quarter of it gets a chunk of its own. `heading` is the nearest heading
 * at or before the chunk's first non-heading text; `token_count` an estimate (~4 characters per
 * token, 1 per CJK character).
 */
export const chunk = (extraction: Extraction, options?: Partial<ChunkingOptions>): Chunk[] => {
  const { chunk_size: size, chunk_overlap: overlap } = resolveChunkingOptions(options);
  const text = extraction.text;
  const spans = locateBlocks(extraction);
  const headings = spans.filter((s) => s.block.kind === 'heading');
  const chunks: Chunk[] = [];
  /** Index of the first element of `list` whose `key` is ≥ `offset` (binary search). */
  const lowerBound = <T>(list: T[], key: (item: T) => number, offset: number) => {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (key(list[mid]!) < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const spanEnd = (s: Span) => s.end;
  const spanStart = (s: Span) => s.start;
  /** Index of the first span of `list` that ends after `offset`. */
  const firstSpanAfter = (list: Span[], offset: number) => lowerBound(list, spanEnd, offset + 1);

  /**
   * The chunk's heading: the nearest heading at or before its first non-heading text, so a chunk
   * that opens with "Guide" then "Installation" belongs to "Installation".
   */
  const headingFor = (start: number, end: number): string | null => {
    let anchor = start;
    for (let k = firstSpanAfter(spans, start); k < spans.length && spans[k]!.start < end; k++) {
      if (spans[k]!.block.kind !== 'heading') {
        anchor = Math.max(start, spans[k]!.start);
        break;
      }
    }
    const index = lowerBound(headings, spanStart, anchor + 1) - 1;
    return index >= 0 ? headings[index]!.block.text : null;
  };

  const emit = (start: number, end: number, page: number | null) => {
    const slice = text.slice(start, end);
    chunks.push({
      index: chunks.length,
      text: slice,
      heading: headingFor(start, end),
      page_number: page,
      start_offset: start,
      end_offset: end,
      token_count: estimateTokens(slice),
    });
  };

  /**
   * A break before a heading in (minimum, hi], once the chunk holds more than headings: the first
   * heading past a quarter of the size, so a section starts its own chunk; else (`pack`) the last
   * one, packing tiny sections together. -1 when there is none.
   */
  const headingBreak = (segment: Span[], start: number, hi: number, minimum: number, pack: boolean) => {
    const quarter = Math.max(minimum, start + Math.floor(size * 0.25));
    let best = -1;
    let content = false;
    for (let k = firstSpanAfter(segment, start); k < segment.length && segment[k]!.start <= hi; k++) {
      const span = segment[k]!;
      if (span.block.kind === 'heading' && content && span.start > minimum && span.start > start) {
        if (span.start > quarter) return span.start;
        if (pack) best = span.start;
      }
      if (span.block.kind !== 'heading') content = true;
    }
    return best;
  };

  /** The best break in (minimum, hi] for a chunk starting at `start` (see the levels above). */
  const findBreak = (segment: Span[], start: number, hi: number, minimum: number): Break => {
    const floorFor = (fraction: number) => Math.max(minimum, start + Math.floor(size * fraction));
    const heading = headingBreak(segment, start, hi, minimum, true);
    if (heading >= 0) return { at: heading, level: 'heading' };
    const first = firstSpanAfter(segment, start);
    const paragraphFloor = floorFor(0.25);
    let best = -1;
    for (let k = first; k < segment.length && segment[k]!.start <= hi; k++) {
      if (segment[k]!.start > paragraphFloor) best = segment[k]!.start;
    }
    if (best >= 0) return { at: best, level: 'paragraph' };
    const lowFloor = floorFor(0.5);
    const newline = text.lastIndexOf('\n', hi - 1);
    if (newline >= lowFloor) return { at: newline + 1, level: 'line' };
    // One character past the window so that a sentence end at its edge sees the space after it.
    const window = text.slice(lowFloor, hi + 1);
    let sentence = -1;
    for (const m of window.matchAll(SENTENCE_END)) {
      const at = lowFloor + m.index + m[0].length;
      if (at <= hi) sentence = at;
    }
    if (sentence > lowFloor) return { at: sentence, level: 'sentence' };
    let space = -1;
    for (let i = hi; i > lowFloor; i--) {
      if (isSpace(text.charCodeAt(i))) {
        space = i;
        break;
      }
    }
    for (const m of window.matchAll(CLAUSE_MARKS)) {
      if (lowFloor + m.index + 1 <= hi) space = Math.max(space, lowFloor + m.index + 1);
    }
    if (space > lowFloor && space <= hi) return { at: space, level: 'space' };
    let cut = hi;
    if (isLowSurrogate(text.charCodeAt(cut)) && cut - 1 > minimum) cut--;
    return { at: cut, level: 'hard' };
  };

  /** Where the chunk after [start, end) begins: `overlap` characters back, from a word start. */
  const overlapStart = (start: number, end: number): number => {
    const back = Math.min(overlap, Math.floor((end - start) / 2));
    let from = end - back;
    if (back === 0) return end;
    // A heading inside the overlap: start there rather than in the previous section's tail.
    const h = headings[lowerBound(headings, spanStart, from)];
    if (h && h.start < end) return h.start;
    if (!isSpace(text.charCodeAt(from - 1))) {
      let i = from;
      while (i < end && !isSpace(text.charCodeAt(i))) i++;
      if (i < end) from = i + 1;
      else if (isLowSurrogate(text.charCodeAt(from))) from--;
    }
    return from;
  };

  for (const segment of segmentsOf(spans)) {
    const page = segment[0]!.block.page_number;
    const segmentEnd = segment[segment.length - 1]!.end;
    let start = segment[0]!.start;
    let previousEnd = start;
    while (start < segmentEnd) {
      const hi = start + size;
      let cut: Break;
      if (hi >= segmentEnd) {
        // The rest fits, but a section that starts well inside it still gets its own chunk.
        const heading = headingBreak(segment, start, segmentEnd, previousEnd, false);
        if (heading < 0) {
          emit(start, segmentEnd, page);
          break;
        }
        cut = { at: heading, level: 'heading' };
      } else cut = findBreak(segment, start, hi, previousEnd);
      let end = cut.at;
      while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
      if (end <= start) end = cut.at;
      emit(start, end, page);
      previousEnd = end;
      let next = cut.level === 'heading' || overlap === 0 ? cut.at : overlapStart(start, end);
      while (next < segmentEnd && isSpace(text.charCodeAt(next))) next++;
      start = next;
    }
  }
  return chunks;
};
