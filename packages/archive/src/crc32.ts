let table: Int32Array | undefined;

const crcTable = (): Int32Array => {
  if (table) return table;
  table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
};

/** CRC-32 (ZIP's) over chunks: start with `CRC32_START`, feed each chunk, finish with `crc32Final`. */
export const CRC32_START = -1;

export const crc32Update = (state: number, bytes: Uint8Array): number => {
  const t = crcTable();
  let c = state;
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return c;
};

export const crc32Final = (state: number): number => (state ^ -1) >>> 0;

export const crc32 = (bytes: Uint8Array): number => crc32Final(crc32Update(CRC32_START, bytes));
