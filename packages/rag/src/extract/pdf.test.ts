import { describe, expect, it } from 'vitest';
import { chunk } from '../chunk';
import { expectChunkInvariants, makeEncryptedPdf, makeImageOnlyPdf, makePdf, rawPdf, utf8 } from '../test-support';
import { extract } from './index';
import { itemsToLines, linesToBlocks } from './pdf';

const sentence = (page: number, n: number) => `Page ${page} sentence ${n} talks about the quarterly budget review.`;

const threePages = () =>
  makePdf(
    [
      {
        heading: 'Résumé général',
        paragraphs: [
          ['Le café crème coûte trois euros à Noël.', 'Déjà vu, garçon, naïve façade.'],
          ['Second paragraph on page one.'],
        ],
      },
      { heading: 'Budget', paragraphs: [['Page two holds the budget figures.']] },
      { paragraphs: [['Page three has no heading, only this line.']] },
    ],
    'Rapport annuel',
  );

describe('PDF extraction', () => {
  it('keeps 1-based page numbers, accented text, paragraphs and large-type headings', async () => {
    const e = await extract(await threePages(), 'pdf');
    expect(e.type).toBe('pdf');
    expect(e.title).toBe('Rapport annuel');
    expect(e.page_count).toBe(3);
    expect(e.pages.map((p) => p.page_number)).toEqual([1, 2, 3]);
    expect(e.pages[0]!.text).toBe(
      'Résumé général\n\nLe café crème coûte trois euros à Noël.\nDéjà vu, garçon, naïve façade.\n\nSecond paragraph on page one.',
    );
    expect(e.pages[1]!.text).toBe('Budget\n\nPage two holds the budget figures.');
    expect(e.pages[2]!.text).toBe('Page three has no heading, only this line.');
    expect(e.blocks.map((b) => [b.kind, b.page_number, b.level])).toEqual([
      ['heading', 1, 1],
      ['paragraph', 1, undefined],
      ['paragraph', 1, undefined],
      ['heading', 2, 1],
      ['paragraph', 2, undefined],
      ['paragraph', 3, undefined],
    ]);
    expect(e.text).toBe(e.pages.map((p) => p.text).join('\n\n'));
    // Every page's text sits verbatim in the document text.
    for (const page of e.pages) expect(e.text).toContain(page.text);
  });

  it('does not detach or change the caller’s bytes (pdf.js takes ownership of what it is given)', async () => {
    const bytes = await threePages();
    const copy = bytes.slice();
    await extract(bytes, 'pdf');
    expect(bytes.length).toBe(copy.length);
    expect(bytes).toEqual(copy);
  });

  it('chunks per page: no chunk crosses a page, headings and overlap carried', async () => {
    const pages = [1, 2, 3].map((p) => ({
      heading: `Chapter ${p}`,
      paragraphs: [
        [sentence(p, 1), sentence(p, 2), sentence(p, 3)],
        [sentence(p, 4), sentence(p, 5), sentence(p, 6)],
      ],
    }));
    const e = await extract(await makePdf(pages), 'pdf');
    const chunks = chunk(e, { chunk_size: 150, chunk_overlap: 40 });
    expectChunkInvariants(e, chunks, 150);
    expect(new Set(chunks.map((c) => c.page_number))).toEqual(new Set([1, 2, 3]));
    let pageStart = 0;
    for (const page of e.pages) {
      const start = e.text.indexOf(page.text, pageStart);
      const end = start + page.text.length;
      pageStart = end;
      const onPage = chunks.filter((c) => c.page_number === page.page_number);
      expect(onPage.length).toBeGreaterThan(1);
      for (const c of onPage) {
        expect(c.start_offset).toBeGreaterThanOrEqual(start);
        expect(c.end_offset).toBeLessThanOrEqual(end);
        expect(c.heading).toBe(`Chapter ${page.page_number}`);
      }
      // Each page starts a fresh chunk at its first character, and consecutive chunks overlap.
      expect(onPage[0]!.start_offset).toBe(start);
      expect(onPage[onPage.length - 1]!.end_offset).toBe(end);
      for (let i = 1; i < onPage.length; i++) expect(onPage[i]!.start_offset).toBeLessThan(onPage[i - 1]!.end_offset);
    }
  });

  it('gives an empty page an empty text and keeps the numbering of the others', async () => {
    const e = await extract(
      await makePdf([{ paragraphs: [['First']] }, { paragraphs: [] }, { paragraphs: [['Third']] }]),
      'pdf',
    );
    expect(e.pages).toEqual([
      { page_number: 1, text: 'First' },
      { page_number: 2, text: '' },
      { page_number: 3, text: 'Third' },
    ]);
    expect(chunk(e).map((c) => [c.page_number, c.text])).toEqual([
      [1, 'First'],
      [3, 'Third'],
    ]);
  });

  it('fails with NO_TEXT for an image-only PDF', async () => {
    await expect(extract(await makeImageOnlyPdf(), 'pdf')).rejects.toMatchObject({
      code: 'UNPROCESSABLE',
      status: 422,
      details: { reason: 'NO_TEXT' },
      message: expect.stringMatching(/no extractable text/),
    });
  });

  it('fails with CORRUPT for a truncated PDF and for garbage after the header', async () => {
    const bytes = await threePages();
    await expect(extract(bytes.slice(0, Math.floor(bytes.length / 2)), 'pdf')).rejects.toMatchObject({
      code: 'UNPROCESSABLE',
      details: { reason: 'CORRUPT' },
    });
    await expect(extract(utf8('%PDF-1.7\nthis is not a PDF at all'), 'pdf')).rejects.toMatchObject({
      details: { reason: 'CORRUPT' },
    });
  });

  it('fails with ENCRYPTED for a password-protected PDF (an /Encrypt entry in the trailer)', async () => {
    await expect(extract(makeEncryptedPdf(), 'pdf')).rejects.toMatchObject({
      code: 'UNPROCESSABLE',
      details: { reason: 'ENCRYPTED' },
      message: 'The PDF is password-protected',
    });
  });

  it('reads a handwritten PDF whose page has text but no metadata title', async () => {
    const stream = 'BT /F1 12 Tf 50 700 Td (Plain words) Tj 0 -40 Td (Next block) Tj ET';
    const bytes = rawPdf(
      [
        '<< /Type /Catalog /Pages 2 0 R >>',
        '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
        '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
        `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
        '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
      ],
      '',
    );
    const e = await extract(bytes, 'pdf');
    expect(e.title).toBeNull();
    expect(e.blocks).toEqual([
      { kind: 'paragraph', text: 'Plain words', page_number: 1 },
      { kind: 'paragraph', text: 'Next block', page_number: 1 },
    ]);
  });
});

describe('PDF line reconstruction', () => {
  const item = (str: string, x: number, y: number, size = 12, width = str.length * size * 0.5, hasEOL = false) => ({
    str,
    transform: [size, 0, 0, size, x, y],
    width,
    height: size,
    hasEOL,
  });

  it('joins items on a baseline, adds spaces at visible gaps, breaks lines when the baseline moves', () => {
    const lines = itemsToLines([
      item('Hel', 50, 700, 12, 18),
      item('lo', 68, 700, 12, 12), // touching: same word
      item('world', 90, 700, 12, 30), // a gap: a space
      item('Next line', 50, 685),
      item('', 0, 0, 12, 0, true),
      item('After EOL', 200, 685),
    ]);
    expect(lines.map((l) => l.text)).toEqual(['Hello world', 'Next line', 'After EOL']);
  });

  it('splits paragraphs at large gaps and marks bigger type as headings', () => {
    const lines = itemsToLines([
      item('Big title', 50, 760, 20),
      item('Body one', 50, 720),
      item('body two', 50, 705),
      item('Far below', 50, 600),
      item('Body text again with more characters', 50, 585),
    ]);
    expect(linesToBlocks(lines, 4)).toEqual([
      { kind: 'heading', text: 'Big title', level: 2, page_number: 4 },
      { kind: 'paragraph', text: 'Body one\nbody two', page_number: 4 },
      { kind: 'paragraph', text: 'Far below\nBody text again with more characters', page_number: 4 },
    ]);
  });
});
