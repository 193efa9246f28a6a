import { AppError } from '@flowspark/core';
import { describe, expect, it } from 'vitest';
import { RenderLimitError } from '../limits';
import { DocumentModel, type DocumentModelInput } from '../model';
import { JPEG_1PX, PNG_1PX } from '../pdf-test-support';
import { renderDocx } from './docx';

const model = (input: DocumentModelInput) => DocumentModel.parse(input);

const unzip = async (bytes: Uint8Array) => {
  const JSZip = (await import('jszip')).default;
  const zip = await JSZip.loadAsync(bytes);
  const read = (name: string) => zip.file(name)?.async('string') ?? Promise.resolve('');
  return { zip, read, names: Object.keys(zip.files) };
};

/** The visible text of WordprocessingML: the contents of every <w:t>. */
const texts = (xml: string) => [...xml.matchAll(/<w:t(?:\s[^>]*)?>([^<]*)<\/w:t>/g)].map((m) => m[1]);

const fullModel = model({
  title: 'Annual Report',
  subtitle: 'Prepared for the board',
  metadata: { author: 'Ada Lovelace', subject: 'Finance', keywords: ['report', 'finance'], language: 'en-GB' },
  sections: [
    {
      heading: 'Overview',
      blocks: [
        { type: 'paragraph', text: 'Revenue grew <fast> & steady.\nSecond line.' },
        { type: 'heading', text: 'Details by team', level: 2 },
        { type: 'heading', text: 'Smaller detail', level: 3 },
        { type: 'bullets', items: ['First bullet item', 'Second bullet item'] },
        { type: 'bullets', items: ['Step one', 'Step two'], ordered: true },
        { type: 'paragraph', text: 'Between the lists.' },
        { type: 'bullets', items: ['Again one'], ordered: true },
        {
          type: 'table',
          caption: 'Regional figures',
          columns: ['Region', 'Revenue'],
          rows: [
            ['North', 1200.5],
            ['東京', null],
          ],
        },
        { type: 'image', data_base64: PNG_1PX, alt: 'red dot', width: 72 },
        { type: 'image', data_base64: JPEG_1PX, alt: 'white dot' },
        { type: 'page_break' },
        { type: 'paragraph', text: 'Crème brûlée à Zürich, 你好，世界 🚀' },
      ],
    },
  ],
});

