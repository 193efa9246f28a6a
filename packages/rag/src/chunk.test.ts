import { describe, expect, it } from 'vitest';
import { chunk, estimateTokens, resolveChunkingOptions } from './chunk';
import { assembleExtraction } from './normalize';
import { expectChunkInvariants } from './test-support';
import type { ExtractedBlock } from './types';

const doc = (blocks: Array<[ExtractedBlock['kind'], string, number?]>, pages?: (number | null)[]) =>
  assembleExtraction({
    type: pages ? 'pdf' : 'markdown',
    title: null,
    blocks: blocks.map(([kind, text, level], i) => ({ kind, text, level, page_number: pages?.[i] ?? null })),
    pageCount: pages ? Math.max(...pages.map((p) => p ?? 0)) : undefined,
  });

/** Deterministic filler prose: `count` sentences of ~60 characters. */
const prose = (count: number, tag = 'w') =>
  Array.from({ length: count }, (_, i) => `Sentence ${tag}${i} explains one more detail of the topic here.`).join(' ');

describe('chunking options', () => {
  it('defaults to 1000 / 150 and caps the default overlap at half the size', () => {
    expect(resolveChunkingOptions()).toEqual({ chunk_size: 1000, chunk_overlap: 150 });
    expect(resolveChunkingOptions({ chunk_size: 200 })).toEqual({ chunk_size: 200, chunk_overlap: 100 });
    expect(resolveChunkingOptions({ chunk_size: 8000, chunk_overlap: 0 })).toEqual({
      chunk_size: 8000,
      chunk_overlap: 0,
    });
  });

  it.each([
    [{ chunk_size: 99 }, 'chunk_size'],
    [{ chunk_size: 8001 }, 'chunk_size'],
    [{ chunk_size: 500.5 }, 'chunk_size'],
    [{ chunk_size: 500, chunk_overlap: 251 }, 'chunk_overlap'],
    [{ chunk_size: 500, chunk_overlap: -1 }, 'chunk_overlap'],
    [{ chunk_overlap: 1.5 }, 'chunk_overlap'],
  ])('refuses %o', (options, field) => {
    expect(() => chunk(doc([['paragraph', 'x']]), options)).toThrowError(
      expect.objectContaining({ code: 'VALIDATION_ERROR', details: { fields: { [field]: [expect.any(String)] } } }),
    );
  });
});

