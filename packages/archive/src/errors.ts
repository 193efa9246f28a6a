import { AppError, PayloadTooLargeError } from '@flowspark/core';

/** Which cap an archive passed. */
export type ArchiveCap = 'entries' | 'entry_bytes' | 'total_bytes' | 'ratio';

/** Why an archive cannot be read safely. */
export type ArchiveProblem =
  /** Not a ZIP archive, or its structure is damaged. */
  | 'corrupt'
  /** An entry is password-protected. */
  | 'encrypted'
  /** A compression method other than stored (0) or deflate (8). */
  | 'unsupported_method'
  /** ZIP64 or a multi-disk archive: never needed below the caps, so not read. */
  | 'unsupported_format'
  /** A name that starts at the root or a drive (`/x`, `C:\x`). */
  | 'absolute_path'
  /** A name that climbs out of the archive (`../x`). */
  | 'parent_path'
  /** An empty name or one with a NUL character. */
  | 'invalid_name'
  /** Two entries with the same name (ignoring case): readers would disagree on which one counts. */
  | 'duplicate_name'
  /** Entries whose data overlap (the trick of non-recursive bombs). */
  | 'overlapping_entries'
  /** An entry inflates to another size than its header declares. */
  | 'size_mismatch'
  /** An entry's checksum does not match its content. */
  | 'crc_mismatch';

const MiB = 1024 * 1024;

export const formatBytes = (bytes: number): string =>
  bytes >= MiB ? `${Math.round((bytes / MiB) * 10) / 10} MB` : `${bytes.toLocaleString('en-US')} bytes`;

/** Entry names come from the file: keep them short in messages. */
export const shownName = (name: string): string => (name.length > 120 ? `${name.slice(0, 117)}...` : name);

const limitMessage = (cap: ArchiveCap, limit: number, actual: number, entry?: string): string => {
  const where = entry ? `The entry ${shownName(entry)}` : 'The archive';
  switch (cap) {
    case 'entries':
      return `The archive has ${actual.toLocaleString('en-US')} entries; at most ${limit.toLocaleString('en-US')} are accepted`;
    case 'entry_bytes':
      return `${where} inflates to ${formatBytes(actual)}; at most ${formatBytes(limit)} per entry are accepted`;
    case 'total_bytes':
      return `The archive inflates to ${formatBytes(actual)} in total; at most ${formatBytes(limit)} are accepted`;
    case 'ratio':
      return `${where} is compressed ${actual.toLocaleString('en-US')}:1; at most ${limit}:1 is accepted for large entries`;
  }
};

/**
 * An archive past one of its caps: 413 PAYLOAD_TOO_LARGE with `details.reason` ARCHIVE_TOO_LARGE (a
 * job that meets it ends with that code), `cap`, `limit`, `actual` and the `entry` when one is to
 * blame. For `ratio`, limit and actual are ratios (x:1).
 */
export class ArchiveLimitError extends PayloadTooLargeError {
  readonly cap: ArchiveCap;
  readonly limit: number;
  readonly actual: number;
  readonly entry?: string;

  constructor(cap: ArchiveCap, limit: number, actual: number, entry?: string) {
    super(limitMessage(cap, limit, actual, entry), {
      reason: 'ARCHIVE_TOO_LARGE',
      cap,
      limit,
      actual,
      ...(entry === undefined ? {} : { entry }),
    });
    this.name = 'ArchiveLimitError';
    this.cap = cap;
    this.limit = limit;
    this.actual = actual;
    this.entry = entry;
  }
}

/** An archive that cannot be read safely: 422 ARCHIVE_UNSAFE with `details.problem` (and `entry`). */
export class ArchiveUnsafeError extends AppError {
  readonly problem: ArchiveProblem;
  readonly entry?: string;

  constructor(
    problem: ArchiveProblem,
    message: string,
    options: { entry?: string; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super('ARCHIVE_UNSAFE', message, {
      details: { problem, ...(options.entry === undefined ? {} : { entry: options.entry }), ...options.details },
      cause: options.cause,
    });
    this.name = 'ArchiveUnsafeError';
    this.problem = problem;
    this.entry = options.entry;
  }
}

export type ArchiveError = ArchiveLimitError | ArchiveUnsafeError;

export const isArchiveError = (err: unknown): err is ArchiveError =>
  err instanceof ArchiveLimitError || err instanceof ArchiveUnsafeError;
