import { assembleExtraction, decodeUtf8OrFail } from '../normalize';
import type { ExtractedBlock, Extraction } from '../types';
import { decodeEntities } from './entities';
import { type Attributes, tokenizeHtml } from './html-tokenizer';

/** A set from space-separated names (keeps the long element lists readable). */
const words = (list: string) => new Set(list.split(' '));

const VOID = words(
  'area base br col embed hr img input link meta param source track wbr keygen frame basefont bgsound',
);

/** Never text of the page: code, media, navigation, form controls. */
const SKIPPED = words(
  'script style noscript template svg math nav head iframe object embed canvas audio video button select datalist textarea noembed noframes xmp',
);
const SKIPPED_ROLES = new Set(['navigation', 'banner', 'contentinfo', 'search', 'menu', 'menubar', 'toolbar']);
/** Where a <header>/<footer> belongs to its section (an article's title) rather than to the page. */
const SECTIONING = new Set(['article', 'main', 'section', 'aside']);
/** Elements allowed in <head>: anything else closes it, as in a browser. */
const HEAD_CONTENT = new Set(['title', 'meta', 'link', 'style', 'script', 'base', 'noscript', 'template']);

/** Elements whose start and end break the text into blocks. */
const BLOCKS = words(
  'address article aside blockquote body caption center dd details dialog dir div dl dt fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html legend li main menu nav ol p pre section summary table tbody td tfoot th thead tr ul br',
);
/** Starting one of these closes an open <p> (the parser's implied end tag). */
const CLOSES_P = words(
  'address article aside blockquote center details dialog dir div dl fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr main menu nav ol p pre section summary table ul li dd dt',
);
const HEADING = /^h([1-6])$/;
const MAX_DEPTH = 512;
/**
 * Flow content a heading cannot hold: it closes an unclosed heading (a browser would nest it, which
 * turns the rest of a page with one missing </h3> into a heading). A <div> stays allowed inside.
 */
const CLOSES_HEADING = words('p ul ol dl table pre blockquote section article aside main form hr');
const HEADINGS = words('h1 h2 h3 h4 h5 h6');

interface Row {
  cells: string[];
}

interface Frame {
  name: string;
  skip: boolean;
  /** Inside <main> or role=main. */
  main: boolean;
  article: boolean;
  sectioned: boolean;
  kind: ExtractedBlock['kind'];
  level?: number;
  listDepth: number;
  pre: boolean;
  row: Row | null;
  ownsRow: boolean;
}

interface HtmlBlock extends ExtractedBlock {
  main: boolean;
  article: boolean;
}

const ROOT: Frame = {
  name: '#root',
  skip: false,
  main: false,
  article: false,
  sectioned: false,
  kind: 'paragraph',
  listDepth: 0,
  pre: false,
  row: null,
  ownsRow: false,
};

const isHidden = (attrs: Attributes) =>
  'hidden' in attrs ||
  attrs['aria-hidden']?.trim().toLowerCase() === 'true' ||
  /display\s*:\s*none|visibility\s*:\s*hidden/i.test(attrs.style ?? '') ||
  SKIPPED_ROLES.has(attrs.role?.trim().toLowerCase() ?? '');

const childFrame = (parent: Frame, name: string, attrs: Attributes): Frame => {
  const frame: Frame = { ...parent, name, ownsRow: false };
  const landmark = (name === 'header' || name === 'footer') && !parent.sectioned;
  frame.skip = parent.skip || SKIPPED.has(name) || landmark || isHidden(attrs);
  frame.main = parent.main || name === 'main' || attrs.role?.trim().toLowerCase() === 'main';
  frame.article = parent.article || name === 'article';
  frame.sectioned = parent.sectioned || SECTIONING.has(name);
  frame.pre = parent.pre || name === 'pre' || name === 'listing' || name === 'plaintext';
  const heading = HEADING.exec(name);
  if (heading) {
    frame.kind = 'heading';
    frame.level = Number(heading[1]);
  } else if (name === 'ul' || name === 'ol' || name === 'menu' || name === 'dir') {
    frame.listDepth = parent.listDepth + 1;
  } else if (name === 'li') {
    frame.kind = 'list';
    frame.level = Math.max(1, parent.listDepth);
  } else if (name === 'tr' && !parent.row) {
    frame.kind = 'table';
    frame.level = undefined;
    frame.row = { cells: [] };
    frame.ownsRow = true;
  }
  return frame;
};

