/**
 * Helpers for this package's tests (never imported by the package itself): fonts from the test
 * bucket, and the text of a PDF as a reader would get it.
 */
import { env } from 'cloudflare:workers';
import type { PDFDict as PdfDict } from 'pdf-lib';
import { type FontName, type FontSource, fontKey } from './fonts';

/** Reads fonts from R2 like the Worker does (test/setup.ts put them there) and records each load. */
export const recordingFonts = (available: readonly FontName[] | 'all' = 'all') => {
  const loaded: FontName[] = [];
  const source: FontSource = {
    async load(name) {
      loaded.push(name);
      if (available !== 'all' && !available.includes(name)) return null;
      const object = await env.FILES.get(fontKey(name));
      return object ? new Uint8Array(await object.arrayBuffer()) : null;
    },
  };
  return { source, loaded };
};

/** Text per page, extracted with pdf.js (unpdf). */
export const pdfText = async (bytes: Uint8Array) => {
  const { extractText, getDocumentProxy } = await import('unpdf');
  // pdf.js may transfer (detach) the buffer it is given: hand it a copy.
  const proxy = await getDocumentProxy(bytes.slice());
  const { text } = await extractText(proxy, { mergePages: false });
  return { pages: proxy.numPages, text, all: text.join('\n') };
};

/** BaseFont names of the fonts embedded in a PDF. */
export const pdfFontNames = async (bytes: Uint8Array) => {
  const { PDFDocument, PDFDict, PDFName } = await import('pdf-lib');
  const doc = await PDFDocument.load(bytes);
  const names: string[] = [];
  for (const [, object] of doc.context.enumerateIndirectObjects()) {
    if (object instanceof PDFDict && object.get(PDFName.of('Type')) === PDFName.of('Font')) {
      const base = object.get(PDFName.of('BaseFont'));
      if (base instanceof PDFName) names.push(base.decodeText());
    }
  }
  return names;
};

/** One glyph as drawn: the font's BaseFont, the glyph id in the embedded font and its text (ToUnicode). */
export interface DrawnGlyph {
  font: string;
  gid: number;
  text: string;
  /** Where the text showing it starts: one run per Tj, so per drawn piece of a line. */
  x: number;
  y: number;
}

/**
 * Every glyph the pages draw, in drawing order, read from the content streams (and the form
 * XObjects they paint, as flattened form fields are) with each font's ToUnicode map. The renderer
 * draws a line's pieces left to right, so this order is the visual order of each line; pdf.js text
 * extraction would reorder right-to-left text back to logical order and hide a wrong visual order.
 */
export const pdfGlyphs = async (bytes: Uint8Array): Promise<DrawnGlyph[]> => {
  const { PDFDocument, PDFDict, PDFName, PDFRawStream, PDFArray, decodePDFRawStream } = await import('pdf-lib');
  const doc = await PDFDocument.load(bytes);
  const decoder = new TextDecoder('latin1');
  const streamText = (stream: unknown) =>
    stream instanceof PDFRawStream ? decoder.decode(decodePDFRawStream(stream).decode()) : '';
  const lookupDict = (value: unknown) => {
    const object = value && doc.context.lookup(value as never);
    return object instanceof PDFDict ? object : undefined;
  };
  const unicodeMaps = new Map<PdfDict, Map<number, string>>();
  const unicodeMap = (font: PdfDict) => {
    let map = unicodeMaps.get(font);
    if (map) return map;
    map = new Map();
    const cmap = streamText(doc.context.lookup(font.get(PDFName.of('ToUnicode'))!));
    for (const [, gid, hex] of cmap.matchAll(/<([0-9a-fA-F]{4})>\s*<([0-9a-fA-F]*)>/g)) {
      const units = hex.match(/.{4}/g) ?? [];
      map.set(Number.parseInt(gid, 16), String.fromCharCode(...units.map((u) => Number.parseInt(u, 16))));
    }
    unicodeMaps.set(font, map);
    return map;
  };
  const out: DrawnGlyph[] = [];
  const walk = (content: string, resources: PdfDict | undefined) => {
    const fonts = lookupDict(resources?.get(PDFName.of('Font')));
    const xobjects = lookupDict(resources?.get(PDFName.of('XObject')));
    let font: PdfDict | undefined;
    let x = 0;
    let y = 0;
    const ops =
      /\/([^\s/<>[\]()]+)\s+[-\d.]+\s+Tf|[-\d.]+\s+[-\d.]+\s+[-\d.]+\s+[-\d.]+\s+([-\d.]+)\s+([-\d.]+)\s+Tm|([-\d.]+)\s+([-\d.]+)\s+Td|<([0-9a-fA-F]*)>\s*Tj|\/([^\s/<>[\]()]+)\s+Do/g;
    for (const [, fontName, tmX, tmY, tdX, tdY, hex, xobject] of content.matchAll(ops)) {
      if (fontName) font = lookupDict(fonts?.get(PDFName.of(fontName)));
      else if (tmY) [x, y] = [Number(tmX), Number(tmY)];
      else if (tdY) [x, y] = [x + Number(tdX), y + Number(tdY)];
      else if (hex !== undefined && font) {
        const base = font.get(PDFName.of('BaseFont'));
        const map = unicodeMap(font);
        for (const code of hex.match(/.{4}/g) ?? []) {
          const gid = Number.parseInt(code, 16);
          out.push({ font: base instanceof PDFName ? base.decodeText() : '', gid, text: map.get(gid) ?? '', x, y });
        }
      } else if (xobject) {
        const stream = doc.context.lookup(xobjects?.get(PDFName.of(xobject)) as never);
        if (stream instanceof PDFRawStream && stream.dict.get(PDFName.of('Subtype')) === PDFName.of('Form')) {
          walk(streamText(stream), lookupDict(stream.dict.get(PDFName.of('Resources'))));
        }
      }
    }
  };
  for (const page of doc.getPages()) {
    const contents = page.node.get(PDFName.of('Contents'));
    const resolved = contents && doc.context.lookup(contents);
    const streams =
      resolved instanceof PDFArray ? resolved.asArray().map((ref) => doc.context.lookup(ref)) : [resolved];
    walk(streams.map(streamText).join('\n'), page.node.Resources());
  }
  return out;
};

/** A 1×1 PNG and a 1×1 JPEG, base64. */
export const PNG_1PX =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
export const JPEG_1PX =
  '/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=';
