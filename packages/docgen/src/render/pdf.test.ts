import { AppError } from '@flowspark/core';
import { describe, expect, it } from 'vitest';
import { RenderLimitError } from '../limits';
import { DocumentModel, type DocumentModelInput } from '../model';
import { JPEG_1PX, PNG_1PX, pdfFontNames, pdfGlyphs, pdfText, recordingFonts } from '../pdf-test-support';
import { buildSampleModel } from '../sample';
import { renderPdf } from './pdf';
import { textKitFor } from './pdf-text';

const model = (input: DocumentModelInput) => DocumentModel.parse(input);

const fullModel = model({
  title: 'Annual Report',
  subtitle: 'Prepared for the board',
  metadata: { author: 'Ada Lovelace', subject: 'Finance', keywords: ['report', 'finance'], language: 'fr-FR' },
  sections: [
    {
      heading: 'Overview',
      blocks: [
        { type: 'paragraph', text: 'Revenue grew in every region this year.' },
        { type: 'heading', text: 'Details by team', level: 2 },
        { type: 'heading', text: 'Smaller detail', level: 3 },
        { type: 'bullets', items: ['First bullet item', 'Second bullet item'] },
        { type: 'bullets', items: ['Step one', 'Step two'], ordered: true },
        {
          type: 'table',
          caption: 'Regional figures',
          columns: ['Region', 'Revenue', 'Active'],
          rows: [
            ['North', 1200.5, true],
            ['South', 980, false],
            ['East', null, true],
          ],
        },
        { type: 'image', data_base64: PNG_1PX, alt: 'red dot', width: 40 },
        { type: 'image', data_base64: JPEG_1PX, alt: 'white dot' },
        { type: 'page_break' },
        { type: 'paragraph', text: 'This paragraph starts the second page.' },
      ],
    },
  ],
});