// Implied end tags: an element of the first set closes, unless one of the barrier set comes first.
const NO_BARRIERS = new Set<string>();
const HEAD = new Set(['head']);
const P = new Set(['p']);
const P_BARRIERS = new Set(['button', 'table', 'td', 'th', 'caption', 'html', 'marquee', 'object']);
const LI = new Set(['li']);
const LIST_BARRIERS = new Set(['ul', 'ol', 'menu', 'dir', 'table', 'td', 'th']);
const DTDD = new Set(['dt', 'dd']);
const DL_BARRIERS = new Set(['dl', 'table', 'td', 'th']);
const TR = new Set(['tr']);
const CELL = new Set(['td', 'th']);
const TABLE_BARRIERS = new Set(['table']);
const ROW_BARRIERS = new Set(['tr', 'table']);

/** Main text of a page: see the module's rules in `extractHtml`. */
export const htmlToBlocks = (html: string): { title: string | null; blocks: ExtractedBlock[] } => {
  const stack: Frame[] = [ROOT];
  const blocks: HtmlBlock[] = [];
  let title: string | null = null;
  let buffer = '';
  let bufferFrame: Frame | null = null;
  let foreign = 0;

  const top = () => stack[stack.length - 1]!;
  const flush = () => {
    if (bufferFrame && buffer.trim()) {
      const f = bufferFrame;
      blocks.push({ kind: f.kind, text: buffer, level: f.level, page_number: null, main: f.main, article: f.article });
    }
    buffer = '';
    bufferFrame = null;
  };
  const append = (text: string) => {
    const frame = top();
    if (frame.skip || !text) return;
    if (frame.row) {
      const { cells } = frame.row;
      if (cells.length === 0) cells.push('');
      cells[cells.length - 1] += text;
      return;
    }
    if (!bufferFrame) bufferFrame = frame;
    buffer += text;
  };
  /** A block boundary: inside a table row it only separates words. */
  const boundary = (lineBreak = false) => {
    const frame = top();
    if (frame.row) append(' ');
    else if (lineBreak) append('\n');
    else flush();
  };
  // How many elements of each name are open: scope checks skip the stack walk when none is.
  const openCount = new Map<string, number>();
  const isOpen = (name: string) => (openCount.get(name) ?? 0) > 0;
  const push = (frame: Frame) => {
    stack.push(frame);
    openCount.set(frame.name, (openCount.get(frame.name) ?? 0) + 1);
  };
  const pop = () => {
    const frame = stack.pop()!;
    openCount.set(frame.name, openCount.get(frame.name)! - 1);
    if (frame.name === 'svg' || frame.name === 'math') foreign--;
    if (BLOCKS.has(frame.name)) boundary();
    if (frame.ownsRow && frame.row && !frame.skip) {
      flush();
      const cells = frame.row.cells.map((c) => c.replace(/\s+/g, ' ').trim()).filter(Boolean);
      if (cells.length) {
        blocks.push({
          kind: 'table',
          text: cells.join(' | '),
          page_number: null,
          main: frame.main,
          article: frame.article,
        });
      }
    }
  };
  /** Pops up to and including the innermost `names` element, unless a `barrier` element comes first. */
  const closeOpen = (names: Set<string>, barriers: Set<string>) => {
    if (![...names].some(isOpen)) return;
    for (let i = stack.length - 1; i > 0; i--) {
      const name = stack[i]!.name;
      if (names.has(name)) {
        while (stack.length > i) pop();
        return;
      }
      if (barriers.has(name)) return;
    }
  };

  tokenizeHtml(html, {
    start(name, attrs, selfClosing) {
      if (isOpen('head') && !HEAD_CONTENT.has(name)) closeOpen(HEAD, NO_BARRIERS);
      if (CLOSES_P.has(name)) closeOpen(P, P_BARRIERS);
      if (name === 'li') closeOpen(LI, LIST_BARRIERS);
      if (name === 'dt' || name === 'dd') closeOpen(DTDD, DL_BARRIERS);
      if (name === 'tr') closeOpen(TR, TABLE_BARRIERS);
      if (name === 'td' || name === 'th') closeOpen(CELL, ROW_BARRIERS);
      if (HEADING.test(name) && HEADING.test(top().name)) pop();
      if (CLOSES_HEADING.has(name)) closeOpen(HEADINGS, NO_BARRIERS);
      if (name === 'br') {
        boundary(true);
        return;
      }
      if (VOID.has(name)) {
        if (name === 'hr') boundary();
        return;
      }
      if (selfClosing && foreign > 0) return;
      if (BLOCKS.has(name)) boundary();
      const frame = childFrame(top(), name, attrs);
      // Past MAX_DEPTH (pathological nesting) elements are read as if they were not there, like a
      // browser flattening its tree: scope checks stay cheap.
      if (stack.length >= MAX_DEPTH) return;
      push(frame);
      if (name === 'svg' || name === 'math') foreign++;
      // A new cell of the current row; a nested table's cells only separate words inside it.
      if ((name === 'td' || name === 'th') && frame.row) {
        const owner = stack.findLastIndex((f) => f.ownsRow);
        if (stack.slice(owner + 1).some((f) => f.name === 'table')) append(' ');
        else frame.row.cells.push('');
      }
    },
    end(name) {
      if (name === 'br') {
        boundary(true);
        return;
      }
      if (name === 'p' && !isOpen('p')) {
        boundary(); // "</p>" without "<p>": an empty paragraph
        return;
      }
      if (!isOpen(name)) return;
      for (let i = stack.length - 1; i > 0; i--) {
        if (stack[i]!.name === name) {
          while (stack.length > i) pop();
          return;
        }
      }
    },
    text(raw) {
      const frame = top();
      if (frame.skip) return;
      let text = decodeEntities(raw);
      if (isOpen('head')) {
        if (!text.trim()) return;
        closeOpen(HEAD, NO_BARRIERS);
      }
      if (!frame.pre) text = text.replace(/[ \t\n\r\f]+/g, ' ');
      append(text);
    },
    rawText(name, raw) {
      // Script, style and the like are dropped; the first <title> outside SVG names the page.
      if (name === 'title' && title === null && foreign === 0) title = decodeEntities(raw).replace(/\s+/g, ' ').trim();
    },
  });
  while (stack.length > 1) pop();
  flush();

  // Prefer the page's main content: <main> (or role=main), else its articles when they carry a
  // good share of the text (an <article> in a sidebar must not replace the page).
  const total = blocks.reduce((sum, b) => sum + b.text.length, 0);
  const mainBlocks = blocks.filter((b) => b.main);
  const articleBlocks = blocks.filter((b) => b.article);
  const articleChars = articleBlocks.reduce((sum, b) => sum + b.text.length, 0);
  const chosen = mainBlocks.length
    ? mainBlocks
    : articleChars >= total * 0.25 && articleBlocks.length
      ? articleBlocks
      : blocks;
  return {
    title: title || null,
    blocks: chosen.map(({ main: _m, article: _a, ...block }) => block),
  };
};

/**
 * HTML: the main text (inside <main>/<article> when present) without scripts, styles, templates,
 * SVG, navigation, page header/footer or hidden elements; h1–h6 become headings, p/div/… paragraphs,
 * li list items, tr one `table` block (cells joined with ' | '); entities decoded; <title> is the title.
 */
export const extractHtml = (bytes: Uint8Array): Extraction => {
  const { title, blocks } = htmlToBlocks(decodeUtf8OrFail(bytes, 'HTML page'));
  return assembleExtraction({ type: 'html', title, blocks });
};
