import { AppError } from '@flowspark/core';
import type { PDFDocument, PDFFont, PDFImage, PDFPage } from 'pdf-lib';
import {
  type BaseFont,
  type Coverage,
  EXTRA_FONTS,
  type FontName,
  type FontSource,
  fontsNeeded,
  normalizeText,
  resolveClusters,
} from '../fonts';

type Fontkit = Parameters<PDFDocument['registerFontkit']>[0];
type FontkitFont = ReturnType<Fontkit['create']>;
type GlyphRun = ReturnType<FontkitFont['layout']>;
type Glyph = GlyphRun['glyphs'][number];
/** fontkit's layout takes a script and a direction after the features; pdf-lib's types leave them out. */
type FullLayout = (text: string, features: unknown, script?: string, language?: string, direction?: string) => GlyphRun;
interface SubsetInternals {
  glyf: Uint8Array[];
  offset: number;
  _addGlyph(gid: number): number;
}

/** Characters that only OpenType shaping handles: emoji ZWJ sequences, selectors, keycaps, flags, skin tones. */
const NEEDS_SHAPING = /[\u200D\uFE0E\uFE0F\u20E3\u{1F1E6}-\u{1F1FF}\u{1F3FB}-\u{1F3FF}\u{E0020}-\u{E007F}]/u;
/** Arabic (with its supplements and presentation forms) and Devanagari (with Vedic signs and Extended). */
const COMPLEX = /[\u0600-\u08FF\u0900-\u097F\u1CD0-\u1CFF\uA8E0-\uA8FF\uFB50-\uFDFF\uFE70-\uFEFF]/u;
/** Either of the above (their classes joined): one test keeps plain text on the cmap path. */
const SPECIAL = new RegExp(`[${COMPLEX.source.slice(1, -1)}${NEEDS_SHAPING.source.slice(1, -1)}]`, 'u');
const DEVANAGARI = /[\u0900-\u097F\u1CD0-\u1CFF\uA8E0-\uA8FF]/u;
const JOINS_PREVIOUS = /[\p{M}\u200C\u200D]/u;
const GRAPHEME_JOINER = 0x034f;

/**
 * Bidirectional classes, simplified from the Unicode Bidirectional Algorithm for lines whose
 * direction is left to right: R (Arabic letters and marks), L (other letters), D (digits, European
 * or Arabic-Indic: they read left to right inside right-to-left text), S (a separator inside a
 * number, like the comma in 1,000) and N (spaces, punctuation, symbols: they take the direction
 * around them).
 */
export type BidiClass = 'R' | 'L' | 'D' | 'S' | 'N';
const ARABIC_SCRIPT = /\p{Script_Extensions=Arabic}/u;
const LETTER_OR_MARK = /[\p{L}\p{M}]/u;
const DIGIT = /^[0-9\u0660-\u0669\u06F0-\u06F9]+$/u;
const SEPARATOR = /^[,.:/\u066B\u066C]$/u;

export const bidiClass = (text: string): BidiClass => {
  if (DIGIT.test(text)) return 'D';
  if (SEPARATOR.test(text)) return 'S';
  if (LETTER_OR_MARK.test(text)) return ARABIC_SCRIPT.test(text) ? 'R' : 'L';
  return 'N';
};

export interface BidiRange {
  start: number;
  end: number;
  /** Drawn in reverse order. */
  rtl: boolean;
}

/**
 * The visual order of a left-to-right line, as ranges of its items drawn left to right. A
 * right-to-left stretch runs from an R item to the last R or digit before the next L: the neutrals
 * inside it turn right to left, those at its edges keep the line's direction. Inside the stretch,
 * numbers stay left to right and everything else is reversed.
 */
