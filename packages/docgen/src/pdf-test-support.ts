/**
 * Helpers for this package's tests (never imported by the package itself): fonts from the test
 * bucket, and the text of a PDF as a reader would get it.
 */
import { env } from 'cloudflare:workers';
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

/** A 1×1 PNG and a 1×1 JPEG, base64. */
export const PNG_1PX =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
export const JPEG_1PX =
  '/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=';
