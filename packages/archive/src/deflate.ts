import { CRC32_START, crc32Final, crc32Update } from './crc32';

export interface Deflation {
  /** The raw-DEFLATE output, in the pieces it was read in. */
  compressed: Uint8Array[];
  compressedSize: number;
  /** CRC-32 and size of the input. */
  crc: number;
  size: number;
}

const SCRATCH_BYTES = 64 * 1024;
/**
 * Scratch buffers of finished reads, for the next entries: a ZIP of many small parts (a deck) would
 * otherwise leave a 64 KiB buffer per entry for the garbage collector.
 */
const scratchBuffers: ArrayBuffer[] = [];
const MAX_SPARE_SCRATCH = 4;
/**
 * Whether a chunk has been compressed by the time its write resolves. The Compression Streams spec
 * compresses a chunk inside its write, and so does workerd. Node's CompressionStream is a zlib stream
 * behind an adapter whose write can resolve while zlib is still reading the chunk: a buffer refilled
 * after each write came out corrupted there, so in Node each chunk is copied before it is written.
 */
const WRITE_CONSUMES_CHUNK =
  (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent === 'Cloudflare-Workers';

type ByobReadable = ReadableStream<Uint8Array> & { getReader(options: { mode: 'byob' }): ReadableStreamBYOBReader };

/**
 * The compressed bytes. Where the readable is a byte stream (workerd) each piece is read into one
 * scratch buffer (the read hands it back) and kept as an exact copy. A default reader hands each
 * piece (a few KiB) in a buffer of its own, freed only by a later garbage collection: inside workerd
 * that cost ~3–4 MB more for the 4 MB output of a 100,000-row sheet (bench/workerd-render).
 * Elsewhere (Node) the pieces are kept as read.
 */
const collect = async (readable: ReadableStream<Uint8Array>, into: Uint8Array[]): Promise<number> => {
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = (readable as ByobReadable).getReader({ mode: 'byob' });
  } catch {
    byob = undefined;
  }
  let size = 0;
  if (!byob) {
    const reader = readable.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return size;
      into.push(value);
      size += value.length;
    }
  }
  let scratch = new Uint8Array(scratchBuffers.pop() ?? new ArrayBuffer(SCRATCH_BYTES));
  try {
    for (;;) {
      const { done, value } = await byob.read(scratch);
      if (value) {
        if (value.length > 0) into.push(value.slice());
        size += value.length;
        scratch = new Uint8Array(value.buffer);
      }
      if (done) return size;
    }
  } finally {
    // A failed read may have kept the buffer (it is detached then, of length 0).
    if (scratch.buffer.byteLength === SCRATCH_BYTES && scratchBuffers.length < MAX_SPARE_SCRATCH) {
      scratchBuffers.push(scratch.buffer);
    }
  }
};

/**
 * Raw-deflates the chunks as they come, natively through CompressionStream (which workerd and Node
 * both provide), so the input never needs to exist whole; the compressed output is collected. Each
 * chunk has been read before the next one is asked for, so a producer may refill the same buffer.
 */
export const deflateRaw = async (chunks: Iterable<Uint8Array>): Promise<Deflation> => {
  const stream = new CompressionStream('deflate-raw');
  const writer = stream.writable.getWriter();
  const compressed: Uint8Array[] = [];
  let compressedSize = 0;
  const reading = collect(stream.readable, compressed).then((size) => {
    compressedSize = size;
  });
  let crc = CRC32_START;
  let size = 0;
  try {
    for (const chunk of chunks) {
      crc = crc32Update(crc, chunk);
      size += chunk.length;
      await writer.write(WRITE_CONSUMES_CHUNK ? chunk : chunk.slice());
    }
    await writer.close();
    await reading;
  } catch (err) {
    await writer.abort(err).catch(() => {});
    throw err;
  }
  return { compressed, compressedSize, crc: crc32Final(crc), size };
};
