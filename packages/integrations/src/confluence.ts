/**
 * Confluence Cloud's REST API v2 (`/wiki/api/v2`): pages of selected spaces, or selected pages, and
 * their bodies in the storage format (XHTML with `ac:`/`ri:` macros) as Markdown. Requests use Basic
 * authentication with the account's email and API token.
 */
import { type Attributes, decodeEntities, tokenizeHtml } from '@flowspark/rag';
import {
  indent,
  joinBlocks,
  type Listing,
  link,
  MAX_LISTED_PAGES,
  mark,
  type ProviderClient,
  type RemotePage,
  type SourceOutcome,
  type SourceRef,
  table,
} from './provider';
import { isProviderError, ProviderError, type ProviderHttpOptions, providerJson } from './provider-http';

interface ConfluencePage {
  id: string;
  status: string;
  title: string;
  spaceId?: string;
  version?: { number?: number; createdAt?: string };
  body?: { storage?: { value?: string } };
  _links?: { webui?: string };
}

interface ConfluenceList<T> {
  results: T[];
  _links?: { next?: string };
}

/** A space key (`ENG`, `~5b10…` for a personal space). */
export const CONFLUENCE_SPACE_KEY = /^~?[A-Za-z0-9_]{1,255}$/;
export const CONFLUENCE_PAGE_ID = /^\d{1,20}$/;

/* ------------------------------------------------------------------------------------------------
 * Storage format → Markdown
 * ---------------------------------------------------------------------------------------------- */

interface Element {
  name: string;
  attrs: Attributes;
  children: Node[];
}
type Node = Element | string;

const VOID = new Set(['br', 'hr', 'img', 'col', 'wbr']);
const escapeText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The storage format as a tree. CDATA (code macros' bodies) becomes text first: the tokenizer drops it. */
export const parseStorage = (xhtml: string): Element => {
  const root: Element = { name: '#root', attrs: {}, children: [] };
  const stack: Element[] = [root];
  const withText = xhtml.replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, (_, text: string) => escapeText(text));
  tokenizeHtml(withText, {
    start(name, attrs, selfClosing) {
      const element: Element = { name, attrs, children: [] };
      stack.at(-1)!.children.push(element);
      if (!selfClosing && !VOID.has(name) && !name.startsWith('ri:')) stack.push(element);
    },
    end(name) {
      const at = stack.findLastIndex((e) => e.name === name);
      if (at > 0) stack.length = at;
    },
    text(raw) {
      stack.at(-1)!.children.push(decodeEntities(raw));
    },
    rawText(_name, raw) {
      stack.at(-1)!.children.push(raw);
    },
  });
  return root;
};

const child = (element: Element, name: string) =>
  element.children.find((c): c is Element => typeof c !== 'string' && c.name === name);
const elements = (element: Element) => element.children.filter((c): c is Element => typeof c !== 'string');

/** All text under a node, as written (code bodies, task statuses). */
const textOf = (node: Node): string => (typeof node === 'string' ? node : node.children.map(textOf).join(''));

const macroParameter = (macro: Element, name: string) =>
  elements(macro).find((c) => c.name === 'ac:parameter' && c.attrs['ac:name'] === name);

const INLINE_MARKS: Record<string, string> = {
  strong: '**',
  b: '**',
  em: '*',
  i: '*',
  s: '~~',
  del: '~~',
  code: '`',
};

/** Text-level content: whitespace collapsed, marks and links kept. */
const inline = (nodes: readonly Node[]): string =>
  nodes
    .map((node) => {
      if (typeof node === 'string') return node.replace(/\s+/g, ' ');
      if (node.name === 'br') return '\n';
      const marker = INLINE_MARKS[node.name];
      if (marker) return mark(inline(node.children), marker);
      if (node.name === 'a') return link(inline(node.children), node.attrs.href);
      if (node.name === 'ac:link') {
        const body = child(node, 'ac:link-body') ?? child(node, 'ac:plain-text-link-body');
        if (body) return inline(body.children);
        const target = child(node, 'ri:page') ?? child(node, 'ri:attachment') ?? child(node, 'ri:space');
        return target?.attrs['ri:content-title'] ?? target?.attrs['ri:filename'] ?? target?.attrs['ri:space-key'] ?? '';
      }
      if (node.name === 'ac:image') return node.attrs['ac:alt'] ? `[Image: ${node.attrs['ac:alt']}]` : '';
      if (node.name === 'time') return node.attrs.datetime ?? inline(node.children);
      if (node.name === 'ac:emoticon' || node.name === 'ac:placeholder' || node.name === 'ac:parameter') return '';
      if (node.name.startsWith('ri:')) return '';
      if (node.name === 'ac:structured-macro') return blocks([node]);
      return inline(node.children);
    })
    .join('');

