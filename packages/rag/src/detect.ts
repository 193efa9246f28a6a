import { isArchiveError, looksLikeZip, openArchive } from '@flowspark/archive';
import { guessDelimiter } from './extract/csv';
import { decodeUtf8 } from './normalize';
import type { KbFileType } from './types';

const startsWithAscii = (bytes: Uint8Array, text: string, at = 0) => {
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  return true;
};

const containsBytes = (bytes: Uint8Array, needle: Uint8Array) => {
  outer: for (let i = 0; i + needle.length <= bytes.length; i++) {
    for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
};

const DOCX_BODY = 'word/document.xml';

/**
 * A ZIP is a Word document when it holds word/document.xml. The safe reader's checked directory
 * answers; an archive it refuses (damaged, past its caps, unsafe) is still taken for a DOCX when the
 * name appears in clear in a local header, so the upload is accepted and extraction fails it with
 * the reader's reason instead of a misleading 415.
 */
const isDocx = (bytes: Uint8Array): boolean => {
  try {
    return openArchive(bytes).has(DOCX_BODY);
  } catch (err) {
    if (!isArchiveError(err)) throw err;
    return containsBytes(bytes, new TextEncoder().encode(DOCX_BODY));
  }
};

/** `%PDF-` within the first KiB: readers accept (and some producers write) a little junk before it. */
const isPdf = (bytes: Uint8Array) => {
  const limit = Math.min(bytes.length - 5, 1024);
  for (let i = 0; i <= limit; i++) if (bytes[i] === 0x25 && startsWithAscii(bytes, '%PDF-', i)) return true;
  return false;
};

/** Text must not look binary: no NUL, and hardly any other control characters. */
const looksBinary = (bytes: Uint8Array) => {
  let controls = 0;
  for (const b of bytes) {
    if (b === 0) return true;
    // Controls other than tab, LF, VT, FF, CR and ESC (ANSI colours in logs).
    if (b < 0x20 && b !== 9 && b !== 10 && b !== 11 && b !== 12 && b !== 13 && b !== 27) controls++;
  }
  return controls > Math.max(8, bytes.length / 100);
};

type Hint = KbFileType | null;

const extensionOf = (filename?: string) => {
  const match = filename?.toLowerCase().match(/\.([a-z0-9]+)$/);
  return match ? match[1] : null;
};

/** What the name says (it wins), else what the declared media type says. text/plain is no hint. */
const hintFrom = (filename?: string, declaredType?: string): Hint => {
  switch (extensionOf(filename)) {
    case 'csv':
    case 'tsv':
      return 'csv';
    case 'md':
    case 'markdown':
    case 'mdown':
    case 'mkd':
    case 'mdx':
      return 'markdown';
    case 'txt':
    case 'text':
      return 'text';
    case 'html':
    case 'htm':
    case 'xhtml':
      return 'html';
  }
  const media = declaredType?.toLowerCase().split(';')[0]?.trim();
  if (media === 'text/csv' || media === 'application/csv' || media === 'text/tab-separated-values') return 'csv';
  if (media === 'text/markdown' || media === 'text/x-markdown') return 'markdown';
  if (media === 'text/html' || media === 'application/xhtml+xml') return 'html';
  return null;
};

/** Leading whitespace, BOM, comments, an XML declaration and processing instructions. */
const skipProlog = (text: string) => text.replace(/^(?:\s|\uFEFF|<!--[\s\S]*?-->|<\?[\s\S]*?\?>)*/, '');

const isHtml = (text: string) => {
  const head = skipProlog(text.slice(0, 64 * 1024));
  if (/^<!doctype\s+html[\s>]/i.test(head) || /^<html[\s>]/i.test(head)) return true;
  // Documents without a doctype: they still open with a tag and have a head or a body.
  return head.startsWith('<') && /<(?:head|body)[\s>]/i.test(head);
};

const hasMarkdownStructure = (text: string) => {
  const sample = text.slice(0, 64 * 1024).replace(/\r\n?/g, '\n');
  if (/^ {0,3}#{1,6}[ \t]+\S/m.test(sample)) return true;
  if (/^ {0,3}(?:```|~~~)/m.test(sample)) return true;
  // A setext level-1 heading (text underlined with '='), or YAML front matter.
  if (/^[^\n]*\S[^\n]*\n {0,3}=+[ \t]*$/m.test(sample)) return true;
  if (/^---[ \t]*\n[\s\S]*?\n(?:---|\.\.\.)[ \t]*(?:\n|$)/.test(sample)) return true;
  const listItems = sample.match(/^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+\S/gm)?.length ?? 0;
  return listItems >= 2;
};

/** CSV with a declared name/type: a delimiter present with the same count on every sampled record. */
const isDeclaredCsv = (text: string) => {
  const guess = guessDelimiter(text);
  return guess.consistent && guess.fields >= 2;
};

/** CSV without a name: ≥ 2 records with the same number (≥ 2) of commas, semicolons or tabs. */
const isUndeclaredCsv = (text: string) => {
  const guess = guessDelimiter(text, [',', ';', '\t']);
  return guess.consistent && guess.records >= 2 && guess.fields >= 3;
};

/**
 * The type of an upload from its bytes: magic numbers and structure first (PDF, DOCX, HTML); the
 * name or declared type only decides between text-like types (CSV vs Markdown vs plain text).
 * Null means unsupported (images, executables, other archives, non-UTF-8 text).
 */
export const detectFileType = (bytes: Uint8Array, filename?: string, declaredType?: string): KbFileType | null => {
  if (isPdf(bytes)) return 'pdf';
  if (looksLikeZip(bytes)) return isDocx(bytes) ? 'docx' : null;
  if (looksBinary(bytes)) return null;
  const text = decodeUtf8(bytes);
  if (text === null) return null;
  if (isHtml(text)) return 'html';
  const hint = hintFrom(filename, declaredType);
  if (hint === 'html' && /<[a-z][^>]*>/i.test(text.slice(0, 64 * 1024))) return 'html';
  if (hint === 'csv' && isDeclaredCsv(text)) return 'csv';
  if (hint === 'markdown') return 'markdown';
  if (hint === 'text') return 'text';
  if (hint === null && isUndeclaredCsv(text)) return 'csv';
  return hasMarkdownStructure(text) ? 'markdown' : 'text';
};
