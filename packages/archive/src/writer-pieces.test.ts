import { describe, expect, it } from 'vitest';
import { openArchive, ZipWriter } from './index';

// Runs in Node and in workerd (vitest.config.ts), whose CompressionStreams differ in when a write
// is done with its chunk: the XLSX sheet writer refills one buffer and relies on this in both.

const encoder = new TextEncoder();

/**
 * Byte pieces written into one buffer that is refilled for every piece (sizes cycling through
 * `sizes`), with a text piece now and then; what was handed over is copied into `expected`.
 */
function* refilled(sizes: number[], count: number, expected: Uint8Array[]): Generator<string | Uint8Array> {
  const buffer = new Uint8Array(Math.max(...sizes));
  let seed = 7;
  for (let i = 0; i < count; i++) {
    const size = sizes[i % sizes.length]!;
    for (let j = 0; j < size; j++) {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      buffer[j] = 0x61 + ((seed >>> 16) % 4);
    }
    const piece = buffer.subarray(0, size);
    expected.push(piece.slice());
    yield piece;
    if (i % 9 === 0) {
      const text = `<row n="${i}">Zürich 東京 🚀</row>`;
      expected.push(encoder.encode(text));
      yield text;
    }
  }
}

/** Where `actual` first differs from the pieces joined (-1: nowhere); cheaper than toEqual on MBs. */
const firstDifference = (actual: Uint8Array, parts: Uint8Array[]): number => {
  let at = 0;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) if (actual[at + i] !== part[i]) return at + i;
    at += part.length;
  }
  return actual.length === at ? -1 : at;
};

const joined = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};

describe('ZipWriter with byte pieces', () => {
  it('deflates pieces of one refilled buffer as they were when handed over', async () => {
    const expected: Uint8Array[] = [];
    const zip = new ZipWriter();
    await zip.add('sheet.xml', refilled([100, 1_000, 20_000, 70_000], 120, expected));
    const archive = openArchive(zip.finish());
    await archive.verify();
    const entry = archive.get('sheet.xml')!;
    expect(entry.method).toBe(8);
    expect(firstDifference(await archive.read(entry), expected)).toBe(-1);
  });

  it('stores pieces of one refilled buffer as they were when handed over', async () => {
    const expected: Uint8Array[] = [];
    const zip = new ZipWriter();
    await zip.add('data.bin', refilled([300, 5_000], 30, expected), { store: true });
    const archive = openArchive(zip.finish());
    await archive.verify();
    expect(archive.get('data.bin')!.method).toBe(0);
    expect(await archive.read(archive.get('data.bin')!)).toEqual(joined(expected));
  });
});
