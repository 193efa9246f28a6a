import { AppError } from '@flowspark/core';
import { describe, expect, it } from 'vitest';
import { tinyJpeg } from '../../../../test/helpers/files';
import { DocumentModel, type DocumentModelInput } from '../model';
import { buildSampleDeck, SAMPLE_PNG_BASE64 } from '../sample';
import { PPTX_MAX_IMAGE_BYTES, PPTX_MAX_IMAGES, PPTX_MAX_SLIDES, renderPptx } from './pptx';

const model = (input: DocumentModelInput) => DocumentModel.parse(input);

const decode = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

/** The deck as XML strings: slides in order, their notes, and the core properties. */
const openDeck = async (bytes: Uint8Array) => {
  const mod: any = await import('jszip');
  const zip = await (mod.default ?? mod).loadAsync(bytes, { checkCRC32: true });
  const names = Object.keys(zip.files);
  const count = names.filter((n) => /^ppt\/slides\/slide\d+\.xml$/.test(n)).length;
  const read = (name: string): Promise<string> => zip.file(name).async('string');
  const slides: string[] = [];
  const notes: string[] = [];
  for (let i = 1; i <= count; i++) {
    slides.push(await read(`ppt/slides/slide${i}.xml`));
    notes.push(await read(`ppt/notesSlides/notesSlide${i}.xml`));
  }
  return {
    names,
    zip,
    slides,
    notes,
    core: await read('docProps/core.xml'),
    presentation: await read('ppt/presentation.xml'),
  };
};

/** The text runs of a slide, in order. */
const texts = (xml: string) => [...xml.matchAll(/<a:t>([^<]*)<\/a:t>/g)].map((m) => decode(m[1]!));

/** A JPEG header with a start-of-frame segment: enough for the renderer to read its size. */
const jpegBase64 = (width: number, height: number) => btoa(String.fromCharCode(...tinyJpeg(width, height)));

const deck = model({
  title: 'Roadmap 2026 — café 東京 🚀',
  subtitle: 'Where we are going',
  metadata: { author: 'Zoë Ångström', subject: 'Planning' },
  sections: [
    {
      heading: 'Introduction',
      speaker_notes: 'Welcome everyone — 歓迎 👋',
      blocks: [
        { type: 'paragraph', text: 'We grew in every region.' },
        { type: 'bullets', items: ['Faster releases', 'Fewer incidents', 'Happier customers 😀'] },
      ],
    },
    {
      heading: 'Many points',
      blocks: [{ type: 'bullets', items: Array.from({ length: 12 }, (_, i) => `Point ${i + 1}`) }],
    },
    {
      heading: 'Data',
      blocks: [
        {
          type: 'table',
          caption: 'Revenue by city',
          columns: ['City', 'Revenue', 'Growth', 'On target'],
          rows: Array.from({ length: 30 }, (_, i) => [
            i === 0 ? '東京' : `City ${i + 1}`,
            1250 * (i + 1),
            i / 100,
            i % 2 === 0,
          ]),
        },
      ],
    },
    {
      heading: 'Picture',
      blocks: [
        { type: 'paragraph', text: 'A chart next to its explanation.' },
        { type: 'image', data_base64: SAMPLE_PNG_BASE64, alt: 'Growth chart' },
      ],
    },
    { blocks: [{ type: 'paragraph', text: 'Thanks!' }] },
  ],
});

