import { CRC32_START, crc32Final, crc32Update } from './crc32';

export interface Deflation {
  /** The raw-DEFLATE output, in the chunks CompressionStream produced. */
  compressed: Uint8Array[];
  compressedSize: number;
  /** CRC-32 and size of the input. */
  crc: number;
  size: number;
}

/**
 * Raw-deflates the chunks as they come, natively through CompressionStream (which workerd and Node
 * both provide), so the input never needs to exist whole; the compressed output is collected.
 */
export const deflateRaw = async (chunks: Iterable<Uint8Array>): Promise<Deflation> => {
  const stream = new CompressionStream('deflate-raw');
  const writer = stream.writable.getWriter();
  const compressed: Uint8Array[] = [];
  let compressedSize = 0;
  const reading = (async () => {
    const reader = stream.readable.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      compressed.push(value);
      compressedSize += value.length;
    }
  })();
  let crc = CRC32_START;
  let size = 0;
  try {
    for (const chunk of chunks) {
      crc = crc32Update(crc, chunk);
      size += chunk.length;
      await writer.write(chunk);
    }
    await writer.close();
    await reading;
  } catch (err) {
    await writer.abort(err).catch(() => {});
    throw err;
  }
  return { compressed, compressedSize, crc: crc32Final(crc), size };
};