export const visualRanges = (dirs: readonly BidiClass[]): BidiRange[] => {
  const n = dirs.length;
  // A separator between two digits belongs to the number; anywhere else it is neutral.
  const cls = (i: number): BidiClass =>
    dirs[i] === 'S' ? (dirs[i - 1] === 'D' && dirs[i + 1] === 'D' ? 'D' : 'N') : dirs[i];
  const out: BidiRange[] = [];
  let i = 0;
  while (i < n) {
    let start = i;
    while (start < n && dirs[start] !== 'R') start += 1;
    if (start > i) out.push({ start: i, end: start, rtl: false });
    if (start === n) break;
    let last = start;
    for (let j = start + 1; j < n && dirs[j] !== 'L'; j += 1) if (cls(j) === 'R' || cls(j) === 'D') last = j;
    const pieces: BidiRange[] = [];
    for (let j = start; j <= last; ) {
      const number = cls(j) === 'D';
      let k = j + 1;
      while (k <= last && (cls(k) === 'D') === number) k += 1;
      pieces.push({ start: j, end: k, rtl: !number });
      j = k;
    }
    out.push(...pieces.reverse());
    i = last + 1;
  }
  return out;
};

/** Brackets read mirrored in right-to-left text: "(" opens to the right there. */
const MIRRORS: Record<string, string> = {
  '(': ')',
  ')': '(',
  '[': ']',
  ']': '[',
  '{': '}',
  '}': '{',
  '<': '>',
  '>': '<',
  '«': '»',
  '»': '«',
  '‹': '›',
  '›': '‹',
};
const MIRRORABLE = /[()[\]{}<>«»‹›]/;
export const mirrored = (text: string) =>
  MIRRORABLE.test(text) ? text.replace(/[()[\]{}<>«»‹›]/g, (ch) => MIRRORS[ch]) : text;

/**
 * fontkit's state machine, which the Indic shaper runs over every Devanagari syllable, was compiled
 * into a regenerator generator that calls a global `regeneratorRuntime` its bundle does not include:
 * without one, laying out Devanagari throws "regeneratorRuntime is not defined" (pdf-lib issues 785
 * and 1419). The compiled function needs only `mark`, `wrap`, and a context whose `next` holds the
 * state to resume at and whose `stop()` ends the generator, so that is all this provides.
 */
const provideRegeneratorRuntime = () => {
  const scope = globalThis as { regeneratorRuntime?: unknown };
  if (scope.regeneratorRuntime) return;
  interface Context {
    prev: number;
    next: number | string;
    done: boolean;
    stop(): void;
  }
  scope.regeneratorRuntime = {
    mark: <T>(fn: T) => fn,
    wrap(step: (context: Context) => unknown) {
      const context: Context = {
        prev: 0,
        next: 0,
        done: false,
        stop() {
          this.done = true;
        },
      };
      const iterator = {
        next() {
          if (context.done) return { value: undefined, done: true };
          const value = step(context);
          return context.done ? { value: undefined, done: true } : { value, done: false };
        },
        [Symbol.iterator]: () => iterator,
      };
      return iterator;
    },
  };
};

/**
 * @pdf-lib/fontkit with three changes, applied to every font it creates:
 * - Subsetting fixed. The subsetter copies glyphs unpadded, then writes a short `loca` (offsets
 *   halved) whenever the subset is under 64 KB: every glyph after one of odd length lands at a wrong
 *   offset and draws as nothing (the Noto fonts have many). Padding each glyph to an even length,
 *   as the TrueType spec asks, makes the halved offsets exact.
 * - Plain text is mapped to glyphs through the cmap alone instead of full OpenType shaping, which
 *   cost two thirds of the render time. pdf-lib draws glyphs at their advance widths and ignores
 *   shaping positions anyway; text is NFC-normalised, so marks are precomposed. Emoji sequences
 *   still go through shaping (their ligatures are GSUB substitutions).
 * - Arabic and Devanagari are shaped (joining forms, ligatures, conjuncts, reordered vowel signs),
 *   and text holding Arabic comes out in visual order, left to right: see `layoutComplex`. pdf-lib
 *   measures and encodes text through `layout`, so widths and drawn glyphs agree, in the PDF
 *   renderer and in form field appearances alike.
 */
