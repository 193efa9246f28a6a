/**
 * Notion's public API (version 2022-06-28): the pages shared with an integration token, and their
 * blocks as Markdown. A selected page brings its sub-pages: every page whose parent chain (through
 * pages, blocks and databases) reaches it.
 */
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
import { isProviderError, type ProviderHttpOptions, providerJson } from './provider-http';

export const NOTION_API = 'https://api.notion.com/v1';
export const NOTION_VERSION = '2022-06-28';

/** Block requests one page may take (nested blocks are listed one parent at a time). */
export const MAX_BLOCK_REQUESTS_PER_PAGE = 300;
/** How deep nested blocks are followed. */
const MAX_BLOCK_DEPTH = 8;
/** How far up a parent chain is followed before the page counts as outside every selection. */
const MAX_PARENT_HOPS = 64;

type Parent =
  | { type: 'page_id'; page_id: string }
  | { type: 'block_id'; block_id: string }
  | { type: 'database_id'; database_id: string }
  | { type: 'workspace'; workspace: true }
  | { type: string };

export interface NotionRichText {
  type?: string;
  plain_text: string;
  href?: string | null;
  annotations?: { bold?: boolean; italic?: boolean; strikethrough?: boolean; code?: boolean };
}

interface NotionPage {
  object: 'page';
  id: string;
  url?: string;
  last_edited_time: string;
  archived?: boolean;
  in_trash?: boolean;
  parent: Parent;
  properties?: Record<string, { type: string; title?: NotionRichText[] }>;
}

export interface NotionBlock {
  object?: 'block';
  id: string;
  type: string;
  has_children?: boolean;
  parent?: Parent;
  archived?: boolean;
  in_trash?: boolean;
  [type: string]: unknown;
}

interface NotionList<T> {
  object: 'list';
  results: T[];
  next_cursor: string | null;
  has_more: boolean;
}

