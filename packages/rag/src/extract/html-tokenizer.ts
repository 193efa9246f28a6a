// A forgiving HTML tokenizer, after the WHATWG tokenizer's main states: comments, doctypes and
// processing instructions are dropped, attribute values may hold '>' inside quotes, the content of
// raw-text elements (script, style, …) ends only at their own end tag — so a script holding
// "</div>" or "<p>" strings never leaks — and a tag cut off by the end of the input is dropped.

export type Attributes = Record<string, string>;

export interface TokenHandler {
  start(name: string, attrs: Attributes, selfClosing: boolean): void;
  end(name: string): void;
  /** Character data with references still encoded. */
  text(raw: string): void;
  /** Content of a raw-text or RCDATA element (script, style, title, textarea…), undecoded. */
  rawText(name: string, raw: string): void;
}

/** Elements whose content is not markup. */
const RAW_CONTENT = new Set([
  'script',
  'style',
  'xmp',
  'iframe',
  'noembed',
  'noframes',
  'noscript',
  'title',
  'textarea',
]);

const isAsciiLetter = (c: string | undefined) => c !== undefined && /[A-Za-z]/.test(c);
const isSpace = (c: string | undefined) => c === ' ' || c === '\n' || c === '\t' || c === '\r' || c === '\f';

interface Tag {
  name: string;
  attrs: Attributes;
  selfClosing: boolean;
  /** Index just past the '>' (or -1 when the input ends inside the tag). */
  next: number;
}

/** Reads a tag starting at `at` (just past '<' or '</'). */
const readTag = (html: string, at: number): Tag => {
  let i = at;
  const n = html.length;
  while (i < n && !isSpace(html[i]) && html[i] !== '/' && html[i] !== '>') i++;
  const name = html.slice(at, i).toLowerCase();
  const attrs: Attributes = Object.create(null);
  let selfClosing = false;
  while (i < n) {
    const c = html[i];
    if (c === '>') return { name, attrs, selfClosing, next: i + 1 };
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === '/') {
      selfClosing = html[i + 1] === '>';
      i++;
      continue;
    }
    selfClosing = false;
    const nameStart = i;
    // The first character may be '=' (a parse error a browser keeps as part of the name).
    i++;
    while (i < n && !isSpace(html[i]) && html[i] !== '/' && html[i] !== '>' && html[i] !== '=') i++;
    const attrName = html.slice(nameStart, i).toLowerCase();
    while (i < n && isSpace(html[i])) i++;
    let value = '';
    if (html[i] === '=') {
      i++;
      while (i < n && isSpace(html[i])) i++;
      const quote = html[i];
      if (quote === '"' || quote === "'") {
        const close = html.indexOf(quote, i + 1);
        if (close < 0) return { name, attrs, selfClosing, next: -1 };
        value = html.slice(i + 1, close);
        i = close + 1;
      } else {
        const start = i;
        while (i < n && !isSpace(html[i]) && html[i] !== '>') i++;
        value = html.slice(start, i);
      }
    }
    if (!(attrName in attrs)) attrs[attrName] = value;
  }
  return { name, attrs, selfClosing, next: -1 };
};

/** Index of the end tag `</name` (followed by space, '/' or '>') from `from`, case-insensitively. */
const findEndTag = (html: string, name: string, from: number): number => {
  const pattern = new RegExp(`</${name}[\\s/>]`, 'gi');
  pattern.lastIndex = from;
  const match = pattern.exec(html);
  return match ? match.index : -1;
};

export const tokenizeHtml = (html: string, handler: TokenHandler): void => {
  const n = html.length;
  let i = 0;
  while (i < n) {
    const lt = html.indexOf('<', i);
    if (lt < 0) {
      handler.text(html.slice(i));
      return;
    }
    if (lt > i) handler.text(html.slice(i, lt));
    i = lt;
    const next = html[i + 1];
    if (html.startsWith('<!--', i)) {
      // "<!-->" and "<!--->" close at once, like a browser.
      const close = html.startsWith('<!-->', i)
        ? i + 1
        : html.startsWith('<!--->', i)
          ? i + 2
          : html.indexOf('-->', i + 4);
      i = close < 0 ? n : close + 3;
      continue;
    }
    if (next === '!' || next === '?') {
      // Doctype, CDATA outside foreign content, processing instructions: bogus comments.
      const close = html.startsWith('<![CDATA[', i) ? html.indexOf(']]>', i) : html.indexOf('>', i);
      i = close < 0 ? n : close + (html[close] === ']' ? 3 : 1);
      continue;
    }
    if (next === '/' && isAsciiLetter(html[i + 2])) {
      const tag = readTag(html, i + 2);
      if (tag.next < 0) return;
      handler.end(tag.name);
      i = tag.next;
      continue;
    }
    if (next === '/' && html[i + 2] === '>') {
      i += 3; // "</>" is ignored
      continue;
    }
    if (!isAsciiLetter(next)) {
      handler.text('<');
      i++;
      continue;
    }
    const tag = readTag(html, i + 1);
    if (tag.next < 0) return;
    handler.start(tag.name, tag.attrs, tag.selfClosing);
    i = tag.next;
    if (RAW_CONTENT.has(tag.name)) {
      const close = findEndTag(html, tag.name, i);
      const end = close < 0 ? n : close;
      handler.rawText(tag.name, html.slice(i, end));
      i = end;
    }
  }
};
