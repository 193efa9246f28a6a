import type { PDFDocument, PDFFont, PDFImage, PDFPage } from 'pdf-lib';
import { type BaseFont, type Coverage, type FontName, normalizeText, resolveClusters } from '../fonts';

type Fontkit = Parameters<PDFDocument['registerFontkit']>[0];
interface SubsetInternals {
  glyf: Uint8Array[];
  offset: number;
  _addGlyph(gid: number): number;
}

/** Characters that only OpenType shaping handles: emoji ZWJ sequences, selectors, keycaps, flags, skin tones. */
const NEEDS_SHAPING = /[\u200D\uFE0E\uFE0F\u20E3\u{1F1E6}-\u{1F1FF}\u{1F3FB}-\u{1F3FF}\u{E0020}-\u{E007F}]/u;

/**
 * @pdf-lib/fontkit with two changes, applied to every font it creates:
 * - Subsetting fixed. The subsetter copies glyphs unpadded, then writes a short `loca` (offsets
 *   halved) whenever the subset is under 64 KB: every glyph after one of odd length lands at a wrong
 *   offset and draws as nothing (the Noto fonts have many). Padding each glyph to an even length,
 *   as the TrueType spec asks, makes the halved offsets exact.
 * - Plain text is mapped to glyphs through the cmap alone instead of full OpenType shaping, which
 *   cost two thirds of the render time. pdf-lib draws glyphs at their advance widths and ignores
 *   shaping positions anyway; text is NFC-normalised, so marks are precomposed. Emoji sequences
 *   still go through shaping (their ligatures are GSUB substitutions).
 */
export const loadFontkit = async (): Promise<Fontkit> => {
  const fontkit = (await import('@pdf-lib/fontkit')).default as Fontkit;
  return {
    create(data, postscriptName) {
      // fontkit copies a Uint8Array but wraps an ArrayBuffer: 10 MB saved for the CJK font.
      const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
      const font = fontkit.create((whole ? data.buffer : data) as Uint8Array, postscriptName);
      const layout = font.layout.bind(font);
      // fontkit decodes the cmap on every lookup; a document uses a few hundred code points.
      const glyphs = new Map<number, ReturnType<typeof font.glyphForCodePoint>>();
      const glyphFor = (cp: number) => {
        let glyph = glyphs.get(cp);
        if (!glyph) {
          glyph = font.glyphForCodePoint(cp);
          glyphs.set(cp, glyph);
        }
        return glyph;
      };
      font.layout = (text, features) =>
        NEEDS_SHAPING.test(text)
          ? layout(text, features)
          : ({ glyphs: Array.from(text, (ch) => glyphFor(ch.codePointAt(0)!)) } as ReturnType<typeof layout>);
      const createSubset = font.createSubset.bind(font);
      font.createSubset = () => {
        const subset = createSubset() as unknown as SubsetInternals;
        const addGlyph = subset._addGlyph.bind(subset);
        subset._addGlyph = (gid) => {
          const index = addGlyph(gid);
          const buffer = subset.glyf[index];
          if (buffer.length % 2 === 1) {
            const Ctor = buffer.constructor as { alloc?: (size: number) => Uint8Array };
            const padded = Ctor.alloc ? Ctor.alloc(buffer.length + 1) : new Uint8Array(buffer.length + 1);
            padded.set(buffer, 0);
            subset.glyf[index] = padded;
            subset.offset += 1;
          }
          return index;
        };
        return subset as unknown as ReturnType<typeof createSubset>;
      };
      return font;
    },
  };
};

/** One piece of a line drawn with one font; `width` is at size 1. */
export interface Segment {
  text: string;
  font: FontName;
  width: number;
}
export interface Line {
  segments: Segment[];
  /** At size 1. */
  width: number;
}

interface Unit {
  text: string;
  font: FontName;
  width: number;
  space: boolean;
  /** A CJK character: a line may break before and after it. */
  cjk: boolean;
}

/**
 * Measures and wraps text over several fonts. Widths are cached per font and cluster (at size 1),
 * so wrapping a long document costs a map lookup per character, not a font layout per word.
 */
export class TextKit {
  private readonly widths = new Map<FontName, Map<string, number>>();

  constructor(
    readonly fonts: Partial<Record<FontName, PDFFont>>,
    readonly coverage: Coverage,
  ) {}

  private unitWidth(font: FontName, text: string) {
    let cache = this.widths.get(font);
    if (!cache) {
      cache = new Map();
      this.widths.set(font, cache);
    }
    let width = cache.get(text);
    if (width === undefined) {
      width = this.fonts[font]!.widthOfTextAtSize(text, 1000) / 1000;
      cache.set(text, width);
    }
    return width;
  }

  private units(line: string, base: BaseFont): Unit[] {
    const out: Unit[] = [];
    for (const cluster of resolveClusters(line, this.coverage, base)) {
      out.push({
        text: cluster.text,
        font: cluster.font,
        width: this.unitWidth(cluster.font, cluster.text),
        space: cluster.text === ' ',
        cjk: cluster.kind === 'cjk',
      });
    }
    return out;
  }

  /** Width at size 1 of one line of text, without wrapping. */
  measure(text: string, base: BaseFont): number {
    let width = 0;
    for (const line of normalizeText(text).split('\n')) {
      width = Math.max(
        width,
        this.units(line, base).reduce((sum, u) => sum + u.width, 0),
      );
    }
    return width;
  }