/** A page id as Notion writes it (dashed UUID), from an id with or without dashes or a page URL. */
export const normalizeNotionId = (value: string): string | null => {
  const hex = /([0-9a-f]{32})(?:[?#].*)?$/i.exec(value.replace(/-/g, ''))?.[1];
  if (!hex) return null;
  const h = hex.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

export const richText = (parts: readonly NotionRichText[] | undefined): string =>
  (parts ?? [])
    .map((part) => {
      let text = part.plain_text ?? '';
      const a = part.annotations ?? {};
      if (a.code) text = mark(text, '`');
      else {
        if (a.bold) text = mark(text, '**');
        if (a.italic) text = mark(text, '*');
        if (a.strikethrough) text = mark(text, '~~');
      }
      return part.href ? link(text, part.href) : text;
    })
    .join('');

const pageTitle = (page: NotionPage): string => {
  for (const property of Object.values(page.properties ?? {})) {
    if (property.type === 'title') return richText(property.title).trim() || 'Untitled';
  }
  return 'Untitled';
};

const remotePage = (page: NotionPage): RemotePage => ({
  externalId: page.id,
  title: pageTitle(page),
  url: page.url ?? null,
  lastEditedAt: page.last_edited_time,
});

const gone = (page: NotionPage) => page.archived === true || page.in_trash === true;

/** A block's own content (`block[block.type]`). */
const body = (block: NotionBlock) => (block[block.type] ?? {}) as Record<string, unknown>;
const blockText = (block: NotionBlock) => richText(body(block).rich_text as NotionRichText[] | undefined);
const caption = (block: NotionBlock) => richText(body(block).caption as NotionRichText[] | undefined).trim();

/** A block with its children, as the page was read. */
export interface NotionNode {
  block: NotionBlock;
  children: NotionNode[];
}

const fileUrl = (block: NotionBlock): string | null => {
  const content = body(block) as { type?: string; external?: { url?: string }; file?: { url?: string } };
  // Files Notion hosts have URLs that expire within the hour: only external ones are worth keeping.
  return content.type === 'external' ? (content.external?.url ?? null) : null;
};

/** Notion blocks as Markdown. Headings sit one level under the page's title. */
export const blocksToMarkdown = (nodes: readonly NotionNode[]): string => {
  const out: string[] = [];
  let numbered = 0;
  for (const { block, children } of nodes) {
    const inner = () => blocksToMarkdown(children);
    numbered = block.type === 'numbered_list_item' ? numbered + 1 : 0;
    switch (block.type) {
      case 'paragraph':
        out.push(joinBlocks([blockText(block), inner()]));
        break;
      case 'heading_1':
      case 'heading_2':
      case 'heading_3': {
        const level = Number(block.type.slice(-1)) + 1;
        out.push(joinBlocks([`${'#'.repeat(level)} ${blockText(block).trim()}`, inner()]));
        break;
      }
      case 'bulleted_list_item':
      case 'numbered_list_item':
      case 'to_do': {
        const marker =
          block.type === 'to_do'
            ? `- [${body(block).checked ? 'x' : ' '}] `
            : block.type === 'numbered_list_item'
              ? `${numbered}. `
              : '- ';
        const nested = inner();
        out.push(
          `${marker}${blockText(block).trim()}${nested ? `\n${indent(nested, ' '.repeat(marker.length))}` : ''}`,
        );
        break;
      }
      case 'toggle':
        out.push(joinBlocks([`**${blockText(block).trim()}**`, inner()]));
        break;
      case 'quote':
      case 'callout':
        out.push(indent(joinBlocks([blockText(block), inner()]), '> '));
        break;
      case 'code': {
        const language = typeof body(block).language === 'string' ? String(body(block).language) : '';
        const code = richText(body(block).rich_text as NotionRichText[]);
        const fence = code.includes('```') ? '~~~~' : '```';
        out.push(`${fence}${language === 'plain text' ? '' : language}\n${code}\n${fence}`);
        break;
      }
      case 'equation':
        out.push(`$$${String(body(block).expression ?? '')}$$`);
        break;
      case 'divider':
        out.push('---');
        break;
      case 'table': {
        const rows = children
          .filter((c) => c.block.type === 'table_row')
          .map((c) => ((body(c.block).cells as NotionRichText[][] | undefined) ?? []).map((cell) => richText(cell)));
        out.push(table(rows));
        break;
      }
      case 'child_page':
        out.push(`Sub-page: ${String(body(block).title ?? 'Untitled')}`);
        break;
      case 'child_database':
        out.push(`Database: ${String(body(block).title ?? 'Untitled')}`);
        break;
      case 'image':
      case 'file':
      case 'pdf':
      case 'video':
      case 'audio': {
        const text = caption(block) || block.type[0]!.toUpperCase() + block.type.slice(1);
        out.push(link(text, fileUrl(block)));
        break;
      }
      case 'bookmark':
      case 'embed':
      case 'link_preview': {
        const url = typeof body(block).url === 'string' ? String(body(block).url) : null;
        out.push(link(caption(block) || url || '', url));
        break;
      }
      case 'column_list':
      case 'column':
      case 'synced_block':
        out.push(inner());
        break;
      default:
        // table_of_contents, breadcrumb, unsupported, …: no text of their own.
        break;
    }
  }
  return joinBlocks(out);
};

export class NotionClient implements ProviderClient {
  private readonly headers: Record<string, string>;
  /** Parents of blocks and databases already looked up (parent chains share most of their links). */
  private readonly parents = new Map<string, Parent | null>();

  constructor(
    token: string,
    private readonly http: ProviderHttpOptions,
    private readonly api = NOTION_API,
  ) {
    this.headers = {
      authorization: `Bearer ${token}`,
      'notion-version': NOTION_VERSION,
      'content-type': 'application/json',
    };
  }

  private get<T>(path: string) {
    return providerJson<T>(this.http, `${this.api}${path}`, { method: 'GET', headers: this.headers });
  }

  /** The page, or null when it is gone, in the trash, or not shared with the token. */
  private async page(id: string): Promise<NotionPage | null> {
    try {
      const page = await this.get<NotionPage>(`/pages/${encodeURIComponent(id)}`);
      return gone(page) ? null : page;
    } catch (err) {
      if (isProviderError(err) && err.code === 'PROVIDER_NOT_FOUND') return null;
      throw err;
    }
  }

  /** Every page shared with the token, newest edit first, up to the cap. */
  private async searchPages(): Promise<{ pages: NotionPage[]; truncated: boolean }> {
    const pages: NotionPage[] = [];
    let cursor: string | null = null;
    do {
      const result: NotionList<NotionPage> = await providerJson(this.http, `${this.api}/search`, {
        method: 'POST',
        headers: this.headers,
        body: JSON.stringify({
          filter: { property: 'object', value: 'page' },
          sort: { direction: 'descending', timestamp: 'last_edited_time' },
          page_size: 100,
          ...(cursor ? { start_cursor: cursor } : {}),
        }),
      });
      for (const page of result.results) if (page.object === 'page' && !gone(page)) pages.push(page);
      if (pages.length >= MAX_LISTED_PAGES) return { pages: pages.slice(0, MAX_LISTED_PAGES), truncated: true };
      cursor = result.has_more ? result.next_cursor : null;
    } while (cursor);
    return { pages, truncated: false };
  }

  /** The parent of a block or a database (null: not shared, or gone). */
  private async parentOf(kind: 'block' | 'database', id: string): Promise<Parent | null> {
    const key = `${kind}:${id}`;
    if (this.parents.has(key)) return this.parents.get(key)!;
    let parent: Parent | null = null;
    try {
      const found = await this.get<{ parent?: Parent }>(
        `/${kind === 'block' ? 'blocks' : 'databases'}/${encodeURIComponent(id)}`,
      );
      parent = found.parent ?? null;
    } catch (err) {
      if (!isProviderError(err) || err.code !== 'PROVIDER_NOT_FOUND') throw err;
    }
    this.parents.set(key, parent);
    return parent;
  }

  /** The selected page this page sits under (itself when selected), or null. */
  private async rootOf(page: NotionPage, roots: Set<string>, byId: Map<string, NotionPage>): Promise<string | null> {
    if (roots.has(page.id)) return page.id;
    let parent: Parent | null = page.parent;
    for (let hop = 0; parent && hop < MAX_PARENT_HOPS; hop++) {
      if (parent.type === 'page_id') {
        const id: string = (parent as { page_id: string }).page_id;
        if (roots.has(id)) return id;
        parent = byId.get(id)?.parent ?? null;
      } else if (parent.type === 'block_id') {
        parent = await this.parentOf('block', (parent as { block_id: string }).block_id);
      } else if (parent.type === 'database_id') {
        parent = await this.parentOf('database', (parent as { database_id: string }).database_id);
      } else {
        return null;
      }
    }
    return null;
  }

  async list(sources: readonly SourceRef[]): Promise<Listing> {
    const outcomes: SourceOutcome[] = [];
    const roots = new Set<string>();
    for (const source of sources) {
      const page = source.kind === 'page' ? await this.page(source.externalId) : null;
      outcomes.push({ sourceId: source.id, found: page !== null, title: page ? pageTitle(page) : null });
      if (page) roots.add(page.id);
    }
    if (roots.size === 0) return { pages: [], sources: outcomes, truncated: false };
    const { pages, truncated } = await this.searchPages();
    const byId = new Map(pages.map((p) => [p.id, p]));
    const covered: RemotePage[] = [];
    for (const page of pages) if ((await this.rootOf(page, roots, byId)) !== null) covered.push(remotePage(page));
    // A selected page the search did not return yet (search is eventually consistent) still counts.
    for (const source of outcomes) {
      const id = sources.find((s) => s.id === source.sourceId)!.externalId;
      if (source.found && !byId.has(id)) {
        const page = await this.page(id);
        if (page) covered.push(remotePage(page));
      }
    }
    return { pages: covered, sources: outcomes, truncated };
  }

  /** Children of a block, every page of them. */
  private async children(id: string, budget: { left: number }): Promise<NotionBlock[]> {
    const blocks: NotionBlock[] = [];
    let cursor: string | null = null;
    do {
      if (budget.left-- <= 0) throw new PageTooLarge();
      const query: string = `page_size=100${cursor ? `&start_cursor=${encodeURIComponent(cursor)}` : ''}`;
      const result: NotionList<NotionBlock> = await this.get(`/blocks/${encodeURIComponent(id)}/children?${query}`);
      blocks.push(...result.results.filter((b) => !b.archived && !b.in_trash));
      cursor = result.has_more ? result.next_cursor : null;
    } while (cursor);
    return blocks;
  }

  private async tree(id: string, depth: number, budget: { left: number }): Promise<NotionNode[]> {
    const blocks = await this.children(id, budget);
    const nodes: NotionNode[] = [];
    for (const block of blocks) {
      // A sub-page is a page of its own (and a document of its own); its blocks are not read here.
      const follow =
        block.has_children === true &&
        depth < MAX_BLOCK_DEPTH &&
        block.type !== 'child_page' &&
        block.type !== 'child_database';
      nodes.push({ block, children: follow ? await this.tree(block.id, depth + 1, budget) : [] });
    }
    return nodes;
  }

  async markdown(page: RemotePage): Promise<string> {
    return blocksToMarkdown(await this.tree(page.externalId, 0, { left: MAX_BLOCK_REQUESTS_PER_PAGE }));
  }
}

/** A page with more blocks than one sync reads for it. */
export class PageTooLarge extends Error {
  readonly code = 'PAGE_TOO_LARGE';
  constructor() {
    super(`The page has more blocks than ${MAX_BLOCK_REQUESTS_PER_PAGE} requests of 100 can read`);
    this.name = 'PageTooLarge';
  }
}