describe('renderPdf', () => {
  it('renders title, headings, text, lists, tables, images, page breaks and page numbers', async () => {
    const { source } = recordingFonts();
    const file = await renderPdf(fullModel, { fonts: source });
    expect(file.contentType).toBe('application/pdf');
    expect(file.extension).toBe('pdf');
    expect(new TextDecoder().decode(file.bytes.subarray(0, 5))).toBe('%PDF-');

    const { pages, text } = await pdfText(file.bytes);
    expect(pages).toBe(2);
    const [first, second] = text;
    for (const expected of [
      'Annual Report',
      'Prepared for the board',
      'Overview',
      'Details by team',
      'Smaller detail',
      'Revenue grew in every region this year.',
      'First bullet item',
      'Second bullet item',
      '1.',
      'Step one',
      '2.',
      'Regional figures',
      'Region',
      'North',
      '1200.5',
      'true',
      'South',
      '1 / 2',
    ]) {
      expect(first).toContain(expected);
    }
    expect(first).toContain('•');
    expect(first).not.toContain('second page');
    expect(second).toContain('This paragraph starts the second page.');
    expect(second).toContain('2 / 2');
    // Both images are embedded as image XObjects (their dictionaries are never compressed).
    const raw = new TextDecoder('latin1').decode(file.bytes);
    expect(raw.match(/\/Subtype \/Image/g)?.length).toBe(2);
  });

  it('is deterministic: the same model gives the same bytes', async () => {
    const a = await renderPdf(fullModel, { fonts: recordingFonts().source });
    const b = await renderPdf(fullModel, { fonts: recordingFonts().source });
    expect(b.bytes).toEqual(a.bytes);
  });

  it('writes the document metadata', async () => {
    const { PDFDocument, PDFName } = await import('pdf-lib');
    const file = await renderPdf(fullModel, { fonts: recordingFonts().source });
    const doc = await PDFDocument.load(file.bytes, { updateMetadata: false });
    expect(doc.getTitle()).toBe('Annual Report');
    expect(doc.getAuthor()).toBe('Ada Lovelace');
    expect(doc.getSubject()).toBe('Finance');
    expect(doc.getKeywords()).toBe('report finance');
    expect(doc.getCreator()).toBe('FlowSpark');
    expect(String(doc.catalog.get(PDFName.of('Lang')))).toContain('fr-FR');
    expect(doc.getPage(0).getSize()).toEqual({ width: 595.28, height: 841.89 });
  });

  it('keeps accented Latin, CJK and emoji as real text, loading each font only when needed', async () => {
    const { source, loaded } = recordingFonts();
    const file = await renderPdf(
      model({
        title: 'Unicode 你好',
        sections: [
          {
            blocks: [
              { type: 'paragraph', text: 'Crème brûlée à Zürich' },
              { type: 'paragraph', text: '你好，世界' },
              { type: 'paragraph', text: 'Launch 🚀 done 👍🏽 team 👩‍💻' },
              { type: 'table', columns: ['名前', 'Ville'], rows: [['東京', 'Zürich']] },
            ],
          },
        ],
      }),
      { fonts: source },
    );
    const { all } = await pdfText(file.bytes);
    expect(all).toContain('Crème brûlée à Zürich');
    expect(all).toContain('你好，世界');
    expect(all).toContain('Unicode 你好');
    expect(all).toContain('東京');
    // pdf.js gives the emoji back through the font's ToUnicode map.
    expect(all).toContain('🚀');
    expect(all).toContain('👩‍💻');
    expect(new Set(loaded)).toEqual(
      new Set(['NotoSans-Regular', 'NotoSans-Bold', 'NotoSansSC-Regular', 'NotoEmoji-Regular']),
    );
    const fonts = await pdfFontNames(file.bytes);
    expect(fonts.some((f) => f.includes('NotoSansSC'))).toBe(true);
    expect(fonts.some((f) => f.includes('NotoEmoji'))).toBe(true);
  });

  it('draws Hangul, Arabic and Devanagari with their fonts, shaped, Arabic in visual order', async () => {
    const { source, loaded } = recordingFonts();
    const file = await renderPdf(
      model({
        title: 'Scripts',
        sections: [
          {
            blocks: [
              { type: 'paragraph', text: '안녕하세요' },
              { type: 'paragraph', text: 'مرحبا بالعالم' },
              { type: 'paragraph', text: 'नमस्ते दुनिया क्षत्रिय' },
              { type: 'paragraph', text: 'Total: مرحبا بالعالم 2024!' },
              { type: 'paragraph', text: 'Ελληνικά Русский 中文' },
            ],
          },
        ],
      }),
      { fonts: source },
    );
    for (const name of ['NotoSansKR-Regular', 'NotoSansArabic-Regular', 'NotoSansDevanagari-Regular'] as const) {
      expect(loaded).toContain(name);
      expect(await pdfFontNames(file.bytes)).toContain(`FSPARK+${name}`);
    }
    const glyphs = await pdfGlyphs(file.bytes);
    // No .notdef, nothing replaced.
    expect(glyphs.filter((g) => g.gid === 0)).toEqual([]);
    const drawn = glyphs.map((g) => g.text).join('');
    expect(drawn).not.toMatch(/[\uFFFD?]/);
    const byFont = (name: string) => glyphs.filter((g) => g.font.endsWith(name));
    expect(
      byFont('NotoSansKR-Regular')
        .map((g) => g.text)
        .join(''),
    ).toBe('안녕하세요');
    // Each line's pieces left to right, as drawn (one piece per word for Arabic).
    const lines = new Map<number, Map<number, string>>();
    for (const g of glyphs) {
      const pieces = lines.get(g.y) ?? new Map<number, string>();
      pieces.set(g.x, (pieces.get(g.x) ?? '') + g.text.replace(/\u034F/g, ''));
      lines.set(g.y, pieces);
    }
    const visual = [...lines.values()].map((pieces) => [...pieces.values()]);
    const reversed = (text: string) => [...text].reverse().join('');
    // Visual order: the second word first, each word's letters right to left.
    expect(visual).toContainEqual([reversed('بالعالم'), reversed('مرحبا')]);
    // In a left-to-right line, the Arabic words swap places and the number stays readable.
    expect(visual).toContainEqual(['Total: 2024', reversed('بالعالم'), reversed('مرحبا'), '!']);
    // Shaped: م is drawn with two different glyphs (initial in مرحبا, final in بالعالم), as the
    // cmap alone would never do.
    const meem = new Set(
      byFont('NotoSansArabic-Regular')
        .filter((g) => g.text === 'م')
        .map((g) => g.gid),
    );
    expect(meem.size).toBe(2);
    // Devanagari conjuncts are one glyph each, and the vowel sign ि is drawn before its consonant.
    const deva = byFont('NotoSansDevanagari-Regular').map((g) => g.text);
    expect(deva).toContain('क्ष');
    expect(deva).toContain('स्');
    expect(deva.join('')).toContain('ित्र');
    // A reader gets the text back (pdf.js puts the Arabic into logical order again).
    const { all } = await pdfText(file.bytes);
    const text = all.replace(/\u034F/g, '');
    expect(text).not.toMatch(/[\uFFFD?]/);
    for (const expected of ['안녕하세요', 'مرحبا بالعالم', 'नमस्ते', 'Ελληνικά', 'Русский', '中文']) {
      expect(text).toContain(expected);
    }
    for (const ch of 'दुनियाक्षत्रिय') expect(text).toContain(ch);
  });

  it('wraps Arabic at spaces, each line in visual order, measured from the shaped glyphs', async () => {
    const words = Array.from({ length: 60 }, (_, i) => (i % 2 ? 'بالعالم' : 'مرحبا'));
    const file = await renderPdf(
      model({ title: 'Wrap', sections: [{ blocks: [{ type: 'paragraph', text: words.join(' ') }] }] }),
      {
        fonts: recordingFonts().source,
      },
    );
    const lines = new Map<number, string[]>();
    for (const g of await pdfGlyphs(file.bytes)) {
      if (!g.font.endsWith('NotoSansArabic-Regular')) continue;
      const line = lines.get(g.y) ?? [];
      line.push(g.text.replace(/\u034F/g, ''));
      lines.set(g.y, line);
    }
    expect(lines.size).toBeGreaterThan(1);
    // Read right to left, the lines give back the paragraph, word for word.
    const read = [...lines.values()].map((line) => line.reverse().join('')).join('');
    expect(read).toBe(words.join(''));

    const { PDFDocument } = await import('pdf-lib');
    const kit = await textKitFor(await PDFDocument.create(), ['مرحبا'], recordingFonts().source);
    // Joined letters are narrower than the same letters standing alone.
    const alone = [...'مرحبا'].reduce((sum, ch) => sum + kit.measure(ch, 'NotoSans-Regular'), 0);
    expect(kit.measure('مرحبا', 'NotoSans-Regular')).toBeLessThan(alone);
    for (const line of kit.wrap(words.join(' '), 'NotoSans-Regular', 30)) expect(line.width).toBeLessThanOrEqual(30);
  });

  it('never loads the CJK, emoji, Hangul, Arabic or Devanagari font for a Latin-only document', async () => {
    const { source, loaded } = recordingFonts();
    const file = await renderPdf(
      model({
        title: 'Plain',
        sections: [{ heading: 'Ελλάδα', blocks: [{ type: 'paragraph', text: 'Москва, Łódź — “quoted” €5' }] }],
      }),
      { fonts: source },
    );
    expect(loaded).toEqual(['NotoSans-Regular', 'NotoSans-Bold']);
    const fonts = await pdfFontNames(file.bytes);
    expect(fonts.every((f) => f.includes('NotoSans-'))).toBe(true);
    expect((await pdfText(file.bytes)).all).toContain('Москва, Łódź — “quoted” €5');
  });

  it('replaces characters no font can show instead of failing', async () => {
    const file = await renderPdf(
      model({ title: 'ภาษาไทย', sections: [{ blocks: [{ type: 'paragraph', text: 'Thai ภาษา end' }] }] }),
      {
        fonts: recordingFonts().source,
      },
    );
    const { all } = await pdfText(file.bytes);
    expect(all).toContain('Thai');
    expect(all).toContain('end');
    expect(all).toContain('\uFFFD');
  });

  it('flows a long document over many pages and numbers them', async () => {
    const file = await renderPdf(buildSampleModel({ pages: 12 }), { fonts: recordingFonts().source });
    const { pages, text } = await pdfText(file.bytes);
    expect(pages).toBeGreaterThan(10);
    expect(text[0]).toContain(`1 / ${pages}`);
    expect(text[pages - 1]).toContain(`${pages} / ${pages}`);
    expect(text.join('\n')).toContain('Section 12');
  });

  it('repeats the table header on every page and shrinks very wide tables', async () => {
    const rows = Array.from({ length: 120 }, (_, i) => [`item-${i}`, i, `note ${i}`]);
    const columns = Array.from({ length: 30 }, (_, i) => `C${i}`);
    const file = await renderPdf(
      model({
        title: 'Tables',
        sections: [
          {
            blocks: [
              { type: 'table', columns: ['Item', 'Quantity', 'Notes'], rows },
              { type: 'table', columns, rows: [columns.map((_, i) => i)] },
            ],
          },
        ],
      }),
      { fonts: recordingFonts().source },
    );
    const { pages, text } = await pdfText(file.bytes);
    expect(pages).toBeGreaterThan(2);
    // The header row is drawn again at the top of each page the table continues on.
    expect(text.filter((page) => page.includes('Quantity')).length).toBe(pages);
    const all = text.join('\n');
    expect(all).toContain('item-0');
    expect(all).toContain('item-119');
    expect(all).toContain('C29');
  });

  it('rejects bad image data with a clear error', async () => {
    const render = (data_base64: string) =>
      renderPdf(model({ title: 'Images', sections: [{ blocks: [{ type: 'image', data_base64 }] }] }), {
        fonts: recordingFonts().source,
      });
    const notBase64 = await render('###not base64###').catch((e) => e);
    expect(notBase64).toBeInstanceOf(AppError);
    expect(notBase64.code).toBe('UNPROCESSABLE');
    expect(notBase64.message).toMatch(/section 1, block 1.*base64/);
    const notImage = await render(btoa('hello, this is text')).catch((e) => e);
    expect(notImage.code).toBe('UNPROCESSABLE');
    expect(notImage.message).toMatch(/neither PNG nor JPEG/);
    // A PNG header with garbage after it: pdf-lib's decoder fails, the error stays clear.
    const header = atob(PNG_1PX).slice(0, 33);
    const corrupt = await render(btoa(`${header}garbage-garbage-garbage`)).catch((e) => e);
    expect(corrupt).toBeInstanceOf(AppError);
    expect(corrupt.code).toBe('UNPROCESSABLE');
  });

  it('refuses an oversized model before loading any font', async () => {
    const { source, loaded } = recordingFonts();
    const rows = Array.from({ length: 10_001 }, (_, i) => Array.from({ length: 10 }, (_, j) => i * j));
    const cells = model({
      title: 'Big',
      sections: [{ blocks: [{ type: 'table', columns: Array(10).fill('n'), rows }] }],
    });
    const err = await renderPdf(cells, { fonts: source }).catch((e) => e);
    expect(err).toBeInstanceOf(RenderLimitError);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('PAYLOAD_TOO_LARGE');
    expect(err.status).toBe(413);
    expect(err.details).toEqual({ limit: 100_000, actual: 100_010, measure: 'tableCells', format: 'pdf' });
    expect(err.message).toMatch(/too large to render as PDF: 100010 table cells, at most 100000/);

    const text = 'x'.repeat(20_000);
    const long = model({
      title: 'Long',
      sections: Array.from({ length: 101 }, () => ({ blocks: [{ type: 'paragraph', text }] })),
    });
    const tooLong = await renderPdf(long, { fonts: source }).catch((e) => e);
    // The title and 101 paragraphs of 20,000 characters.
    expect(tooLong.details).toEqual({ limit: 2_000_000, actual: 2_020_004, measure: 'textChars', format: 'pdf' });

    // A PNG whose header declares 4000 × 4000 pixels: refused on its header, before pdf-lib decodes it.
    const header = Uint8Array.from(atob(PNG_1PX), (c) => c.charCodeAt(0));
    new DataView(header.buffer).setUint32(16, 4000);
    new DataView(header.buffer).setUint32(20, 4000);
    const huge = model({
      title: 'Huge',
      sections: [{ blocks: [{ type: 'image', data_base64: btoa(String.fromCharCode(...header)) }] }],
    });
    const tooMany = await renderPdf(huge, { fonts: source }).catch((e) => e);
    expect(tooMany).toBeInstanceOf(RenderLimitError);
    expect(tooMany.details).toEqual({
      limit: 2_500_000,
      actual: 16_000_000,
      measure: 'imagePixels',
      format: 'pdf',
      where: 'Image in section 1, block 1',
    });
    expect(loaded).toEqual([]);
  });

  it('fails clearly when the base font is not installed', async () => {
    const err = await renderPdf(fullModel, { fonts: recordingFonts([]).source }).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('SERVICE_UNAVAILABLE');
    expect(err.details).toMatchObject({ reason: 'FONT_MISSING', font: 'NotoSans-Regular' });
  });
});
