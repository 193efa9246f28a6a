import { assembleExtraction, decodeUtf8OrFail } from '../normalize';
import type { ExtractedBlock, Extraction } from '../types';
import { decodeEntities } from './entities';

// Private-use placeholders keep escaped characters and code spans out of the inline rules.
const ESCAPED = '\uE000';
const CODE = '\uE001';

/** Removes HTML comments in one pass; an unclosed one is left as text. */
const stripComments = (text: string): string => {
  let out = '';
  let at = 0;
  for (let open = text.indexOf('<!--'); open >= 0; open = text.indexOf('<!--', at)) {
    const close = text.indexOf('-->', open + 4);
    if (close < 0) break;
    out += text.slice(at, open);
    at = close + 3;
  }
  return out + text.slice(at);
};

/**
 * Inline Markdown to plain text: links and images keep their text, emphasis and code markers go,
 * inline HTML tags and comments go, backslash escapes and entities are resolved.
 */
export const inlineText = (input: string): string => {
  const escaped: string[] = [];
  const spans: string[] = [];
  // Every span below is bounded ({0,n}): an unmatched marker then costs a bounded scan, not a
  // scan to the end of the paragraph (which made "*a *a *a …" quadratic).
  let text = input
    .replace(/(?<!`)(`+)(?!`)([\s\S]{0,1000}?[^`])\1(?!`)/g, (_m, _ticks, code: string) => {
      spans.push(code.trim());
      return `${CODE}${spans.length - 1}${CODE}`;
    })
    .replace(/\\([!-/:-@[-`{-~])/g, (_m, c: string) => {
      escaped.push(c);
      return `${ESCAPED}${escaped.length - 1}${ESCAPED}`;
    });
  const url = String.raw`(?:[^()\s]|\([^()]{0,500}\)){0,2000}(?:\s+"[^"]{0,500}")?`;
  text = stripComments(text)
    .replace(new RegExp(String.raw`!\[([^\]]{0,500})\]\(${url}\)`, 'g'), '$1')
    .replace(/!\[([^\]]{0,500})\]\[[^\]]{0,500}\]/g, '$1')
    .replace(/\[\^[^\]]{1,100}\]/g, '')
    .replace(new RegExp(String.raw`\[([^\]]{1,500})\]\(${url}\)`, 'g'), '$1')
    .replace(/\[([^\]]{1,500})\]\[[^\]]{0,500}\]/g, '$1')
    .replace(/<((?:https?|ftp|mailto):[^>\s]{1,2000})>/gi, '$1')
    .replace(/<\/?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?\/?>/g, '');
  // Emphasis, innermost last: strong, strikethrough, then single markers. '_' only at word edges.
  for (let pass = 0; pass < 2; pass++) {
    text = text
      .replace(/(\*\*|__)(?=\S)([\s\S]{0,500}?\S)\1/g, '$2')
      .replace(/~~(?=\S)([\s\S]{0,500}?\S)~~/g, '$1')
      .replace(/\*(?=[^\s*])([\s\S]{0,500}?[^\s*])\*/g, '$1')
      .replace(/(^|[^\p{L}\p{N}_])_(?=[^\s_])([\s\S]{0,500}?[^\s_])_(?![\p{L}\p{N}_])/gu, '$1$2');
  }
  return decodeEntities(text)
    .replace(new RegExp(`${CODE}(\\d+)${CODE}`, 'g'), (_m, i: string) => spans[Number(i)] ?? '')
    .replace(new RegExp(`${ESCAPED}(\\d+)${ESCAPED}`, 'g'), (_m, i: string) => escaped[Number(i)] ?? '');
};

