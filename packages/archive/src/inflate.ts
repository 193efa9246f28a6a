/**
 * Streaming raw-DEFLATE inflation that stops as soon as the output passes a limit. The native
 * DecompressionStream inflates each written chunk completely before the reader sees any of it, so
 * the input is written in small slices: DEFLATE expands at most about 1,032:1, so one 4 KiB slice
 * yields at most about 4 MB, and no more than that is ever produced past the limit.
 */
const INPUT_SLICE_BYTES = 4 * 1024;

/** The output passed the limit; `produced` is how far it got before inflation stopped. */
export class InflateLimitExceeded extends Error {
  constructor(readonly produced: number) {
    super('Inflated output passed its limit');
    this.name = 'InflateLimitExceeded';
  }
}

/** The compressed data is not valid raw DEFLATE (or ends early). */
export class InflateFailed extends Error {
  constructor(cause: unknown) {
    super('Invalid DEFLATE data', { cause });
    this.name = 'InflateFailed';
  }
}

/**
 * Inflates `data` chunk by chunk into `onChunk`, never producing more than `limit` bytes plus one
 * slice's worth; returns the number of bytes produced. Throws InflateLimitExceeded or InflateFailed.
 */
export const inflateRaw = async (
  data: Uint8Array,
  limit: number,
  onChunk: (chunk: Uint8Array, offset: number) => void,
): Promise<number> => {
  const stream = new DecompressionStream('deflate-raw');
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  let writeFailure: unknown = null;
  const writing = (async () => {
    for (let at = 0; at < data.length; at += INPUT_SLICE_BYTES) {
      await writer.write(data.subarray(at, at + INPUT_SLICE_BYTES));
    }
    await writer.close();
  })().catch((err: unknown) => {
    writeFailure = err ?? new Error('write failed');
  });

  let produced = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const offset = produced;
      produced += value.byteLength;
      if (produced > limit) throw new InflateLimitExceeded(produced);
      onChunk(value, offset);
    }
  } catch (err) {
    await reader.cancel().catch(() => undefined);
    await writer.abort().catch(() => undefined);
    await writing;
    if (err instanceof InflateLimitExceeded) throw err;
    throw new InflateFailed(err);
  }
  await writing;
  if (writeFailure) throw new InflateFailed(writeFailure);
  return produced;
};