  /** Wraps text to `maxWidth` (at size 1): breaks at spaces and around CJK characters; hard breaks at \n. */
  wrap(text: string, base: BaseFont, maxWidth: number): Line[] {
    const lines: Line[] = [];
    for (const hardLine of normalizeText(text).split('\n')) {
      const units = this.units(hardLine, base);
      if (units.length === 0) {
        lines.push({ segments: [], width: 0 });
        continue;
      }
      let current: Unit[] = [];
      let currentWidth = 0;
      const flush = () => {
        while (current.length && current.at(-1)!.space) current.pop();
        lines.push(toLine(current));
        current = [];
        currentWidth = 0;
      };
      for (const word of words(units)) {
        const wordWidth = word.reduce((sum, u) => sum + u.width, 0);
        const trailing = trailingSpaceWidth(word);
        if (current.length && currentWidth + wordWidth - trailing > maxWidth) flush();
        if (wordWidth - trailing > maxWidth) {
          // A word wider than the line: break it between clusters.
          for (const unit of word) {
            if (current.length && currentWidth + unit.width > maxWidth && !unit.space) flush();
            current.push(unit);
            currentWidth += unit.width;
          }
          continue;
        }
        current.push(...word);
        currentWidth += wordWidth;
      }
      flush();
    }
    return lines;
  }

  /** Draws one wrapped line with its baseline at `y`. */
  draw(canvas: PageCanvas, line: Line, x: number, y: number, size: number, color: Rgb) {
    let offset = x;
    for (const segment of line.segments) {
      if (segment.text.trim()) canvas.text(this.fonts[segment.font]!, segment.text, offset, y, size, color);
      offset += segment.width * size;
    }
  }
}

/** Groups units into unbreakable words: a word ends after a space, and each CJK character stands alone. */
const words = (units: Unit[]): Unit[][] => {
  const out: Unit[][] = [];
  let word: Unit[] = [];
  for (const unit of units) {
    const prev = word.at(-1);
    if (prev && ((prev.space && !unit.space) || unit.cjk || prev.cjk)) {
      out.push(word);
      word = [];
    }
    word.push(unit);
  }
  if (word.length) out.push(word);
  return out;
};

const trailingSpaceWidth = (word: Unit[]) => {
  let width = 0;
  for (let i = word.length - 1; i >= 0 && word[i].space; i -= 1) width += word[i].width;
  return width;
};

const toLine = (units: Unit[]): Line => {
  const segments: Segment[] = [];
  let width = 0;
  for (const unit of units) {
    const last = segments.at(-1);
    if (last && last.font === unit.font) {
      last.text += unit.text;
      last.width += unit.width;
    } else segments.push({ text: unit.text, font: unit.font, width: unit.width });
    width += unit.width;
  }
  return { segments, width };
};

export type Rgb = readonly [number, number, number];

/** Numbers as PDF operands: at most two decimals, never exponent notation. */
const n = (value: number) => String(Math.round(value * 100) / 100);
const rgb = ([r, g, b]: Rgb) => `${n(r)} ${n(g)} ${n(b)}`;

/** zlib-deflates text with the platform's native CompressionStream (FlateDecode is zlib). */
const deflate = async (text: string) => {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
};

/**
 * A page's content written straight as PDF operators into a string, then compressed into one
 * stream (natively, not with pdf-lib's JavaScript deflate). pdf-lib's drawText keeps ~8 operator
 * objects per call until save: a 100-page document held tens of MB of them. Text goes through the
 * font's encodeText, so subsets still record every glyph used.
 */
export class PageCanvas {
  private readonly parts: string[] = [];
  private readonly fontKeys = new Map<PDFFont, string>();
  private readonly imageKeys = new Map<PDFImage, string>();

  constructor(
    private readonly doc: PDFDocument,
    readonly page: PDFPage,
  ) {}

  private fontKey(font: PDFFont) {
    let key = this.fontKeys.get(font);
    if (!key) {
      key = this.page.node.newFontDictionary('F', font.ref).toString();
      this.fontKeys.set(font, key);
    }
    return key;
  }

  text(font: PDFFont, text: string, x: number, y: number, size: number, color: Rgb) {
    const hex = font.encodeText(text).toString();
    this.parts.push(`BT ${rgb(color)} rg ${this.fontKey(font)} ${n(size)} Tf 1 0 0 1 ${n(x)} ${n(y)} Tm ${hex} Tj ET`);
  }

  rect(x: number, y: number, width: number, height: number, style: { fill?: Rgb; stroke?: Rgb; lineWidth?: number }) {
    const box = `${n(x)} ${n(y)} ${n(width)} ${n(height)} re`;
    if (style.fill) this.parts.push(`${rgb(style.fill)} rg ${box} f`);
    if (style.stroke) this.parts.push(`${rgb(style.stroke)} RG ${n(style.lineWidth ?? 1)} w ${box} S`);
  }

  image(image: PDFImage, x: number, y: number, width: number, height: number) {
    let key = this.imageKeys.get(image);
    if (!key) {
      key = this.page.node.newXObject('Im', image.ref).toString();
      this.imageKeys.set(image, key);
    }
    this.parts.push(`q ${n(width)} 0 0 ${n(height)} ${n(x)} ${n(y)} cm ${key} Do Q`);
  }

  /** Compresses what was drawn into a content stream of the page. */
  async finish() {
    if (this.parts.length === 0) return;
    const content = this.parts.join('\n');
    this.parts.length = 0;
    const stream = this.doc.context.stream(await deflate(content), { Filter: 'FlateDecode' });
    this.page.node.addContentStream(this.doc.context.register(stream));
  }
}
