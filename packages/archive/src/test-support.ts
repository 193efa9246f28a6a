/**
 * Builds real ZIP archives for tests, including hostile ones: bombs whose content is a long run of one
 * byte (streamed through CompressionStream, never allocated whole), headers that lie about sizes,
 * names with path tricks, duplicates and thousands of entries.
 */
import { CRC32_START, crc32Final, crc32Update } from './crc32';
import { deflateRaw } from './deflate';

/** `length` copies of `byte`, produced in 1 MiB pieces. */
export interface RepeatedByte {
  byte: number;
  length: number;
}

/** Content compressed beforehand (see `deflate`), to put one bomb into several archives cheaply. */
export interface Deflated {
  deflated: Uint8Array;
  crc: number;
  size: number;
}

export interface ZipEntrySpec {
  name: string;
  content: string | Uint8Array | RepeatedByte | Deflated;
  /** 8 (deflate, default) or 0 (stored). Deflated content is always 8. */
  method?: 0 | 8;
  /** What the headers say the inflated size is, instead of the truth. */
  declaredSize?: number;
  /** General-purpose flags, e.g. 1 (encrypted). */
  flags?: number;
  /** Compression method written in the headers instead of `method` (e.g. 12, bzip2). */
  declaredMethod?: number;
}

const PIECE = 1024 * 1024;

type Plain = Exclude<ZipEntrySpec['content'], Deflated>;

const pieces = function* (content: Plain): Generator<Uint8Array> {
  if (typeof content === 'string') yield new TextEncoder().encode(content);
  else if (content instanceof Uint8Array) yield content;
  else {
    const piece = new Uint8Array(Math.min(PIECE, content.length)).fill(content.byte);
    for (let left = content.length; left > 0; left -= piece.length) {
      yield left >= piece.length ? piece : piece.subarray(0, left);
    }
  }
};

const isDeflated = (content: ZipEntrySpec['content']): content is Deflated =>
  typeof content === 'object' && 'deflated' in content;

/** Raw-deflates the content as it is produced (never holding it whole); returns the bytes, CRC and size. */
export const deflate = async (content: Plain): Promise<Deflated> => {
  const { data, crc, size } = await compress(content, 8);
  return { deflated: data, crc, size };
};

const compress = async (content: ZipEntrySpec['content'], method: 0 | 8) => {
  if (isDeflated(content)) return { data: content.deflated, crc: content.crc, size: content.size };
  if (method === 8) {
    const { compressed, crc, size } = await deflateRaw(pieces(content));
    return { data: concat(compressed), crc, size };
  }
  const chunks = [...pieces(content)];
  let crc = CRC32_START;
  let size = 0;
  for (const chunk of chunks) {
    crc = crc32Update(crc, chunk);
    size += chunk.length;
  }
  return { data: concat(chunks), crc: crc32Final(crc), size };
};

const concat = (chunks: Uint8Array[]) => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
};

/** A ZIP archive with the given entries, in order; sizes and flags as the specs say (lies included). */
export const buildZip = async (specs: ZipEntrySpec[]): Promise<Uint8Array> => {
  const encoder = new TextEncoder();
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const spec of specs) {
    const method = isDeflated(spec.content) ? 8 : (spec.method ?? 8);
    const { data, crc, size } = await compress(spec.content, method);
    const name = encoder.encode(spec.name);
    const declared = spec.declaredSize ?? size;
    const headerMethod = spec.declaredMethod ?? method;
    const flags = (spec.flags ?? 0) | 0x0800;

    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(6, flags, true);
    lv.setUint16(8, headerMethod, true);
    lv.setUint16(12, 0x21, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, data.length, true);
    lv.setUint32(22, declared, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);

    const central = new Uint8Array(46 + name.length);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(8, flags, true);
    cv.setUint16(10, headerMethod, true);
    cv.setUint16(14, 0x21, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, data.length, true);
    cv.setUint32(24, declared, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    central.set(name, 46);

    locals.push(local, data);
    centrals.push(central);
    offset += local.length + data.length;
  }
  const directorySize = centrals.reduce((n, c) => n + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, specs.length, true);
  ev.setUint16(10, specs.length, true);
  ev.setUint32(12, directorySize, true);
  ev.setUint32(16, offset, true);
  return concat([...locals, ...centrals, end]);
};

const MiB = 1024 * 1024;

/** The smallest parts Word needs besides the body. */
const DOCX_FRAME: ZipEntrySpec[] = [
  {
    name: '[Content_Types].xml',
    content:
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
  },
  {
    name: '_rels/.rels',
    content:
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
  },
];

/** A small, valid document.xml with one paragraph (and `{{placeholder}}`s if the text has them). */
export const documentXml = (text: string) =>
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>' +
  `<w:p><w:r><w:t>${text}</w:t></w:r></w:p></w:body></w:document>`;

/** A DOCX made of the frame, the given document.xml (a spec or text) and extra entries. */
export const buildDocx = (body: ZipEntrySpec | string, extra: ZipEntrySpec[] = []) =>
  buildZip([
    ...DOCX_FRAME,
    typeof body === 'string' ? { name: 'word/document.xml', content: documentXml(body) } : body,
    ...extra,
  ]);

/**
 * The bombs every archive path is tested with; one 100 MB compression (about 0.5 s) serves them all,
 * so build them once per test file:
 * - `honest`: word/document.xml is 100 MB of one byte (about 100 KB compressed), its size declared;
 * - `lying`: the same document.xml, declaring 1 KB;
 * - `lyingMedia`: a valid body with a placeholder, and a media entry that declares 1 KB but inflates
 *   to 100 MB (readers that inflate only the text parts never meet it);
 * - `stylesBomb`: a valid body, and word/styles.xml of 100 MB, declared;
 * - `manyEntries`: a valid body among 3,000 tiny entries;
 * - `parentPath`: a valid body and an entry named `../evil.xml`.
 */
export const buildBombs = async () => {
  const run = await deflate({ byte: 0x61, length: 100 * MiB });
  const body = { name: 'word/document.xml', content: documentXml('Dear {{client}}') };
  return {
    run,
    honest: await buildDocx({ name: 'word/document.xml', content: run }),
    lying: await buildDocx({ name: 'word/document.xml', content: run, declaredSize: 1024 }),
    lyingMedia: await buildDocx(body, [{ name: 'word/media/image1.png', content: run, declaredSize: 1024 }]),
    stylesBomb: await buildDocx(body, [{ name: 'word/styles.xml', content: run }]),
    manyEntries: await buildDocx(
      body,
      Array.from({ length: 3000 }, (_, i) => ({ name: `word/parts/p${i}.xml`, content: '<x/>' })),
    ),
    parentPath: await buildDocx(body, [{ name: '../evil.xml', content: '<x/>' }]),
  };
};

/** The error `fn` throws (sync or async), for toMatchObject. */
// biome-ignore lint/suspicious/noExplicitAny: tests read whatever fields the error has
export const failure = async (fn: () => unknown): Promise<any> => {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
};

/** Bytes that barely compress (a linear congruential sequence). */
export const noise = (length: number, seed = 12345) => {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
};
