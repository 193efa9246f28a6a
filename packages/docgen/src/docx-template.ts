import { type Archive, type ArchiveEntry, ArchiveUnsafeError, openArchive } from '@flowspark/archive';
import { AppError } from '@flowspark/core';
import { formatVariableValue } from './variables';

/**
 * `{{ name }}` placeholders in an uploaded DOCX. Word splits text into runs wherever formatting,
 * spell-checking or editing history changes, so a placeholder is often spread over several
 * `<w:t>` elements: they are found on the text of the whole paragraph, and filling puts the value
 * in the run where the placeholder starts, removing the rest of it from the following runs.
 * No XML parser (workerd has none): a tag scanner that tracks paragraph nesting is enough, since
 * only the contents of `<w:t>` elements change.
 */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}/g;
/** The parts that hold visible text: body, headers, footers, footnotes, endnotes. */
const TEXT_PART = /^word\/(document|header\d*|footer\d*|footnotes|endnotes)\.xml$/;
const TAG = /<(\/?)([A-Za-z][\w.-]*:?[\w.-]*)((?:"[^"]*"|'[^']*'|[^>"'])*?)(\/?)>/g;

interface TextNode {
  /** Where the element's content starts and ends in the XML. */
  start: number;
  end: number;
  /** Where its opening tag starts and ends (to add xml:space="preserve"). */
  openStart: number;
  openEnd: number;
  text: string;
}

const unescapeXml = (s: string) =>
  s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (whole, entity: string) => {
    if (entity === 'lt') return '<';
    if (entity === 'gt') return '>';
    if (entity === 'amp') return '&';
    if (entity === 'quot') return '"';
    if (entity === 'apos') return "'";
    const code = entity[1] === 'x' ? Number.parseInt(entity.slice(2), 16) : Number.parseInt(entity.slice(1), 10);
    return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });

const escapeXml = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: characters XML 1.0 forbids
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '');

/** The `<w:t>` nodes of each paragraph, innermost paragraph first for nested ones (text boxes). */
const paragraphs = (xml: string): TextNode[][] => {
  const done: TextNode[][] = [];
  const open: TextNode[][] = [];
  let textOpen: { start: number; openStart: number } | null = null;
  for (const match of xml.matchAll(TAG)) {
    const [whole, closing, name, , selfClosing] = match;
    const at = match.index;
    if (name === 'w:p') {
      if (selfClosing) continue;
      if (closing) {
        const paragraph = open.pop();
        if (paragraph?.length) done.push(paragraph);
      } else open.push([]);
    } else if (name === 'w:t') {
      if (selfClosing) continue;
      if (!closing) textOpen = { start: at + whole.length, openStart: at };
      else if (textOpen && open.length) {
        open.at(-1)!.push({
          start: textOpen.start,
          end: at,
          openStart: textOpen.openStart,
          openEnd: textOpen.start,
          text: unescapeXml(xml.slice(textOpen.start, at)),
        });
        textOpen = null;
      }
    }
  }
  return done;
};

interface Found {
  name: string;
  start: number;
  end: number;
}

const placeholdersIn = (nodes: TextNode[]): Found[] => {
  const text = nodes.map((n) => n.text).join('');
  if (!text.includes('{{')) return [];
  return [...text.matchAll(PLACEHOLDER)].map((m) => ({ name: m[1], start: m.index, end: m.index + m[0].length }));
};

/**
 * The most one text part (document.xml, a header...) may inflate to. Filling holds the XML as a
 * string, its paragraph scan and the filled copy at once, then JSZip encodes and deflates it: 16 MB
 * of XML (several hundred pages of text, far more than any template) keeps that inside 128 MB.
 */
export const DOCX_TEXT_PART_MAX_BYTES = 16 * 1024 * 1024;

const invalidDocx = (cause?: unknown) =>
  new AppError('UNPROCESSABLE', 'The file is not a readable DOCX document', {
    details: { reason: 'INVALID_DOCX' },
    cause,
  });

/**
 * Opens an uploaded DOCX through the safe archive reader: the directory is checked against the caps
 * and every entry is inflated once, streaming and discarded, so a size that lies is caught even in
 * parts that are never read here. A damaged archive is INVALID_DOCX; caps (413) and unsafe archives
 * (422 ARCHIVE_UNSAFE) keep their own errors.
 */
const openDocx = async (bytes: Uint8Array): Promise<Archive> => {
  let archive: Archive;
  try {
    archive = openArchive(bytes);
    await archive.verify();
  } catch (err) {
    if (err instanceof ArchiveUnsafeError && (err.problem === 'corrupt' || err.problem === 'crc_mismatch')) {
      throw invalidDocx(err);
    }
    throw err;
  }
  if (!archive.has('word/document.xml')) throw invalidDocx();
  return archive;
};

