/**
 * A minimal PNG writer (8-bit RGB, no interlace) and a 5×7 bitmap font: enough for the offline
 * provider to draw a deterministic labelled image that every decoder accepts. Compression is the
 * platform's zlib (`CompressionStream('deflate')`), so no dependency is needed.
 */

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export const crc32 = (bytes: Uint8Array, crc = 0xffffffff): number => {
  let c = crc;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return c >>> 0;
};

const chunk = (type: string, data: Uint8Array): Uint8Array => {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, (crc32(out.subarray(4, 8 + data.length)) ^ 0xffffffff) >>> 0);
  return out;
};

const deflate = async (raw: Uint8Array): Promise<Uint8Array> => {
  const stream = new Blob([raw]).stream().pipeThrough(new CompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
};

/** An RGB raster whose rows already carry the PNG filter byte (0 = none) in front. */
export class Raster {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
  private readonly stride: number;

  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
    this.stride = 1 + width * 3;
    this.data = new Uint8Array(this.stride * height);
  }

  fillRect(x0: number, y0: number, w: number, h: number, rgb: readonly [number, number, number]): void {
    const xs = Math.max(0, Math.floor(x0));
    const ys = Math.max(0, Math.floor(y0));
    const xe = Math.min(this.width, Math.floor(x0 + w));
    const ye = Math.min(this.height, Math.floor(y0 + h));
    for (let y = ys; y < ye; y++) {
      let p = y * this.stride + 1 + xs * 3;
      for (let x = xs; x < xe; x++) {
        this.data[p++] = rgb[0];
        this.data[p++] = rgb[1];
        this.data[p++] = rgb[2];
      }
    }
  }

  async toPng(): Promise<Uint8Array> {
    const header = new Uint8Array(13);
    const view = new DataView(header.buffer);
    view.setUint32(0, this.width);
    view.setUint32(4, this.height);
    header[8] = 8; // bit depth
    header[9] = 2; // colour type: truecolour RGB
    const parts = [
      new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', header),
      chunk('IDAT', await deflate(this.data)),
      chunk('IEND', new Uint8Array(0)),
    ];
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }
}

// 5×7 glyphs: seven rows of five bits (left pixel = 0x10), as hex pairs.
// biome-ignore format: a compact glyph table reads better than one entry per line
const GLYPHS: Record<string, string> = {
  A: '0e11111f111111', B: '1e11111e11111e', C: '0e11101010110e', D: '1e11111111111e',
  E: '1f10101e10101f', F: '1f10101e101010', G: '0e11101711110f', H: '1111111f111111',
  I: '0e04040404040e', J: '0702020202120c', K: '11121418141211', L: '1010101010101f',
  M: '111b1515111111', N: '11111915131111', O: '0e11111111110e', P: '1e11111e101010',
  Q: '0e11111115120d', R: '1e11111e141211', S: '0f10100e01011e', T: '1f040404040404',
  U: '1111111111110e', V: '11111111110a04', W: '1111111515150a', X: '11110a040a1111',
  Y: '11110a04040404', Z: '1f01020408101f', '0': '0e11131519110e', '1': '040c040404040e',
  '2': '0e11010204081f', '3': '1f02040201110e', '4': '02060a121f0202', '5': '1f101e0101110e',
  '6': '0608101e11110e', '7': '1f010204080808', '8': '0e11110e11110e', '9': '0e11110f01020c',
  '.': '00000000000c0c', ',': '000000000c0408', '-': '0000001f000000', '!': '04040404040004',
  '?': '0e110102040004', ':': '000c0c000c0c00', "'": '04040800000000', ' ': '00000000000000',
};

/** The glyph of a character; accents are dropped (É → E), unknown characters become '?'. */
const glyphOf = (ch: string): string => {
  const base = ch
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[\u2010-\u2015\u2212]/u, '-')
    .replace(/[\u2018\u2019\u201c\u201d"`]/u, "'")
    .toUpperCase();
  return GLYPHS[base] ?? GLYPHS['?'];
};

/** Draws text with the 5×7 font, each font pixel a `scale`×`scale` square. */
export const drawText = (
  raster: Raster,
  text: string,
  x: number,
  y: number,
  scale: number,
  rgb: readonly [number, number, number],
): void => {
  let cx = x;
  for (const ch of text) {
    const glyph = glyphOf(ch);
    for (let row = 0; row < 7; row++) {
      const bits = Number.parseInt(glyph.slice(row * 2, row * 2 + 2), 16);
      for (let col = 0; col < 5; col++) {
        if (bits & (0x10 >> col)) raster.fillRect(cx + col * scale, y + row * scale, scale, scale, rgb);
      }
    }
    cx += 6 * scale;
  }
};

/** Word-wraps `text` into at most `maxLines` lines of `perLine` characters (the last one cut with …). */
export const wrapLabel = (text: string, perLine: number, maxLines: number): string[] => {
  if (perLine < 1 || maxLines < 1) return [];
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const piece = Array.from(word).slice(0, perLine).join('');
    if (current && Array.from(`${current} ${piece}`).length > perLine) {
      lines.push(current);
      current = piece;
      if (lines.length === maxLines) return lines;
    } else {
      current = current ? `${current} ${piece}` : piece;
    }
  }
  if (current && lines.length < maxLines) lines.push(current);
  return lines;
};
