/**
 * What an upload for booklets is, read from its content (never its name): a PDF (its page count
 * and form fields) or an XLSX workbook (its sheets). Anything else is 415; a PDF or workbook that
 * cannot be read is 422 with the reason. Runs where the parsers live (the jobs Worker).
 */
import { openArchive } from '@flowspark/archive';
import { AppError } from '@flowspark/core';

export type UploadKind = 'pdf' | 'xlsx';

export interface UploadFormField {
  name: string;
  type: 'text' | 'checkbox' | 'dropdown' | 'radio' | 'other';
}

export type UploadInfo =
  | { kind: 'pdf'; page_count: number; form_fields: UploadFormField[] }
  | { kind: 'xlsx'; sheets: { name: string }[] };

const PDF_HEADER = [0x25, 0x50, 0x44, 0x46, 0x2d]; // %PDF-
const ZIP_HEADER = [0x50, 0x4b, 0x03, 0x04];
const startsWith = (bytes: Uint8Array, prefix: number[]) => prefix.every((b, i) => bytes[i] === b);

export const unsupportedUpload = () =>
  new AppError('UNSUPPORTED_MEDIA_TYPE', 'Only PDF files and XLSX workbooks can be uploaded (the content decides)', {
    details: { accepted: ['pdf', 'xlsx'] },
  });

const unreadable = (message: string, reason: string) => new AppError('UNPROCESSABLE', message, { details: { reason } });

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const decodeXml = (text: string) =>
  text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, e: string) =>
    e[0] === '#'
      ? String.fromCodePoint(e[1]?.toLowerCase() === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1)))
      : (XML_ENTITIES[e.toLowerCase()] ?? ''),
  );

const inspectPdf = async (bytes: Uint8Array): Promise<UploadInfo> => {
  const { PDFDocument } = await import('pdf-lib');
  let doc: Awaited<ReturnType<typeof PDFDocument.load>>;
  try {
    doc = await PDFDocument.load(bytes, { updateMetadata: false, ignoreEncryption: true });
  } catch {
    throw unreadable('The PDF is damaged and cannot be read', 'INVALID_PDF');
  }
  if (doc.isEncrypted) throw unreadable('The PDF is encrypted: upload a copy without a password', 'PDF_ENCRYPTED');
  const pageCount = doc.getPageCount();
  if (pageCount === 0) throw unreadable('The PDF has no pages', 'EMPTY_PDF');
  const { listPdfFormFields } = await import('@flowspark/docgen');
  const fields = await listPdfFormFields(bytes);
  return { kind: 'pdf', page_count: pageCount, form_fields: fields };
};

const inspectXlsx = async (bytes: Uint8Array): Promise<UploadInfo> => {
  // The directory is checked against the archive caps (413/422 for bombs and unsafe archives).
  const archive = openArchive(bytes);
  const workbook = archive.get('xl/workbook.xml');
  if (!workbook) throw unsupportedUpload();
  await archive.verify();
  const xml = await archive.readText(workbook);
  const sheets = [...xml.matchAll(/<(?:\w+:)?sheet\b[^>]*\bname="([^"]*)"/g)].map((m) => ({ name: decodeXml(m[1]!) }));
  if (sheets.length === 0) throw unreadable('The workbook has no sheets', 'EMPTY_WORKBOOK');
  return { kind: 'xlsx', sheets };
};

export const inspectUpload = async (bytes: Uint8Array): Promise<UploadInfo> => {
  if (startsWith(bytes, PDF_HEADER)) return inspectPdf(bytes);
  if (startsWith(bytes, ZIP_HEADER)) return inspectXlsx(bytes);
  throw unsupportedUpload();
};