describe('chunk', () => {
  it('returns one chunk for a short document', () => {
    const e = doc([
      ['heading', 'Title', 1],
      ['paragraph', 'Short body.'],
    ]);
    expect(chunk(e)).toEqual([
      {
        index: 0,
        text: 'Title\n\nShort body.',
        heading: 'Title',
        page_number: null,
        start_offset: 0,
        end_offset: 18,
        token_count: 5,
      },
    ]);
  });

  it('starts sections at their headings, packs tiny sections and never emits a heading alone', () => {
    const e = doc([
      ['heading', 'Guide', 1],
      ['heading', 'Intro', 2],
      ['paragraph', prose(8, 'a')],
      ['heading', 'Tiny', 2],
      ['paragraph', 'Just a line.'],
      ['heading', 'Also tiny', 2],
      ['paragraph', 'Another line.'],
      ['heading', 'Long', 2],
      ['paragraph', prose(30, 'b')],
    ]);
    const chunks = chunk(e, { chunk_size: 600, chunk_overlap: 100 });
    expectChunkInvariants(e, chunks, 600);
    // "Guide" and "Intro" stay with Intro's text; Tiny and Also tiny share a chunk; Long starts one.
    expect(chunks[0]!.text.startsWith('Guide\n\nIntro\n\nSentence a0')).toBe(true);
    expect(chunks[0]!.heading).toBe('Intro'); // the heading its text sits under
    const tiny = chunks.find((c) => c.text.startsWith('Tiny'))!;
    expect(tiny.text).toBe('Tiny\n\nJust a line.\n\nAlso tiny\n\nAnother line.');
    expect(tiny.heading).toBe('Tiny');
    const long = chunks.findIndex((c) => c.text.startsWith('Long\n\n'));
    expect(long).toBe(2);
    // No overlap across a heading break: the chunk before "Long" ends where it begins.
    expect(chunks[long - 1]!.end_offset).toBeLessThan(chunks[long]!.start_offset);
    for (const c of chunks.slice(long)) expect(c.heading).toBe('Long');
    const headings = new Set(e.blocks.filter((b) => b.kind === 'heading').map((b) => b.text));
    for (const c of chunks) expect(c.text.split('\n\n').some((part) => !headings.has(part))).toBe(true);
  });

  it('breaks at paragraph ends before lines, sentences and spaces', () => {
    const paragraphs = Array.from({ length: 6 }, (_, i) => prose(5, `p${i}`)); // ~300 characters each
    const e = doc(paragraphs.map((p) => ['paragraph', p] as ['paragraph', string]));
    const chunks = chunk(e, { chunk_size: 700, chunk_overlap: 0 });
    expectChunkInvariants(e, chunks, 700);
    for (const c of chunks) {
      expect(paragraphs.some((p) => c.text.endsWith(p))).toBe(true);
      expect(paragraphs.some((p) => c.text.startsWith(p))).toBe(true);
    }
  });

  it('breaks at line breaks, then sentence ends, then spaces, then hard cuts', () => {
    const lines = doc([
      ['paragraph', Array.from({ length: 20 }, (_, i) => `line ${i} with some words in it`).join('\n')],
    ]);
    for (const c of chunk(lines, { chunk_size: 150, chunk_overlap: 0 })) expect(c.text).toMatch(/^line \d+[\s\S]*it$/);

    const sentences = doc([['paragraph', prose(20)]]);
    const bySentence = chunk(sentences, { chunk_size: 200, chunk_overlap: 0 });
    expectChunkInvariants(sentences, bySentence, 200);
    for (const c of bySentence) expect(c.text).toMatch(/^Sentence w\d+ [\s\S]*here\.$/);

    const words = doc([['paragraph', Array.from({ length: 100 }, (_, i) => `word${i}`).join(' ')]]);
    const byWord = chunk(words, { chunk_size: 100, chunk_overlap: 0 });
    expectChunkInvariants(words, byWord, 100);
    for (const c of byWord) expect(c.text).toMatch(/^word\d+( word\d+)*$/);

    const solid = doc([['paragraph', 'x'.repeat(450)]]);
    expect(chunk(solid, { chunk_size: 100, chunk_overlap: 0 }).map((c) => c.text.length)).toEqual([
      100, 100, 100, 100, 50,
    ]);
  });

  it('never splits a surrogate pair on a hard cut', () => {
    const e = doc([['paragraph', 'a😀'.repeat(200)]]);
    const chunks = chunk(e, { chunk_size: 100, chunk_overlap: 10 });
    expectChunkInvariants(e, chunks, 100);
    for (const c of chunks) {
      // No lone surrogate at either end.
      expect(c.text).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
      expect(c.text.startsWith('a') || c.text.startsWith('😀')).toBe(true);
    }
  });

  it('overlaps consecutive chunks by up to chunk_overlap characters, starting at a word', () => {
    const e = doc([['paragraph', prose(40)]]);
    const chunks = chunk(e, { chunk_size: 300, chunk_overlap: 60 });
    expectChunkInvariants(e, chunks, 300);
    expect(chunks.length).toBeGreaterThan(5);
    for (let i = 1; i < chunks.length; i++) {
      const previous = chunks[i - 1]!;
      const c = chunks[i]!;
      // The overlap starts at the first word within chunk_overlap characters of the previous end.
      let wordStart = previous.end_offset - 60;
      while (e.text[wordStart - 1] !== ' ' || e.text[wordStart] === ' ') wordStart += 1;
      expect(c.start_offset).toBe(wordStart);
      expect(e.text[c.start_offset - 1]).toBe(' ');
      expect(previous.text.endsWith(e.text.slice(c.start_offset, previous.end_offset))).toBe(true);
    }
  });

  it('with no overlap, chunks tile the text', () => {
    const e = doc([['paragraph', prose(40)]]);
    const chunks = chunk(e, { chunk_size: 300, chunk_overlap: 0 });
    for (let i = 1; i < chunks.length; i++) {
      expect(e.text.slice(chunks[i - 1]!.end_offset, chunks[i]!.start_offset)).toMatch(/^\s+$/);
    }
  });

  it('keeps chunks within pages and carries headings across pages', () => {
    const e = doc(
      [
        ['heading', 'Part one', 1],
        ['paragraph', prose(4, 'a')],
        ['paragraph', prose(4, 'b')],
        ['paragraph', 'Short page three.'],
      ],
      [1, 1, 2, 3],
    );
    const chunks = chunk(e, { chunk_size: 1000, chunk_overlap: 100 });
    expect(chunks.map((c) => [c.page_number, c.heading])).toEqual([
      [1, 'Part one'],
      [2, 'Part one'],
      [3, 'Part one'],
    ]);
    expect(chunks[2]!.text).toBe('Short page three.');
  });

  it('has a null heading before any heading', () => {
    const e = doc([
      ['paragraph', prose(10)],
      ['heading', 'Later', 2],
      ['paragraph', 'Body'],
    ]);
    const chunks = chunk(e, { chunk_size: 400, chunk_overlap: 50 });
    expect(chunks[0]!.heading).toBeNull();
    expect(chunks[chunks.length - 1]!.heading).toBe('Later');
  });

  it('refuses an extraction whose text does not hold its blocks', () => {
    const e = doc([['paragraph', 'Hello']]);
    expect(() => chunk({ ...e, text: 'Something else' })).toThrow(/does not contain its blocks/);
  });

  it('chunks a document of many sections, keeping every invariant', () => {
    // The timing on a large document is a benchmark: bench/chunk-case.ts.
    const blocks = Array.from(
      { length: 200 },
      (_, i) =>
        (i % 20 === 0 ? ['heading', `Section ${i}`, 2] : ['paragraph', prose(4, `s${i}`)]) as [
          ExtractedBlock['kind'],
          string,
          number?,
        ],
    );
    const e = doc(blocks);
    expectChunkInvariants(e, chunk(e), 1000);
  });

  it('estimates tokens: ~4 characters each, one per CJK character', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('abcdefgh')).toBe(2);
    expect(estimateTokens('東京。abcd')).toBe(4);
    expect(estimateTokens('ひらがなカタカナ한국어')).toBe(11);
  });
});
