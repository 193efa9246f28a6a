// @flowspark/archive: the one reader of untrusted ZIP archives (DOCX, XLSX, PPTX templates, knowledge-
// base files). It checks the central directory against caps before inflating anything and inflates
// with native streaming DecompressionStream, stopping as soon as an entry passes its declared size.
// Writing archives stays with the writers (JSZip, the streaming ZipWriter in docgen).
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
