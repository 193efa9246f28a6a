import { CRC32_START, crc32Final, crc32Update } from './crc32';
import { deflateRaw } from './deflate';

/**
 * Text (whole, or in pieces from a generator, encoded as they come), bytes, or pieces of bytes (for a
 * producer that writes UTF-8 itself, such as the XLSX sheet writer). Text pieces are gathered into
 * ~64 K-character chunks before they are encoded, so a part produced row by row is never held whole,
 * neither as text nor as bytes. A byte piece has been read (a stored entry keeps a copy) by the time
 * the next one is asked for, so its producer may refill the same buffer.
 */
export type ZipContent = string | Uint8Array | Iterable<string | Uint8Array>;

export interface ZipAddOptions {
  /** Keep the bytes as they are (method 0): for PNG/JPEG and other data deflate cannot shrink. */
  store?: boolean;
}

/** An entry copied from another archive as it is stored (an `ArchiveEntry` of the reader fits). */
export interface RawZipEntry {
  /** 0 stored, 8 deflated. */
  method: 0 | 8;
  /** CRC-32 of the inflated content. */
  crc: number;
  /** Inflated size. */
  size: number;
  /** The stored bytes (compressed for method 8). */
  data: Uint8Array;
}

interface WrittenEntry {
  name: Uint8Array;
  method: 0 | 8;
  crc: number;
  compressedSize: number;
  size: number;
  offset: number;
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_DIRECTORY = 0x06054b50;
/** Version needed to extract: 2.0 (deflate). */
const VERSION = 20;
/** General-purpose flag bit 11: names are UTF-8. */
const FLAG_UTF8 = 0x0800;
/** DOS date 1980-01-01 00:00: a fixed timestamp keeps the output a function of the content only. */
const DOS_DATE = (1 << 5) | 1;
const CHUNK_CHARS = 64 * 1024;
const CHUNK_BYTES = 64 * 1024;

/**
 * The content as byte chunks: bytes in 64 KiB views, text encoded ~64 K characters at a time, byte
 * pieces as they come.
 */
function* chunksOf(content: ZipContent, encoder: TextEncoder): Generator<Uint8Array> {
  if (content instanceof Uint8Array) {
    for (let at = 0; at < content.length; at += CHUNK_BYTES) yield content.subarray(at, at + CHUNK_BYTES);
    return;
  }
  let buffer = '';
  for (const piece of typeof content === 'string' ? [content] : content) {
    if (typeof piece !== 'string') {
      if (buffer.length > 0) yield encoder.encode(buffer);
      buffer = '';
      if (piece.length > 0) yield piece;
      continue;
    }
    buffer += piece;
    if (buffer.length >= CHUNK_CHARS) {
      yield encoder.encode(buffer);
      buffer = '';
    }
  }
  if (buffer.length > 0) yield encoder.encode(buffer);
}

/**
 * A write-only ZIP archive, held as compressed chunks: each entry is deflated (natively, see
 * `deflateRaw`) while it is produced, so a large part never exists uncompressed in memory as a whole. Memory ≈ the compressed output plus one chunk.
 * No ZIP64: meant for archives well below 4 GB and 65,535 entries.
 */
export class ZipWriter {
  private readonly parts: Uint8Array[] = [];
  private readonly entries: WrittenEntry[] = [];
  private offset = 0;
  private finished = false;
  private readonly encoder = new TextEncoder();

  /** Adds a file: deflated, or stored with `store`. Strings are UTF-8 encoded. */
  async add(path: string, content: ZipContent, options: ZipAddOptions = {}): Promise<void> {
    this.assertOpen();
    if (options.store) {
      let crc = CRC32_START;
      let size = 0;
      const data: Uint8Array[] = [];
      const pieces = !(content instanceof Uint8Array);
      for (const chunk of chunksOf(content, this.encoder)) {
        crc = crc32Update(crc, chunk);
        size += chunk.length;
        data.push(pieces ? chunk.slice() : chunk);
      }
      this.entry(path, { method: 0, crc: crc32Final(crc), size }, data, size);
      return;
    }
    const { compressed, compressedSize, crc, size } = await deflateRaw(chunksOf(content, this.encoder));
    this.entry(path, { method: 8, crc, size }, compressed, compressedSize);
  }

  /** Adds an entry copied as it is from another archive (already compressed, CRC known). */
  addRaw(path: string, raw: RawZipEntry): void {
    this.assertOpen();
    this.entry(path, raw, [raw.data], raw.data.length);
  }

  /** The archive: local entries, then the central directory. The writer cannot be used after. */
  finish(): Uint8Array {
    this.assertOpen();
    this.finished = true;
    const start = this.offset;
    for (const entry of this.entries) {
      const record = new Uint8Array(46 + entry.name.length);
      const view = new DataView(record.buffer);
      view.setUint32(0, CENTRAL_HEADER, true);
      view.setUint16(4, VERSION, true); // version made by
      view.setUint16(6, VERSION, true); // version needed
      view.setUint16(8, FLAG_UTF8, true);
      view.setUint16(10, entry.method, true);
      view.setUint16(12, 0, true); // time
      view.setUint16(14, DOS_DATE, true);
      view.setUint32(16, entry.crc, true);
      view.setUint32(20, entry.compressedSize, true);
      view.setUint32(24, entry.size, true);
      view.setUint16(28, entry.name.length, true);
      view.setUint32(42, entry.offset, true);
      record.set(entry.name, 46);
      this.push(record);
    }
    const end = new Uint8Array(22);
    const view = new DataView(end.buffer);
    view.setUint32(0, END_OF_DIRECTORY, true);
    view.setUint16(8, this.entries.length, true);
    view.setUint16(10, this.entries.length, true);
    view.setUint32(12, this.offset - start, true);
    view.setUint32(16, start, true);
    this.push(end);
    const out = new Uint8Array(this.offset);
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.length;
    }
    this.parts.length = 0;
    return out;
  }

  private entry(
    path: string,
    { method, crc, size }: Omit<RawZipEntry, 'data'>,
    data: Uint8Array[],
    compressedSize: number,
  ) {
    const name = this.encoder.encode(path);
    const header = new Uint8Array(30 + name.length);
    const view = new DataView(header.buffer);
    view.setUint32(0, LOCAL_HEADER, true);
    view.setUint16(4, VERSION, true);
    view.setUint16(6, FLAG_UTF8, true);
    view.setUint16(8, method, true);
    view.setUint16(10, 0, true); // time
    view.setUint16(12, DOS_DATE, true);
    view.setUint32(14, crc, true);
    view.setUint32(18, compressedSize, true);
    view.setUint32(22, size, true);
    view.setUint16(26, name.length, true);
    header.set(name, 30);
    this.entries.push({ name, method, crc, compressedSize, size, offset: this.offset });
    this.push(header);
    for (const part of data) this.push(part);
  }

  private push(part: Uint8Array) {
    this.parts.push(part);
    this.offset += part.length;
  }

  private assertOpen() {
    if (this.finished) throw new Error('ZipWriter: the archive is already finished');
  }
}
