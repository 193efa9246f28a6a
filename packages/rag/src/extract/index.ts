import { AppError } from '@flowspark/core';
import type { Extraction, KbFileType } from '../types';
import { extractCsv } from './csv';
import { extractDocx } from './docx';
import { extractHtml } from './html';
import { extractMarkdown } from './markdown';
import { extractPdf } from './pdf';
import { extractPlainText } from './text';

/**
 * Text and structure of a file whose type `detectFileType` decided. Throws AppError UNPROCESSABLE
 * with `details.reason` ENCRYPTED | CORRUPT | EMPTY | NO_TEXT, PAYLOAD_TOO_LARGE (reason TOO_LARGE,
 * or ARCHIVE_TOO_LARGE for a DOCX past the archive caps) past the extraction limits, or
 * ARCHIVE_UNSAFE for a DOCX the archive reader refuses. pdf.js loads only for PDFs.
 */
export const extract = async (bytes: Uint8Array, type: KbFileType): Promise<Extraction> => {
  switch (type) {
    case 'pdf':
      return extractPdf(bytes);
    case 'docx':
      return extractDocx(bytes);
    case 'html':
      return extractHtml(bytes);
    case 'markdown':
      return extractMarkdown(bytes);
    case 'csv':
      return extractCsv(bytes);
    case 'text':
      return extractPlainText(bytes);
    default:
      // Only reachable from untyped callers.
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', `Unsupported document type: ${String(type satisfies never)}`);
  }
};
