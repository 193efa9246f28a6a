import { describe, expect, it } from 'vitest';
import { escapeXml, xmlSafe } from './xml';
import { XmlChunks } from './xml-bytes';

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** Everything the writer hands on, copied as each chunk comes (as the ZIP writer reads it). */
const drain = (out: XmlChunks): Uint8Array => {
  const parts = [...out.end()].map((chunk) => chunk.slice());
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
};

const TEXTS = [
  '',
  'plain ASCII',
  `<a href="x">&amp; 'quoted' > done</a>`,
  'Zürich, São Paulo, Ærøskøbing, Łódź',
  '東京 데이터 你好，世界',
  'rocket 🚀, astronaut 👩‍💻, thumbs 👍🏽',
  '\u007f\u0080\u07ff\u0800\ufffd\ud800\udc00\udbff\udfff',
  'line one\nline two\ttabbed\r',
  'x'.repeat(5_000),
  `${'é'.repeat(1_500)}${'"'.repeat(700)}${'😀'.repeat(900)}`,
];

describe('XmlChunks', () => {
  it('writes escaped UTF-8 exactly as escapeXml and TextEncoder would, across chunk boundaries', () => {
    for (const chunkBytes of [16, 1_000, 64 * 1024]) {
      const out = new XmlChunks(chunkBytes);
      let expected = '';
      for (const text of TEXTS) {
        out.ascii('<t>');
        out.text(xmlSafe(text));
        out.ascii('</t>');
        expected += `<t>${escapeXml(text)}</t>`;
      }
      expect(decoder.decode(drain(out))).toBe(expected);
    }
  });

  it('drops an unpaired surrogate rather than writing bytes that are not UTF-8', () => {
    const out = new XmlChunks(8);
    out.text('a\ud800b\udc00c\ud83d');
    expect(drain(out)).toEqual(encoder.encode('abc'));
  });

  it('writes non-negative integers as String() does', () => {
    const out = new XmlChunks(4);
    const numbers = [0, 7, 9, 10, 99, 100, 12_345, 1_000_000, 2_147_483_647];
    for (const n of numbers) {
      out.uint(n);
      out.ascii(',');
    }
    expect(decoder.decode(drain(out))).toBe(numbers.map((n) => `${n},`).join(''));
  });

  it('hands each filled chunk on once and writes into its buffer again afterwards', () => {
    const out = new XmlChunks(256);
    const buffers = new Set<ArrayBufferLike>();
    let written = '';
    let read = '';
    for (let row = 0; row < 2_000; row++) {
      const xml = `<row r="${row}"><c><v>${row * 3}</v></c></row>`;
      out.ascii(xml);
      written += xml;
      if (!out.hasFull) continue;
      for (const chunk of out.full()) {
        buffers.add(chunk.buffer);
        read += decoder.decode(chunk);
      }
    }
    for (const chunk of out.end()) read += decoder.decode(chunk);
    expect(read).toBe(written);
    // ~60 KB through 256-byte chunks: the one being written and the one handed on take turns.
    expect(written.length).toBeGreaterThan(200 * 256);
    expect(buffers.size).toBeLessThanOrEqual(2);
  });

  it('gives a text longer than a chunk a chunk of its own size', () => {
    const out = new XmlChunks(16);
    out.ascii('<t>');
    out.text('ü'.repeat(100));
    out.ascii('</t>');
    // The 16-byte chunk holding "<t>" is handed on; the text (and what follows) gets a larger one.
    const chunks = [...out.end()].map((chunk) => decoder.decode(chunk));
    expect(chunks).toEqual(['<t>', `${'ü'.repeat(100)}</t>`]);
  });
});