const ATX = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const FENCE = /^( {0,3})(`{3,}|~{3,})(.*)$/;
const SETEXT_1 = /^ {0,3}=+[ \t]*$/;
const SETEXT_2 = /^ {0,3}-+[ \t]*$/;
const THEMATIC = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const LIST_ITEM = /^([ \t]*)([-*+]|\d{1,9}[.)])(?:[ \t]+(.*))?$/;
const QUOTE = /^ {0,3}>[ \t]?(.*)$/;
const TABLE_DELIMITER = /^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;
const REFERENCE = /^ {0,3}\[[^\]]+\]:[ \t]*\S+/;
const INDENTED = /^(?: {4}|\t)/;

const tableCells = (line: string) =>
  line
    .trim()
    .replace(/^\|/, '')
    .replace(/(?<!\\)\|$/, '')
    .split(/(?<!\\)\|/)
    .map((c) => inlineText(c.replace(/\\\|/g, '|')).trim())
    .filter(Boolean);

const indentWidth = (indent: string) => indent.replace(/\t/g, '    ').length;

/** Front matter (YAML '---' or TOML '+++'): its end line index and a `title` if it has one. */
const frontMatter = (lines: string[]): { end: number; title: string | null } | null => {
  const open = lines[0]?.trim();
  if (open !== '---' && open !== '+++') return null;
  for (let i = 1; i < Math.min(lines.length, 500); i++) {
    const line = lines[i]!.trim();
    if (line === open || (open === '---' && line === '...')) {
      let title: string | null = null;
      for (const l of lines.slice(1, i)) {
        const m = /^title[ \t]*[:=][ \t]*(.+)$/i.exec(l.trim());
        if (m) title = m[1]!.trim().replace(/^(['"])(.*)\1$/, '$2');
      }
      return { end: i, title };
    }
  }
  return null;
};

/** Markdown to blocks (CommonMark's block structure, simplified; GFM tables and task lists). */
export const markdownToBlocks = (source: string): { title: string | null; blocks: ExtractedBlock[] } => {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: ExtractedBlock[] = [];
  const front = frontMatter(lines);
  let i = front ? front.end + 1 : 0;
  let paragraph: string[] = [];
  let item: { lines: string[]; level: number; indent: number } | null = null;
  const listIndents: number[] = [];

  const push = (kind: ExtractedBlock['kind'], text: string, level?: number) => {
    if (text.trim()) blocks.push({ kind, text, level, page_number: null });
  };
  const flush = () => {
    if (paragraph.length) push('paragraph', inlineText(paragraph.join('\n')));
    if (item) push('list', inlineText(item.lines.join('\n')), item.level);
    paragraph = [];
    item = null;
  };

  while (i < lines.length) {
    let line = lines[i]!;
    // Block quotes: their content is read as Markdown of its own.
    let quote = QUOTE.exec(line);
    while (quote) {
      line = quote[1]!;
      quote = QUOTE.exec(line);
    }
    if (!line.trim()) {
      if (!item) flush();
      else {
        // A blank line inside a list item ends it unless the next line is indented under it.
        const next = lines[i + 1] ?? '';
        const indent = /^[ \t]*/.exec(next)![0];
        if (!next.trim() || indentWidth(indent) <= item.indent || LIST_ITEM.test(next)) flush();
        else item.lines.push('');
      }
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence && !(fence[2]![0] === '`' && fence[3]!.includes('`'))) {
      flush();
      const marker = fence[2]!;
      const code: string[] = [];
      i++;
      while (i < lines.length) {
        const l = lines[i]!;
        const close = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(l);
        if (close && close[1]![0] === marker[0] && close[1]!.length >= marker.length) break;
        code.push(l);
        i++;
      }
      push('paragraph', code.join('\n'));
      i++;
      continue;
    }
    const atx = ATX.exec(line);
    if (atx) {
      flush();
      push('heading', inlineText(atx[2] ?? ''), atx[1]!.length);
      i++;
      continue;
    }
    if (paragraph.length && !item && (SETEXT_1.test(line) || SETEXT_2.test(line))) {
      const text = inlineText(paragraph.join(' '));
      paragraph = [];
      push('heading', text, SETEXT_1.test(line) ? 1 : 2);
      i++;
      continue;
    }
    if (THEMATIC.test(line)) {
      flush();
      i++;
      continue;
    }
    if (line.includes('|') && TABLE_DELIMITER.test(lines[i + 1] ?? '') && (lines[i + 1] ?? '').includes('-')) {
      flush();
      push('table', tableCells(line).join(' | '));
      i += 2;
      while (i < lines.length && lines[i]!.trim() && lines[i]!.includes('|')) {
        push('table', tableCells(lines[i]!).join(' | '));
        i++;
      }
      continue;
    }
    if (REFERENCE.test(line) && !paragraph.length) {
      i++;
      continue;
    }
    const listItem = LIST_ITEM.exec(line);
    if (listItem && !(paragraph.length && !item && /^\d/.test(listItem[2]!) && listItem[2] !== '1.')) {
      flush();
      const indent = indentWidth(listItem[1]!);
      while (listIndents.length && listIndents[listIndents.length - 1]! > indent) listIndents.pop();
      if (!listIndents.length || listIndents[listIndents.length - 1]! < indent) listIndents.push(indent);
      const content = (listItem[3] ?? '').replace(/^\[[ xX]\][ \t]+/, '');
      item = { lines: [content], level: listIndents.length, indent };
      i++;
      continue;
    }
    if (item) {
      // Continuation of the list item (indented or lazy).
      (item as { lines: string[] }).lines.push(line.trim());
      i++;
      continue;
    }
    if (INDENTED.test(line) && !paragraph.length) {
      // An indented code block: kept as text.
      const code: string[] = [];
      while (i < lines.length && (INDENTED.test(lines[i]!) || !lines[i]!.trim())) {
        code.push(lines[i]!.replace(INDENTED, ''));
        i++;
      }
      push('paragraph', code.join('\n'));
      continue;
    }
    listIndents.length = 0;
    paragraph.push(line.trim());
    i++;
  }
  flush();
  const firstH1 = blocks.find((b) => b.kind === 'heading' && b.level === 1)?.text ?? null;
  return { title: front?.title ?? firstH1, blocks };
};

/**
 * Markdown: ATX and setext headings, list items (nesting level kept), code blocks kept as text,
 * tables as rows, links → their text, emphasis markers removed, front matter skipped (its title kept).
 */
export const extractMarkdown = (bytes: Uint8Array): Extraction => {
  const { title, blocks } = markdownToBlocks(decodeUtf8OrFail(bytes, 'Markdown file'));
  return assembleExtraction({ type: 'markdown', title, blocks });
};
