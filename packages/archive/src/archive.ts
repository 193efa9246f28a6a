import { CRC32_START, crc32Final, crc32Update } from './crc32';
import { ArchiveLimitError, ArchiveUnsafeError, formatBytes, shownName } from './errors';
import { InflateFailed, InflateLimitExceeded, inflateRaw } from './inflate';
import { type ArchiveLimits, resolveLimits } from './limits';

/** One entry of the archive as its central directory describes it (checked against the caps). */
export interface ArchiveEntry {
  readonly name: string;
  /** A folder entry (name ends with `/`): no content. */
  readonly directory: boolean;
  /** 0 stored, 8 deflated. */
  readonly method: 0 | 8;
  /** CRC-32 of the inflated content, as declared. */
  readonly crc: number;
  readonly compressedSize: number;
  /** Inflated size as declared; reading enforces it. */
  readonly size: number;
  /** The entry's bytes as stored (compressed for method 8): a view into the archive, not a copy. */
  readonly data: Uint8Array;
}

export interface ReadOptions {
  /** A lower cap than the archive's per-entry cap, for parts the caller turns into larger structures. */
  maxBytes?: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const EOCD_BYTES = 22;
const MAX_COMMENT = 0xffff;

const FLAG_ENCRYPTED = 0x0001;
const FLAG_STRONG_ENCRYPTION = 0x0040;
const FLAG_MASKED_DIRECTORY = 0x2000;
const METHOD_AES = 99;

const ZIP_SIGNATURE = [0x50, 0x4b, 0x03, 0x04];

/** Whether the bytes start like a ZIP archive (a local file header). Says nothing about safety. */
export const looksLikeZip = (bytes: Uint8Array): boolean => ZIP_SIGNATURE.every((b, i) => bytes[i] === b);

const corrupt = (message: string, entry?: string) =>
  new ArchiveUnsafeError('corrupt', `The archive is damaged: ${message}`, { entry });

const unsupportedFormat = (what: string) =>
  new ArchiveUnsafeError('unsupported_format', `${what} archives are not supported`);

const findEndRecord = (bytes: Uint8Array, view: DataView): number => {
  const lowest = Math.max(0, bytes.length - EOCD_BYTES - MAX_COMMENT);
  for (let at = bytes.length - EOCD_BYTES; at >= lowest; at--) {
    if (view.getUint32(at, true) !== EOCD) continue;
    // A signature inside the comment would claim a comment running past the end.
    if (at + EOCD_BYTES + view.getUint16(at + 20, true) <= bytes.length) return at;
  }
  return -1;
};

const checkName = (name: string) => {
  const shown = shownName(name);
  if (name.length === 0 || name.includes('\u0000')) {
    throw new ArchiveUnsafeError('invalid_name', 'The archive has an entry with an empty or invalid name', {
      entry: name,
    });
  }
  if (/^[\\/]/.test(name) || /^[A-Za-z]:/.test(name)) {
    throw new ArchiveUnsafeError('absolute_path', `The entry ${shown} has an absolute path`, { entry: name });
  }
  if (name.split(/[\\/]/).includes('..')) {
    throw new ArchiveUnsafeError('parent_path', `The entry ${shown} points outside the archive (..)`, {
      entry: name,
    });
  }
};

interface Located extends ArchiveEntry {
  headerStart: number;
  dataEnd: number;
}

/**
 * Reads and checks the central directory of an untrusted ZIP archive without inflating anything:
 * entry count, declared sizes (per entry, in total, compression ratio), names (absolute paths, `..`,
 * duplicates ignoring case), encryption, methods, and that every entry's local header agrees with the
 * directory and its data lies inside the archive without overlapping another's. Throws
 * ArchiveLimitError (413) or ArchiveUnsafeError (422). Synchronous and cheap: O(entries).
 */
export const openArchive = (bytes: Uint8Array, overrides: Partial<ArchiveLimits> = {}): Archive => {
  const limits = resolveLimits(overrides);
  if (bytes.length < EOCD_BYTES) throw corrupt('it is not a ZIP archive');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = findEndRecord(bytes, view);
  if (end < 0) throw corrupt('it is not a ZIP archive (no end of central directory)');

  const disk = view.getUint16(end + 4, true);
  const directoryDisk = view.getUint16(end + 6, true);
  const entriesHere = view.getUint16(end + 8, true);
  const count = view.getUint16(end + 10, true);
  const directorySize = view.getUint32(end + 12, true);
  const directoryStart = view.getUint32(end + 16, true);
  if (count === 0xffff || directorySize === 0xffffffff || directoryStart === 0xffffffff) {
    throw unsupportedFormat('ZIP64');
  }
  if (disk !== 0 || directoryDisk !== 0 || entriesHere !== count) throw unsupportedFormat('Multi-disk');
  if (count > limits.maxEntries) throw new ArchiveLimitError('entries', limits.maxEntries, count);
  const directoryEnd = directoryStart + directorySize;
  if (directoryEnd > end) throw corrupt('the central directory lies outside the archive');

  const decoder = new TextDecoder();
  const located: Located[] = [];
  const seen = new Set<string>();
  let total = 0;
  let at = directoryStart;
  for (let i = 0; i < count; i++) {
    if (at + 46 > directoryEnd || view.getUint32(at, true) !== CENTRAL) {
      throw corrupt('the central directory is truncated or has a bad record');
    }
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    const compressedSize = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const startDisk = view.getUint16(at + 34, true);
    const headerStart = view.getUint32(at + 42, true);
    const nameStart = at + 46;
    at = nameStart + nameLength + extraLength + commentLength;
    if (at > directoryEnd) throw corrupt('the central directory is truncated');
    const nameBytes = bytes.subarray(nameStart, nameStart + nameLength);
    const name = decoder.decode(nameBytes);
    const shown = shownName(name);

    checkName(name);
    const key = name.replaceAll('\\', '/').toLowerCase();
    if (seen.has(key)) {
      throw new ArchiveUnsafeError('duplicate_name', `The archive has two entries named ${shown}`, { entry: name });
    }
    seen.add(key);
    if (flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION | FLAG_MASKED_DIRECTORY) || method === METHOD_AES) {
      throw new ArchiveUnsafeError('encrypted', `The entry ${shown} is encrypted`, { entry: name });
    }
    if (compressedSize === 0xffffffff || size === 0xffffffff || headerStart === 0xffffffff) {
      throw unsupportedFormat('ZIP64');
    }
    if (startDisk !== 0) throw unsupportedFormat('Multi-disk');
    if (method !== 0 && method !== 8) {
      throw new ArchiveUnsafeError(
        'unsupported_method',
        `The entry ${shown} uses compression method ${method}; only stored and deflate are read`,
        { entry: name, details: { method } },
      );
    }
    if (size > limits.maxEntryBytes) throw new ArchiveLimitError('entry_bytes', limits.maxEntryBytes, size, name);
    if (method === 0 && size !== compressedSize) {
      throw new ArchiveUnsafeError(
        'size_mismatch',
        `The entry ${shown} is stored uncompressed but declares ${size} bytes for ${compressedSize}`,
        { entry: name },
      );
    }
    if (size > limits.ratioFromBytes && size > compressedSize * limits.maxRatio) {
      throw new ArchiveLimitError('ratio', limits.maxRatio, Math.round(size / Math.max(1, compressedSize)), name);
    }
    total += size;

    // The local header must agree with the directory: readers that walk local headers see the same file.
    if (headerStart + 30 > directoryStart || view.getUint32(headerStart, true) !== LOCAL) {
      throw corrupt(`the entry ${shown} has no local header where the directory says`, name);
    }
    if (view.getUint16(headerStart + 6, true) & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION)) {
      throw new ArchiveUnsafeError('encrypted', `The entry ${shown} is encrypted`, { entry: name });
    }
    const localNameLength = view.getUint16(headerStart + 26, true);
    const localExtraLength = view.getUint16(headerStart + 28, true);
    const localName = bytes.subarray(headerStart + 30, headerStart + 30 + localNameLength);
    if (localNameLength !== nameLength || !localName.every((b, j) => b === nameBytes[j])) {
      throw corrupt(`the local header of ${shown} names another entry`, name);
    }
    const dataStart = headerStart + 30 + localNameLength + localExtraLength;
    const dataEnd = dataStart + compressedSize;
    if (dataEnd > directoryStart) throw corrupt(`the data of ${shown} runs past the entries`, name);
    located.push({
      name,
      directory: name.endsWith('/'),
      method: method as 0 | 8,
      crc,
      compressedSize,
      size,
      data: bytes.subarray(dataStart, dataEnd),
      headerStart,
      dataEnd,
    });
  }
  if (total > limits.maxTotalBytes) throw new ArchiveLimitError('total_bytes', limits.maxTotalBytes, total);

  const byOffset = [...located].sort((a, b) => a.headerStart - b.headerStart);
  for (let i = 1; i < byOffset.length; i++) {
    const previous = byOffset[i - 1]!;
    if (byOffset[i]!.headerStart < previous.dataEnd) {
      throw new ArchiveUnsafeError(
        'overlapping_entries',
        `The entries ${shownName(previous.name)} and ${shownName(byOffset[i]!.name)} overlap`,
        { entry: byOffset[i]!.name },
      );
    }
  }
  return new Archive(
    located.map(({ headerStart: _h, dataEnd: _d, ...entry }) => entry),
    limits,
  );
};