const line = (nodes: readonly Node[]) =>
  inline(nodes)
    .split('\n')
    .map((l) => l.trim())
    .join('\n')
    .trim();

const HEADING = /^h([1-6])$/;
const BLOCK_NAMES = new Set([
  'p',
  'div',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'ul',
  'ol',
  'table',
  'pre',
  'blockquote',
  'hr',
  'ac:structured-macro',
  'ac:task-list',
  'ac:layout',
  'ac:layout-section',
  'ac:layout-cell',
  'ac:rich-text-body',
]);

/** A list item's text, then its nested lists or blocks on the next line (a tight list). */
const itemBody = (item: Element): string => {
  const first = item.children.findIndex((c) => typeof c !== 'string' && BLOCK_NAMES.has(c.name));
  const head = line(first < 0 ? item.children : item.children.slice(0, first));
  const tail = first < 0 ? '' : blocks(item.children.slice(first));
  return head && tail ? `${head}\n${tail}` : head || tail;
};

const listItems = (list: Element, ordered: boolean): string =>
  elements(list)
    .filter((c) => c.name === 'li')
    .map((item, i) => {
      const marker = ordered ? `${i + 1}. ` : '- ';
      return `${marker}${indent(itemBody(item), ' '.repeat(marker.length)).trimStart()}`;
    })
    .join('\n');

const tableRows = (t: Element): string[][] => {
  const rows: string[][] = [];
  const visit = (e: Element) => {
    for (const c of elements(e)) {
      if (c.name === 'tr')
        rows.push(
          elements(c)
            .filter((cell) => cell.name === 'th' || cell.name === 'td')
            .map((cell) => blocks(cell.children)),
        );
      else if (c.name === 'thead' || c.name === 'tbody' || c.name === 'tfoot') visit(c);
    }
  };
  visit(t);
  return rows;
};

const PANELS: Record<string, string> = { info: 'Info', note: 'Note', warning: 'Warning', tip: 'Tip', panel: '' };

const macro = (m: Element): string => {
  const name = m.attrs['ac:name'] ?? '';
  if (name === 'code' || name === 'noformat') {
    const code = textOf(child(m, 'ac:plain-text-body') ?? { name: '', attrs: {}, children: [] }).replace(
      /^\n|\n$/g,
      '',
    );
    const language = name === 'code' ? textOf(macroParameter(m, 'language') ?? '').trim() : '';
    const fence = code.includes('```') ? '~~~~' : '```';
    return `${fence}${language}\n${code}\n${fence}`;
  }
  const body = child(m, 'ac:rich-text-body');
  if (name in PANELS) {
    const title = textOf(macroParameter(m, 'title') ?? '').trim() || PANELS[name]!;
    return indent(joinBlocks([title ? `**${title}**` : '', body ? blocks(body.children) : '']), '> ');
  }
  if (name === 'expand') {
    const title = textOf(macroParameter(m, 'title') ?? '').trim();
    return joinBlocks([title ? `**${title}**` : '', body ? blocks(body.children) : '']);
  }
  // toc, children, jira, …: generated content without text of the page. Others keep their body.
  return body ? blocks(body.children) : '';
};

const tasks = (list: Element): string =>
  elements(list)
    .filter((c) => c.name === 'ac:task')
    .map((task) => {
      const done = textOf(child(task, 'ac:task-status') ?? '').trim() === 'complete';
      const body = child(task, 'ac:task-body');
      return `- [${done ? 'x' : ' '}] ${body ? line(body.children) : ''}`;
    })
    .join('\n');

/** Block-level content; runs of inline nodes between blocks become paragraphs. */
const blocks = (nodes: readonly Node[]): string => {
  const out: string[] = [];
  let run: Node[] = [];
  const flush = () => {
    if (run.length > 0) out.push(line(run));
    run = [];
  };
  for (const node of nodes) {
    if (typeof node === 'string' || !BLOCK_NAMES.has(node.name)) {
      run.push(node);
      continue;
    }
    flush();
    const heading = HEADING.exec(node.name);
    if (heading) out.push(`${'#'.repeat(Math.min(6, Number(heading[1]) + 1))} ${line(node.children)}`);
    else if (node.name === 'p') out.push(line(node.children));
    else if (node.name === 'ul' || node.name === 'ol') out.push(listItems(node, node.name === 'ol'));
    else if (node.name === 'table') out.push(table(tableRows(node)));
    else if (node.name === 'pre') {
      const code = textOf(node).replace(/^\n|\n$/g, '');
      out.push(`\`\`\`\n${code}\n\`\`\``);
    } else if (node.name === 'blockquote') out.push(indent(blocks(node.children), '> '));
    else if (node.name === 'hr') out.push('---');
    else if (node.name === 'ac:structured-macro') out.push(macro(node));
    else if (node.name === 'ac:task-list') out.push(tasks(node));
    else out.push(blocks(node.children));
  }
  flush();
  return joinBlocks(out);
};