const textParts = (archive: Archive): ArchiveEntry[] =>
  archive.entries
    .filter((entry) => TEXT_PART.test(entry.name))
    .sort((a, b) =>
      a.name === 'word/document.xml' ? -1 : b.name === 'word/document.xml' ? 1 : a.name.localeCompare(b.name),
    );

const readPart = (archive: Archive, entry: ArchiveEntry) =>
  archive.readText(entry, { maxBytes: DOCX_TEXT_PART_MAX_BYTES });

/** The unique placeholder names in the DOCX, in order of first appearance (body first). */
export async function listDocxPlaceholders(bytes: Uint8Array): Promise<string[]> {
  const archive = await openDocx(bytes);
  const names = new Set<string>();
  for (const part of textParts(archive)) {
    const xml = await readPart(archive, part);
    for (const nodes of paragraphs(xml)) for (const found of placeholdersIn(nodes)) names.add(found.name);
  }
  return [...names];
}

const lookup = (data: Record<string, unknown>, name: string): unknown => {
  if (Object.hasOwn(data, name)) return data[name];
  // `customer.name` may also address a nested object.
  let node: unknown = data;
  for (const key of name.split('.')) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
};

/** A value as `<w:t>` content: escaped, line breaks as `<w:br/>` inside the same run. */
const valueXml = (value: string) =>
  value
    .split(/\r\n?|\n/)
    .map(escapeXml)
    .join('</w:t><w:br/><w:t xml:space="preserve">');

/** New contents for the text nodes of one paragraph, with every placeholder replaced. */
const fillParagraph = (nodes: TextNode[], found: Found[], data: Record<string, unknown>) => {
  const out = new Map<TextNode, string>();
  let offset = 0;
  let m = 0;
  for (const node of nodes) {
    const nodeStart = offset;
    const nodeEnd = offset + node.text.length;
    offset = nodeEnd;
    if (!found.some((f) => f.start < nodeEnd && f.end > nodeStart)) continue;
    let xml = '';
    let i = nodeStart;
    while (i < nodeEnd) {
      while (m < found.length && found[m].end <= i) m += 1;
      const current = found[m];
      if (!current || current.start >= nodeEnd) {
        xml += escapeXml(node.text.slice(i - nodeStart));
        break;
      }
      if (i < current.start) {
        xml += escapeXml(node.text.slice(i - nodeStart, current.start - nodeStart));
        i = current.start;
      }
      // The run where the placeholder starts gets the value; later runs lose their share of it.
      if (i === current.start) xml += valueXml(formatVariableValue(lookup(data, current.name) ?? ''));
      i = Math.min(current.end, nodeEnd);
    }
    out.set(node, xml);
  }
  return out;
};

/**
 * Replaces every `{{ name }}` with its value (XML-escaped; lists comma-joined; missing → empty:
 * the caller validates variables first) in the body, headers, footers and notes. Throws
 * UNPROCESSABLE (INVALID_DOCX), PAYLOAD_TOO_LARGE (ARCHIVE_TOO_LARGE) or ARCHIVE_UNSAFE.
 */
export async function fillDocxTemplate(bytes: Uint8Array, data: Record<string, unknown>): Promise<Uint8Array> {
  const archive = await openDocx(bytes);
  const filled = new Map<string, string>();
  for (const part of textParts(archive)) {
    const xml = await readPart(archive, part);
    const edits: { node: TextNode; xml: string }[] = [];
    for (const nodes of paragraphs(xml)) {
      const found = placeholdersIn(nodes);
      if (found.length === 0) continue;
      for (const [node, content] of fillParagraph(nodes, found, data)) edits.push({ node, xml: content });
    }
    if (edits.length === 0) continue;
    edits.sort((a, b) => a.node.openStart - b.node.openStart);
    let result = '';
    let cursor = 0;
    for (const { node, xml: content } of edits) {
      // Values may start or end with spaces, which Word drops unless the element preserves them.
      const openTag = xml.slice(node.openStart, node.openEnd);
      const preserved = /xml:space=/.test(openTag) ? openTag : openTag.replace(/^<w:t/, '<w:t xml:space="preserve"');
      result += xml.slice(cursor, node.openStart) + preserved + content;
      cursor = node.end;
    }
    filled.set(part.name, result + xml.slice(cursor));
  }
  if (filled.size === 0) return bytes;
  // JSZip writes the result: it loads the archive the safe reader has just proven and copies the
  // unchanged entries without inflating them.
  const JSZip = (await import('jszip')).default;
  let zip: import('jszip');
  try {
    zip = await JSZip.loadAsync(bytes);
  } catch (err) {
    throw invalidDocx(err);
  }
  for (const [name, xml] of filled) zip.file(name, xml);
  return zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' });
}