describe('renderDocx', () => {
  it('writes headings, text, lists, tables, images and page breaks with Word styles', async () => {
    const file = await renderDocx(fullModel);
    expect(file.extension).toBe('docx');
    expect(file.contentType).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    const { read, names } = await unzip(file.bytes);
    const doc = await read('word/document.xml');
    const words = texts(doc);

    expect(words).toContain('Annual Report');
    expect(doc).toMatch(/<w:pStyle w:val="Title"\/>/);
    expect(doc).toMatch(/<w:pStyle w:val="Subtitle"\/>/);
    expect(doc).toMatch(/<w:pStyle w:val="Heading1"\/>/);
    expect(doc).toMatch(/<w:pStyle w:val="Heading2"\/>/);
    expect(doc).toMatch(/<w:pStyle w:val="Heading3"\/>/);
    expect(words).toEqual(expect.arrayContaining(['Overview', 'Details by team', 'Smaller detail']));
    // Escaped once, and the line break is a real <w:br/>.
    expect(doc).toContain('Revenue grew &lt;fast&gt; &amp; steady.');
    expect(doc).toMatch(/<w:br\/><w:t[^>]*>Second line\.<\/w:t>/);

    // Lists use numbering definitions: bullets and decimals, each ordered list its own instance.
    expect(words).toEqual(expect.arrayContaining(['First bullet item', 'Step one', 'Again one']));
    const numIds = [...doc.matchAll(/<w:numId w:val="(\d+)"\/>/g)].map((m) => m[1]);
    expect(numIds.length).toBe(5);
    expect(new Set(numIds).size).toBe(3);
    const numbering = await read('word/numbering.xml');
    expect(numbering).toContain('<w:numFmt w:val="bullet"/>');
    expect(numbering).toContain('<w:numFmt w:val="decimal"/>');
    expect(numbering).toContain('<w:lvlText w:val="%1."/>');

    // The table: a repeated, bold header row, borders, and the cells.
    expect(doc).toContain('<w:tblHeader/>');
    expect(doc).toMatch(/<w:tblBorders>/);
    expect(words).toEqual(expect.arrayContaining(['Regional figures', 'Region', 'Revenue', 'North', '1200.5', '東京']));
    expect(doc).toMatch(/<w:b\/>[\s\S]*?<w:t[^>]*>Region<\/w:t>/);

    // Images are parts of their own, with alt text.
    expect(names.some((n) => /^word\/media\/.+\.png$/.test(n))).toBe(true);
    expect(names.some((n) => /^word\/media\/.+\.jpe?g$/.test(n))).toBe(true);
    expect(doc).toContain('descr="red dot"');
    expect(doc).toContain('<w:br w:type="page"/>');

    // Unicode is stored as is; CJK runs carry the East Asian hint.
    expect(words).toContain('Crème brûlée à Zürich, 你好，世界 🚀');
    expect(doc).toMatch(/w:hint="eastAsia"/);
  });

  it('writes metadata, A4 pages and page numbers in the footer', async () => {
    const { read, names } = await unzip((await renderDocx(fullModel)).bytes);
    const core = await read('docProps/core.xml');
    expect(core).toContain('<dc:title>Annual Report</dc:title>');
    expect(core).toContain('<dc:creator>Ada Lovelace</dc:creator>');
    expect(core).toContain('<dc:subject>Finance</dc:subject>');
    expect(core).toContain('<cp:keywords>report, finance</cp:keywords>');
    const doc = await read('word/document.xml');
    expect(doc).toMatch(/<w:pgSz w:w="11906" w:h="16838"/);
    const footer = await read(names.find((n) => /^word\/footer\d*\.xml$/.test(n))!);
    expect(footer).toMatch(/PAGE/);
    expect(footer).toMatch(/NUMPAGES/);
    const styles = await read('word/styles.xml');
    expect(styles).toContain('w:eastAsia="Microsoft YaHei"');
    expect(styles).toContain('w:val="en-GB"');
  });

  it('drops characters XML cannot carry instead of writing a corrupt file', async () => {
    const file = await renderDocx(
      model({ title: 'Bad\u0001chars\uFFFE', sections: [{ blocks: [{ type: 'paragraph', text: 'a\u0007b' }] }] }),
    );
    const doc = await (await unzip(file.bytes)).read('word/document.xml');
    expect(texts(doc)).toEqual(expect.arrayContaining(['Badchars\uFFFD', 'ab']));
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
    expect(doc).not.toMatch(/[\u0001\u0007\uFFFE]/);
  });

  it('rejects bad image data with a clear error', async () => {
    const err = await renderDocx(
      model({
        title: 'x',
        sections: [
          {
            blocks: [
              { type: 'paragraph', text: 'a' },
              { type: 'image', data_base64: 'R0lGODlhAQABAAAAACw=' },
            ],
          },
        ],
      }),
    ).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('UNPROCESSABLE');
    expect(err.message).toMatch(/section 1, block 2: the image is neither PNG nor JPEG/);
  });

  it('refuses an oversized model with RenderLimitError', async () => {
    const text = 'x'.repeat(20_000);
    const big = model({
      title: 'Big',
      sections: Array.from({ length: 80 }, () => ({ blocks: Array(1).fill({ type: 'paragraph', text }) })),
    });
    const err = await renderDocx(big).catch((e) => e);
    expect(err).toBeInstanceOf(RenderLimitError);
    expect(err.code).toBe('PAYLOAD_TOO_LARGE');
    // The title and 80 paragraphs of 20,000 characters.
    expect(err.details).toEqual({ limit: 1_200_000, actual: 1_600_003, measure: 'textChars', format: 'docx' });
  });
});