/** A page body in the storage format as Markdown. Headings sit one level under the page's title. */
export const storageToMarkdown = (xhtml: string): string => blocks(parseStorage(xhtml).children);

/* ------------------------------------------------------------------------------------------------
 * Client
 * ---------------------------------------------------------------------------------------------- */

const basic = (email: string, token: string) => {
  const bytes = new TextEncoder().encode(`${email}:${token}`);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return `Basic ${btoa(binary)}`;
};

export class ConfluenceClient implements ProviderClient {
  private readonly origin: string;
  private readonly headers: Record<string, string>;

  /** `baseUrl`: the site as stored, `https://<site>.atlassian.net/wiki`. */
  constructor(
    private readonly baseUrl: string,
    email: string,
    token: string,
    private readonly http: ProviderHttpOptions,
  ) {
    this.origin = new URL(baseUrl).origin;
    this.headers = { authorization: basic(email, token), accept: 'application/json' };
  }

  /**
   * A path of the v2 API on this site. `_links.next` comes from the provider: it must stay on the
   * site and in the API, or the token would go wherever a response pointed.
   */
  private get<T>(path: string) {
    if (!path.startsWith('/wiki/api/v2/')) {
      return Promise.reject(new ProviderError('PROVIDER_ERROR', 'The provider gave a link outside its API'));
    }
    return providerJson<T>(this.http, `${this.origin}${path}`, { method: 'GET', headers: this.headers });
  }

  private remote(page: ConfluencePage): RemotePage {
    return {
      externalId: page.id,
      title: page.title || 'Untitled',
      url: page._links?.webui ? `${this.baseUrl}${page._links.webui}` : null,
      lastEditedAt: page.version?.createdAt ?? '',
    };
  }

  private async page(id: string, bodyFormat = false): Promise<ConfluencePage | null> {
    try {
      const page = await this.get<ConfluencePage>(
        `/wiki/api/v2/pages/${encodeURIComponent(id)}${bodyFormat ? '?body-format=storage' : ''}`,
      );
      return page.status === 'current' ? page : null;
    } catch (err) {
      if (isProviderError(err) && err.code === 'PROVIDER_NOT_FOUND') return null;
      throw err;
    }
  }

  private async space(key: string): Promise<{ id: string; name: string } | null> {
    const found = await this.get<ConfluenceList<{ id: string; key: string; name: string }>>(
      `/wiki/api/v2/spaces?keys=${encodeURIComponent(key)}&limit=1`,
    );
    return found.results.find((s) => s.key === key) ?? null;
  }

  async list(sources: readonly SourceRef[]): Promise<Listing> {
    const outcomes: SourceOutcome[] = [];
    const pages = new Map<string, RemotePage>();
    let truncated = false;
    for (const source of sources) {
      if (source.kind === 'page') {
        const page = await this.page(source.externalId);
        outcomes.push({ sourceId: source.id, found: page !== null, title: page?.title ?? null });
        if (page) pages.set(page.id, this.remote(page));
        continue;
      }
      const space = await this.space(source.externalId);
      outcomes.push({ sourceId: source.id, found: space !== null, title: space?.name ?? null });
      if (!space) continue;
      let next: string | undefined =
        `/wiki/api/v2/spaces/${encodeURIComponent(space.id)}/pages?status=current&limit=250`;
      while (next) {
        const result: ConfluenceList<ConfluencePage> = await this.get(next);
        for (const page of result.results) if (page.status === 'current') pages.set(page.id, this.remote(page));
        if (pages.size >= MAX_LISTED_PAGES) {
          truncated = true;
          break;
        }
        next = result._links?.next;
      }
      if (truncated) break;
    }
    return { pages: [...pages.values()].slice(0, MAX_LISTED_PAGES), sources: outcomes, truncated };
  }

  async markdown(page: RemotePage): Promise<string> {
    const found = await this.page(page.externalId, true);
    if (!found) throw new ProviderError('PROVIDER_NOT_FOUND', 'The page is gone', 404);
    return storageToMarkdown(found.body?.storage?.value ?? '');
  }
}