describe('renderPptx', () => {
  it('builds a title slide, a slide per section, continuation slides, tables, images and notes', async () => {
    const file = await renderPptx(deck);
    expect(file.extension).toBe('pptx');
    expect(file.contentType).toBe('application/vnd.openxmlformats-officedocument.presentationml.presentation');
    const { names, slides, notes, core, presentation } = await openDeck(file.bytes);

    // 1 title + intro + 2 (12 bullets) + 3 (30 rows, 12 per slide) + picture + closing.
    expect(slides).toHaveLength(9);
    expect(presentation).toContain('<p:sldSz cx="12192000" cy="6858000"/>');

    expect(texts(slides[0]!)).toEqual(['Roadmap 2026 — café 東京 🚀', 'Where we are going', 'Zoë Ångström']);
    expect(texts(slides[1]!)).toEqual([
      'Introduction',
      'We grew in every region.',
      'Faster releases',
      'Fewer incidents',
      'Happier customers 😀',
      '2',
    ]);
    expect(texts(slides[2]!).slice(0, 9)).toEqual([
      'Many points',
      ...Array.from({ length: 8 }, (_, i) => `Point ${i + 1}`),
    ]);
    expect(texts(slides[3]!).slice(0, 5)).toEqual([
      'Many points (cont.)',
      'Point 9',
      'Point 10',
      'Point 11',
      'Point 12',
    ]);

    const table = texts(slides[4]!);
    expect(table.slice(0, 6)).toEqual(['Data', 'Revenue by city', 'City', 'Revenue', 'Growth', 'On target']);
    expect(table.slice(6, 10)).toEqual(['東京', '1,250', '0', 'Yes']);
    expect(slides[4]).toContain('<a:tbl>');
    // Continuations repeat the header; every data row appears exactly once across the three slides.
    expect(texts(slides[5]!).slice(0, 6)).toEqual([
      'Data (cont.)',
      'Revenue by city',
      'City',
      'Revenue',
      'Growth',
      'On target',
    ]);
    const cities = slides.slice(4, 7).flatMap((s) => texts(s).filter((t) => t === '東京' || t.startsWith('City ')));
    expect(cities).toEqual(['東京', ...Array.from({ length: 29 }, (_, i) => `City ${i + 2}`)]);

    expect(texts(slides[7]!)).toContain('A chart next to its explanation.');
    expect(slides[7]).toContain('<p:pic>');
    expect(slides[7]).toContain('descr="Growth chart"');
    expect(names.some((n) => /^ppt\/media\/.+\.png$/.test(n))).toBe(true);

    // A section without a heading takes the document's title.
    expect(texts(slides[8]!).slice(0, 2)).toEqual(['Roadmap 2026 — café 東京 🚀', 'Thanks!']);

    expect(texts(notes[1]!).join(' ')).toContain('Welcome everyone — 歓迎 👋');
    expect(texts(notes[2]!).join(' ')).not.toContain('Welcome');

    expect(core).toContain('<dc:title>Roadmap 2026 — café 東京 🚀</dc:title>');
    expect(core).toContain('<dc:creator>Zoë Ångström</dc:creator>');
    expect(core).toContain('<dc:subject>Planning</dc:subject>');
  });

  it('continues numbering on a continuation slide and splits very long text', async () => {
    const long = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ');
    const file = await renderPptx(
      model({
        title: 'Lists',
        sections: [
          {
            heading: 'Steps',
            blocks: [{ type: 'bullets', ordered: true, items: Array.from({ length: 10 }, (_, i) => `Step ${i + 1}`) }],
          },
          { heading: 'Essay', blocks: [{ type: 'paragraph', text: long }] },
        ],
      }),
    );
    const { slides } = await openDeck(file.bytes);
    expect(slides.length).toBeGreaterThanOrEqual(5);
    expect(slides[1]).toContain('<a:buAutoNum type="arabicPeriod" startAt="1"/>');
    expect(texts(slides[2]!).slice(0, 3)).toEqual(['Steps (cont.)', 'Step 9', 'Step 10']);
    expect(slides[2]).toContain('<a:buAutoNum type="arabicPeriod" startAt="9"/>');
    const essay = slides.slice(3);
    expect(texts(essay[0]!)[0]).toBe('Essay');
    expect(texts(essay[1]!)[0]).toBe('Essay (cont.)');
    const words = essay
      .flatMap((s) => texts(s).slice(1))
      .filter((t) => t.startsWith('word'))
      .join(' ');
    expect(words).toBe(long);
  });

  it('keeps CJK text whole: on one slide when it fits, split without losing a character when not', async () => {
    const short = '这是一个很长的段落。'.repeat(60);
    const long = '这是一个很长的段落。'.repeat(200);
    const file = await renderPptx(
      model({
        title: '中文',
        sections: [
          { heading: '短', blocks: [{ type: 'paragraph', text: short }] },
          { heading: '长', blocks: [{ type: 'paragraph', text: long }] },
        ],
      }),
    );
    const { slides } = await openDeck(file.bytes);
    expect(texts(slides[1]!).slice(0, 2)).toEqual(['短', short]);
    const rest = slides.slice(2);
    expect(rest.length).toBeGreaterThan(1);
    expect(texts(rest[1]!)[0]).toBe('长 (cont.)');
    expect(rest.map((s) => texts(s)[1]).join('')).toBe(long);
  });

  it('stores each image with its own bytes, on the slide that shows it', async () => {
    const jpeg = jpegBase64(300, 150);
    const file = await renderPptx(
      model({
        title: 'Gallery',
        sections: [
          { heading: 'PNG', blocks: [{ type: 'image', data_base64: SAMPLE_PNG_BASE64, alt: 'dot' }] },
          { heading: 'Text only', blocks: [{ type: 'paragraph', text: 'No picture here.' }] },
          {
            heading: 'JPEG',
            blocks: [
              { type: 'paragraph', text: 'Beside it' },
              { type: 'image', data_base64: jpeg },
            ],
          },
        ],
      }),
    );
    const { zip, slides } = await openDeck(file.bytes);
    expect(slides).toHaveLength(4);
    const mediaOf = async (slide: number) => {
      const rels: string = await zip.file(`ppt/slides/_rels/slide${slide}.xml.rels`).async('string');
      const target = /Target="\.\.\/media\/([^"]+)"/.exec(rels)?.[1];
      return target ? new Uint8Array(await zip.file(`ppt/media/${target}`).async('uint8array')) : null;
    };
    const bytesOf = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    expect(await mediaOf(2)).toEqual(bytesOf(SAMPLE_PNG_BASE64));
    expect(await mediaOf(3)).toBeNull();
    expect(await mediaOf(4)).toEqual(bytesOf(jpeg));
    expect(texts(slides[3]!)).toContain('Beside it');
  });

  it('reads JPEG dimensions and keeps the aspect ratio', async () => {
    const file = await renderPptx(
      model({
        title: 'Photo',
        sections: [{ heading: 'Wide', blocks: [{ type: 'image', data_base64: jpegBase64(200, 100), width: 288 }] }],
      }),
    );
    const { slides, names } = await openDeck(file.bytes);
    const ext = /<p:pic>.*?<a:ext cx="(\d+)" cy="(\d+)"\/>/.exec(slides[1]!)!;
    expect(Number(ext[1])).toBe(288 * 12700);
    expect(Number(ext[2]) / Number(ext[1])).toBeCloseTo(0.5, 3);
    expect(names.some((n) => /^ppt\/media\/.+\.jpe?g$/.test(n))).toBe(true);
  });

  it('escapes markup and drops characters XML cannot carry', async () => {
    const file = await renderPptx(
      model({
        title: 'A <b> & "c"\u0001',
        sections: [
          {
            heading: 'x\u0000y',
            speaker_notes: 'n\u0008o\uD800tes <&>',
            blocks: [{ type: 'bullets', items: ['1 < 2 && 3 > 2'] }],
          },
        ],
      }),
    );
    const { slides, notes, core } = await openDeck(file.bytes);
    expect(texts(slides[0]!)[0]).toBe('A <b> & "c"');
    expect(texts(slides[1]!).slice(0, 2)).toEqual(['xy', '1 < 2 && 3 > 2']);
    expect(texts(notes[1]!).join('')).toContain('notes <&>');
    expect(core).toContain('<dc:title>A &lt;b&gt; &amp; &quot;c&quot;</dc:title>');
  });

  it('renders the sample deck: one slide per section, with tables, pictures and notes', async () => {
    // The 50-slide render is a benchmark: bench/render-case.ts pptx-50.
    const file = await renderPptx(buildSampleDeck(10));
    const { slides, notes } = await openDeck(file.bytes);
    expect(slides).toHaveLength(10);
    expect(texts(slides[9]!)[0]).toBe('Section 9');
    expect(slides[5]).toContain('<a:tbl>');
    expect(slides[7]).toContain('<p:pic>');
    expect(texts(notes[9]!).join(' ')).toContain('Notes for section 9');
  });

  it('refuses too many slides before rendering', async () => {
    const huge = model({ title: 'Huge', sections: [{ blocks: [{ type: 'table', columns: ['a'], rows: [] }] }] });
    (huge.sections[0]!.blocks[0] as any).rows = new Array(10_000).fill(['x']);
    const err = await renderPptx(huge).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('PAYLOAD_TOO_LARGE');
    expect(err.message).toContain(`at most ${PPTX_MAX_SLIDES} slides`);
    expect(err.details).toEqual({ limit: PPTX_MAX_SLIDES, actual: 2 + Math.ceil(10_000 / 12) - 1 });

    const many = model({ title: 'Many', sections: Array.from({ length: PPTX_MAX_SLIDES }, () => ({ heading: 'S' })) });
    const err2 = await renderPptx(many).catch((e) => e);
    expect(err2.code).toBe('PAYLOAD_TOO_LARGE');
    expect(err2.details).toEqual({ limit: PPTX_MAX_SLIDES, actual: PPTX_MAX_SLIDES + 1 });

    // Text that paginates past the cap is caught during planning.
    const wordy = model({
      title: 'Wordy',
      sections: Array.from({ length: 150 }, () => ({
        blocks: [{ type: 'bullets' as const, items: Array.from({ length: 17 }, () => 'x') }],
      })),
    });
    expect((await renderPptx(wordy).catch((e) => e)).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses too many images or too many image bytes before decoding them', async () => {
    const images = (count: number, data: string) =>
      model({
        title: 'Images',
        sections: [{ blocks: Array.from({ length: count }, () => ({ type: 'image' as const, data_base64: data })) }],
      });
    const tooMany = await renderPptx(images(PPTX_MAX_IMAGES + 1, SAMPLE_PNG_BASE64)).catch((e) => e);
    expect(tooMany.code).toBe('PAYLOAD_TOO_LARGE');
    expect(tooMany.details).toEqual({ limit: PPTX_MAX_IMAGES, actual: PPTX_MAX_IMAGES + 1 });

    // Not even valid images: the byte cap is checked on the base64 length, before any decoding.
    const big = 'A'.repeat(Math.ceil((PPTX_MAX_IMAGE_BYTES / 2) * (4 / 3)) + 4);
    const tooBig = await renderPptx(images(2, big)).catch((e) => e);
    expect(tooBig.code).toBe('PAYLOAD_TOO_LARGE');
    expect(tooBig.message).toContain('bytes of images');
    expect(tooBig.details.limit).toBe(PPTX_MAX_IMAGE_BYTES);
    expect(tooBig.details.actual).toBeGreaterThan(PPTX_MAX_IMAGE_BYTES);
  });

  it('reports an image that is not base64 PNG or JPEG as a clear error', async () => {
    const withImage = (data_base64: string) =>
      model({
        title: 'Img',
        sections: [
          { heading: 'A' },
          {
            heading: 'B',
            blocks: [
              { type: 'paragraph', text: 'x' },
              { type: 'image', data_base64 },
            ],
          },
        ],
      });
    const notBase64 = await renderPptx(withImage('this is not base64!')).catch((e) => e);
    expect(notBase64).toBeInstanceOf(AppError);
    expect(notBase64.code).toBe('UNPROCESSABLE');
    expect(notBase64.message).toBe('Image in section 2, block 2: the image data is not valid base64');
    expect(notBase64.details).toEqual({ reason: 'INVALID_IMAGE', where: 'Image in section 2, block 2' });

    const notImage = await renderPptx(withImage(btoa('GIF89a pretending'))).catch((e) => e);
    expect(notImage.code).toBe('UNPROCESSABLE');
    expect(notImage.message).toContain('neither PNG nor JPEG');

    const truncatedPng = await renderPptx(withImage(SAMPLE_PNG_BASE64.slice(0, 12))).catch((e) => e);
    expect(truncatedPng.code).toBe('UNPROCESSABLE');
  });
});
