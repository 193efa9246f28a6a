// @flowspark/archive: the one reader of untrusted ZIP archives (DOCX, XLSX, PPTX templates, knowledge-
// base files) and the streaming ZIP writer of the XLSX and PPTX renderers, over one CRC-32. The reader
// checks the central directory against caps before inflating anything and inflates with native
// streaming DecompressionStream, stopping as soon as an entry passes its declared size; the writer
// deflates each entry through CompressionStream while it is produced.
export { Archive, type ArchiveEntry, looksLikeZip, openArchive, type ReadOptions } from './archive';
export { crc32 } from './crc32';
export {
  type ArchiveCap,
  type ArchiveError,
  ArchiveLimitError,
  type ArchiveProblem,
  ArchiveUnsafeError,
  isArchiveError,
} from './errors';
export { type ArchiveLimits, DEFAULT_ARCHIVE_LIMITS } from './limits';
export { type RawZipEntry, type ZipAddOptions, type ZipContent, ZipWriter } from './writer';