export const loadFontkit = async (): Promise<Fontkit> => {
  provideRegeneratorRuntime();
  const fontkit = (await import('@pdf-lib/fontkit')).default as Fontkit;
  return {
    create(data, postscriptName) {
      // fontkit copies a Uint8Array but wraps an ArrayBuffer: 10 MB saved for the CJK font.
      const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
      const font = fontkit.create((whole ? data.buffer : data) as Uint8Array, postscriptName);
      const layout = font.layout.bind(font) as FullLayout;
      // fontkit decodes the cmap on every lookup; a document uses a few hundred code points.
      const glyphs = new Map<number, Glyph>();
      const glyphFor = (cp: number) => {
        let glyph = glyphs.get(cp);
        if (!glyph) {
          glyph = font.glyphForCodePoint(cp);
          glyphs.set(cp, glyph);
        }
        return glyph;
      };
      const viaCmap = (text: string) => Array.from(text, (ch) => glyphFor(ch.codePointAt(0)!));
      const shaped = new Map<string, Glyph[]>();
      const complex = (text: string, features: unknown) => {
        let result = shaped.get(text);
        if (!result) {
          // Shaping can split a letter into a base and a mark (NotoSansArabic draws the dots of ب,
          // ت, ي… as marks). The mark comes back with no code point, and pdf-lib would give it an
          // empty ToUnicode entry, which readers replace with its glyph code (a control character
          // in copied text): it reads as U+034F instead, invisible and transparent to joining.
          // fontkit caches one Glyph per id, so the mark gets a view of its own with that code point.
          result = layoutComplex(text, features, layout, viaCmap).map((glyph) =>
            glyph.codePoints.length ? glyph : Object.assign(Object.create(glyph), { codePoints: [GRAPHEME_JOINER] }),
          );
          shaped.set(text, result);
        }
        return result;
      };
      font.layout = (text, features) => {
        if (!SPECIAL.test(text)) return { glyphs: viaCmap(text) } as GlyphRun;
        if (!COMPLEX.test(text)) return layout(text, features);
        return { glyphs: complex(text, features) } as GlyphRun;
      };
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

/**
 * Glyphs for text holding Arabic or Devanagari, in the order they are drawn left to right.
 * fontkit shapes a right-to-left run and returns it reversed (OTLayoutEngine.position reverses the
 * glyphs of an 'rtl' run), so each right-to-left range of `visualRanges` is laid out as Arabic,
 * right to left, and comes back in visual order; numbers inside it are mapped left to right.
 * Left-to-right ranges are cut by script, since fontkit picks one script per call from the first
 * letter: Devanagari pieces are shaped as Devanagari, the rest goes through the cmap (or shaping,
 * for emoji sequences).
 */
const layoutComplex = (
  text: string,
  features: unknown,
  layout: FullLayout,
  viaCmap: (text: string) => Glyph[],
): Glyph[] => {
  const chars = Array.from(text);
  const dirs: BidiClass[] = [];
  for (const [i, ch] of chars.entries()) {
    // A mark takes the direction of the letter it sits on.
    dirs.push(i > 0 && JOINS_PREVIOUS.test(ch) ? dirs[i - 1] : bidiClass(ch));
  }
  const out: Glyph[] = [];
  for (const range of visualRanges(dirs)) {
    const piece = chars.slice(range.start, range.end).join('');
    if (range.rtl) {
      out.push(...layout(mirrored(piece), features, 'arab', undefined, 'rtl').glyphs);
      continue;
    }
    let from = range.start;
    while (from < range.end) {
      const deva = DEVANAGARI.test(chars[from]);
      let to = from + 1;
      while (to < range.end && (JOINS_PREVIOUS.test(chars[to]) || DEVANAGARI.test(chars[to]) === deva)) to += 1;
      const part = chars.slice(from, to).join('');
      out.push(...(deva || NEEDS_SHAPING.test(part) ? layout(part, features).glyphs : viaCmap(part)));
      from = to;
    }
  }
  return out;
};

const fontMissing = (name: FontName) =>
  new AppError('SERVICE_UNAVAILABLE', `The PDF font ${name} is not installed (run npm run fonts:upload)`, {
    details: { reason: 'FONT_MISSING', font: name },
  });

/**
 * Registers fontkit with the document and embeds the fonts `texts` need, subset: NotoSans Regular
 * (required) and Bold, then only the extra fonts some text asks for (CJK, emoji, Hangul, Arabic,
 * Devanagari; see fontsNeeded). A missing optional font degrades to replacement characters rather
 * than failing the document. The PDF renderer uses this; so can anything that draws text on pages.
 */
export async function textKitFor(doc: PDFDocument, texts: Iterable<string>, source: FontSource): Promise<TextKit> {
  doc.registerFontkit(await loadFontkit());
  const fonts: Partial<Record<FontName, PDFFont>> = {};
  const coverage: Coverage = {};
  const embed = async (name: FontName, required: boolean) => {
    const bytes = await source.load(name);
    if (!bytes) {
      if (required) throw fontMissing(name);
      return;
    }
    // A fixed subset tag instead of pdf-lib's random suffix: the same texts give the same bytes.
    fonts[name] = await doc.embedFont(bytes, { subset: true, customName: `FSPARK+${name}` });
    coverage[name] = new Set(fonts[name].getCharacterSet());
  };
  await embed('NotoSans-Regular', true);
  await embed('NotoSans-Bold', false);
  if (!fonts['NotoSans-Bold']) {
    fonts['NotoSans-Bold'] = fonts['NotoSans-Regular'];
    coverage['NotoSans-Bold'] = coverage['NotoSans-Regular'];
  }
  const needed = fontsNeeded(texts, coverage['NotoSans-Regular']!);
  for (const name of EXTRA_FONTS) if (needed.has(name)) await embed(name, false);
  return new TextKit(fonts, coverage);
}

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
  /**
   * Set on Arabic and Devanagari units, which hold a whole word (or its digits, or its punctuation)
   * so it is shaped and measured as one: the width of a shaped word is not the sum of its letters.
   */
  dir?: BidiClass;
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
    let shaped = false;
    for (const cluster of resolveClusters(line, this.coverage, base)) {
      if (cluster.kind === 'arabic' || cluster.kind === 'devanagari') {
        const dir = cluster.kind === 'arabic' ? bidiClass(cluster.text) : 'L';
        const last = out.at(-1);
        // Consecutive clusters of one font and direction make one word; measured below, once whole.
        if (last?.dir === dir && last.font === cluster.font) last.text += cluster.text;
        else out.push({ text: cluster.text, font: cluster.font, width: 0, space: false, cjk: false, dir });
        shaped = true;
        continue;
      }
      out.push({
        text: cluster.text,
        font: cluster.font,
        width: this.unitWidth(cluster.font, cluster.text),
        space: cluster.text === ' ',
        cjk: cluster.kind === 'cjk',
      });
    }
    if (shaped) for (const unit of out) if (unit.dir) unit.width = this.unitWidth(unit.font, unit.text);
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
  if (units.some((unit) => unit.dir === 'R')) return toVisualLine(units);
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

const unitClass = (unit: Unit): BidiClass => unit.dir ?? (unit.space ? 'N' : bidiClass(unit.text));

/**
 * A line holding Arabic, in visual order: lines are wrapped in logical order, then each is reordered
 * (see visualRanges). Units of a right-to-left range are drawn one segment each, reversed: a
 * segment's text goes through the font's layout, which would reorder joined text once more. Each
 * Arabic word is itself shaped and reversed by that layout (loadFontkit).
 */
const toVisualLine = (units: Unit[]): Line => {
  const segments: (Segment & { alone: boolean })[] = [];
  let width = 0;
  const add = (unit: Unit, alone: boolean) => {
    const last = segments.at(-1);
    if (last && !last.alone && !alone && last.font === unit.font) {
      last.text += unit.text;
      last.width += unit.width;
    } else segments.push({ text: alone ? mirrored(unit.text) : unit.text, font: unit.font, width: unit.width, alone });
    width += unit.width;
  };
  for (const range of visualRanges(units.map(unitClass))) {
    if (range.rtl) for (let i = range.end - 1; i >= range.start; i -= 1) add(units[i], true);
    else for (let i = range.start; i < range.end; i += 1) add(units[i], false);
  }
  return { segments: segments.map(({ text, font, width }) => ({ text, font, width })), width };
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