/**
 * A checked archive. Reads inflate one entry at a time, streaming, and stop as soon as the output
 * passes the entry's declared size (itself within the caps): a lying header costs at most a few MB,
 * and since the declared sizes fit the total cap, so does everything actually inflated.
 */
export class Archive {
  readonly entries: readonly ArchiveEntry[];
  readonly limits: Readonly<ArchiveLimits>;
  private readonly byName: Map<string, ArchiveEntry>;

  constructor(entries: ArchiveEntry[], limits: ArchiveLimits) {
    this.entries = entries;
    this.limits = limits;
    this.byName = new Map(entries.map((e) => [e.name, e]));
  }

  get(name: string): ArchiveEntry | undefined {
    return this.byName.get(name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /**
   * The entry's inflated bytes, held once (allocated at its declared size, checked before). A stored
   * entry comes back as a view into the archive: do not change it.
   */
  async read(entry: ArchiveEntry, options: ReadOptions = {}): Promise<Uint8Array> {
    const cap = Math.min(this.limits.maxEntryBytes, options.maxBytes ?? Number.POSITIVE_INFINITY);
    if (entry.size > cap) throw new ArchiveLimitError('entry_bytes', cap, entry.size, entry.name);
    if (entry.method === 0) {
      checkCrc(entry, crc32Final(crc32Update(CRC32_START, entry.data)));
      return entry.data;
    }
    const out = new Uint8Array(entry.size);
    let crc = CRC32_START;
    await this.inflate(entry, (chunk, offset) => {
      out.set(chunk, offset);
      crc = crc32Update(crc, chunk);
    });
    checkCrc(entry, crc32Final(crc));
    return out;
  }

  /** The entry as UTF-8 text. */
  async readText(entry: ArchiveEntry, options: ReadOptions = {}): Promise<string> {
    return new TextDecoder().decode(await this.read(entry, options));
  }

  /**
   * Inflates every entry without keeping the output, so sizes and checksums are proven, not
   * declared. For uploads that are stored and read later in parts (templates).
   */
  async verify(): Promise<void> {
    for (const entry of this.entries) {
      if (entry.method === 0) {
        checkCrc(entry, crc32Final(crc32Update(CRC32_START, entry.data)));
        continue;
      }
      let crc = CRC32_START;
      await this.inflate(entry, (chunk) => {
        crc = crc32Update(crc, chunk);
      });
      checkCrc(entry, crc32Final(crc));
    }
  }

  private async inflate(entry: ArchiveEntry, onChunk: (chunk: Uint8Array, offset: number) => void) {
    const shown = shownName(entry.name);
    let produced: number;
    try {
      produced = await inflateRaw(entry.data, entry.size, onChunk);
    } catch (err) {
      if (err instanceof InflateLimitExceeded) {
        throw new ArchiveUnsafeError(
          'size_mismatch',
          `The entry ${shown} declares ${formatBytes(entry.size)} but inflates to more; reading stopped`,
          { entry: entry.name, details: { declared_bytes: entry.size, inflated_bytes: err.produced } },
        );
      }
      if (err instanceof InflateFailed) {
        throw new ArchiveUnsafeError('corrupt', `The archive is damaged: the data of ${shown} cannot be inflated`, {
          entry: entry.name,
          cause: err.cause,
        });
      }
      throw err;
    }
    if (produced !== entry.size) {
      throw new ArchiveUnsafeError(
        'size_mismatch',
        `The entry ${shown} declares ${formatBytes(entry.size)} but inflates to ${formatBytes(produced)}`,
        { entry: entry.name, details: { declared_bytes: entry.size, inflated_bytes: produced } },
      );
    }
  }
}

const checkCrc = (entry: ArchiveEntry, actual: number) => {
  if (actual !== entry.crc) {
    throw new ArchiveUnsafeError(
      'crc_mismatch',
      `The archive is damaged: ${shownName(entry.name)} fails its checksum`,
      {
        entry: entry.name,
      },
    );
  }
};
