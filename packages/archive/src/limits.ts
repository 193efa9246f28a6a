/**
 * Caps for reading an untrusted archive (DOCX, XLSX, PPTX, ZIP). Every entry is checked against them
 * from the central directory before anything is inflated, and the inflated bytes are counted while
 * inflating, so a header that lies stops the read as soon as the output passes what it declared.
 */
export interface ArchiveLimits {
  /** Entries in the central directory (directories included). */
  maxEntries: number;
  /** Inflated bytes of one entry. */
  maxEntryBytes: number;
  /** Inflated bytes of all entries together. */
  maxTotalBytes: number;
  /** Inflated size over compressed size, for entries larger than `ratioFromBytes`. */
  maxRatio: number;
  /** Entries up to this inflated size are exempt from the ratio (small parts compress wildly). */
  ratioFromBytes: number;
}

const MiB = 1024 * 1024;

/**
 * Why these numbers:
 * - 2,000 entries: Office files hold tens to a few hundred parts (a 200-slide deck about 1,000), and
 *   each entry costs a directory record in memory; ZIP bombs built from many entries need far more.
 * - 50 MB per entry: the largest part a reader turns into a string (a long document.xml) is held once
 *   as bytes and once as text, which must fit in a Worker's 128 MB with room to parse it. Callers
 *   that parse a part into larger structures pass a lower `maxBytes` to the read.
 * - 100 MB in total: entries are inflated one at a time and never held together, so the total bounds
 *   the CPU time of reading (about a second of native inflate), not memory.
 * - 200:1 above 1 MB: XML compresses 5–30:1, very repetitive sheet XML up to about 150:1, images about
 *   1:1; DEFLATE's own maximum is about 1,032:1, which is what bombs use. Below 1 MB a part cannot
 *   hurt whatever its ratio, and small repetitive parts (styles, empty sheets) often pass 200:1.
 */
export const DEFAULT_ARCHIVE_LIMITS: Readonly<ArchiveLimits> = Object.freeze({
  maxEntries: 2000,
  maxEntryBytes: 50 * MiB,
  maxTotalBytes: 100 * MiB,
  maxRatio: 200,
  ratioFromBytes: 1 * MiB,
});

export const resolveLimits = (overrides: Partial<ArchiveLimits> = {}): ArchiveLimits => {
  const limits = { ...DEFAULT_ARCHIVE_LIMITS };
  for (const [key, value] of Object.entries(overrides) as [keyof ArchiveLimits, number | undefined][]) {
    if (value === undefined) continue;
    // Infinity is allowed: archives the platform wrote itself need no ratio cap.
    if (Number.isNaN(value) || value < 0) throw new RangeError(`Archive limit ${key} must be a number ≥ 0`);
    limits[key] = value;
  }
  return limits;
};
