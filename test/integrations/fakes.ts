/**
 * In-memory stand-ins for Notion's API (2022-06-28) and Confluence Cloud's REST API v2, answering as
 * their documentation describes: authentication, cursor pagination with the providers' own shapes,
 * nested blocks and the storage format, error bodies, and rate limiting with 429 + Retry-After.
 */

type Json = Record<string, unknown>;

export interface Recorded {
  method: string;
  url: string;
  path: string;
  at: number;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

const uuid = () => crypto.randomUUID();
const hex = (id: string) => id.replace(/-/g, '');

/** A cursor that says nothing of what it points at (providers' cursors are opaque). */
const cursorOf = (offset: number) => btoa(`o:${offset}`);
const offsetOf = (cursor: string | null) => (cursor ? Number(atob(cursor).slice(2)) : 0);

class Limiter {
  private pending: number[] = [];
  /** The next `count` requests answer 429 with this Retry-After (seconds). */
  limitNext(count: number, retryAfter: number) {
    for (let i = 0; i < count; i++) this.pending.push(retryAfter);
  }
  take(): number | null {
    return this.pending.shift() ?? null;
  }
}

/* ------------------------------------------------------------------------------------------------
 * Notion
 * ---------------------------------------------------------------------------------------------- */

export interface TextRun {
  text: string;
  bold?: boolean;
  italic?: boolean;
  code?: boolean;
  strikethrough?: boolean;
  href?: string;
}
export type Text = string | TextRun[];

/** A block as a test writes it; ids, timestamps and the JSON shape come from the fake. */
export type BlockSpec =
  | {
      type:
        | 'paragraph'
        | 'heading_1'
        | 'heading_2'
        | 'heading_3'
        | 'quote'
        | 'bulleted_list_item'
        | 'numbered_list_item'
        | 'toggle';
      text: Text;
      children?: BlockSpec[];
    }
  | { type: 'to_do'; text: Text; checked: boolean }
  | { type: 'callout'; text: Text; emoji?: string }
  | { type: 'code'; text: string; language: string }
  | { type: 'divider' }
  | { type: 'equation'; expression: string }
  | { type: 'table'; rows: string[][]; header?: boolean }
  | { type: 'bookmark'; url: string; caption?: string }
  | { type: 'image'; url: string; caption?: string; hosted?: boolean }
  | { type: 'column_list'; columns: BlockSpec[][] }
  | { type: 'unsupported' };

export const richText = (text: Text) =>
  (typeof text === 'string' ? [{ text }] : text).map((run) => ({
    type: 'text',
    text: { content: run.text, link: run.href ? { url: run.href } : null },
    annotations: {
      bold: run.bold ?? false,
      italic: run.italic ?? false,
      strikethrough: run.strikethrough ?? false,
      underline: false,
      code: run.code ?? false,
      color: 'default',
    },
    plain_text: run.text,
    href: run.href ?? null,
  }));

interface StoredBlock {
  json: Json;
  children: string[];
}

interface StoredPage {
  id: string;
  title: string;
  parent: Json;
  lastEdited: string;
  archived: boolean;
  /** Top-level block ids. */
  blocks: string[];
}

export class FakeNotion {
  token = 'ntn_fake_integration_secret_0001';
  /** The most results one list call returns (Notion's maximum is 100). */
  pageSize = 100;
  readonly requests: Recorded[] = [];
  readonly limiter = new Limiter();
  /** Block ids whose children listing answers 500 (a provider fault on one page). */
  readonly failingBlocks = new Set<string>();
  /** Awaited before every answer (a test holds the sync mid-way). */
  hold: Promise<void> | null = null;
  private readonly pages = new Map<string, StoredPage>();
  private readonly blocks = new Map<string, StoredBlock>();
  private readonly databases = new Map<string, Json>();
  private clock = Date.parse('2026-11-01T09:00:00.000Z');

  private tick() {
    this.clock += 60_000;
    return new Date(this.clock).toISOString();
  }

  private addBlocks(specs: BlockSpec[], parent: Json, at: string): string[] {
    return specs.map((spec) => {
      const id = uuid();
      let children: string[] = [];
      let content: Json;
      switch (spec.type) {
        case 'to_do':
          content = { rich_text: richText(spec.text), checked: spec.checked, color: 'default' };
          break;
        case 'callout':
          content = {
            rich_text: richText(spec.text),
            icon: { type: 'emoji', emoji: spec.emoji ?? '💡' },
            color: 'default',
          };
          break;
        case 'code':
          content = { rich_text: richText(spec.text), language: spec.language, caption: [] };
          break;
        case 'divider':
        case 'unsupported':
          content = {};
          break;
        case 'equation':
          content = { expression: spec.expression };
          break;
        case 'table':
          content = {
            table_width: spec.rows[0]?.length ?? 0,
            has_column_header: spec.header ?? true,
            has_row_header: false,
          };
          children = spec.rows.map((row) => {
            const rowId = uuid();
            this.blocks.set(rowId, {
              json: this.blockJson(
                rowId,
                { type: 'block_id', block_id: id },
                'table_row',
                { cells: row.map((c) => richText(c)) },
                false,
                at,
              ),
              children: [],
            });
            return rowId;
          });
          break;
        case 'bookmark':
          content = { url: spec.url, caption: spec.caption ? richText(spec.caption) : [] };
          break;
        case 'image':
          content = spec.hosted
            ? {
                type: 'file',
                file: { url: `${spec.url}?X-Amz-Expires=3600`, expiry_time: at },
                caption: spec.caption ? richText(spec.caption) : [],
              }
            : { type: 'external', external: { url: spec.url }, caption: spec.caption ? richText(spec.caption) : [] };
          break;
        case 'column_list':
          content = {};
          children = spec.columns.map((column) => {
            const columnId = uuid();
            const inner = this.addBlocks(column, { type: 'block_id', block_id: columnId }, at);
            this.blocks.set(columnId, {
              json: this.blockJson(columnId, { type: 'block_id', block_id: id }, 'column', {}, inner.length > 0, at),
              children: inner,
            });
            return columnId;
          });
          break;
        default:
          content = { rich_text: richText(spec.text), color: 'default' };
          children = this.addBlocks(spec.children ?? [], { type: 'block_id', block_id: id }, at);
      }
      this.blocks.set(id, { json: this.blockJson(id, parent, spec.type, content, children.length > 0, at), children });
      return id;
    });
  }

  private blockJson(id: string, parent: Json, type: string, content: Json, hasChildren: boolean, at: string): Json {
    return {
      object: 'block',
      id,
      parent,
      created_time: at,
      last_edited_time: at,
      created_by: { object: 'user', id: 'u-1' },
      last_edited_by: { object: 'user', id: 'u-1' },
      has_children: hasChildren,
      archived: false,
      in_trash: false,
      type,
      [type]: content,
    };
  }

  /**
   * A page shared with the integration. Under another page it is also a `child_page` block of that
   * page (as Notion shows sub-pages); `underBlock` puts it inside one of the parent's blocks instead.
   */
  addPage(title: string, blocks: BlockSpec[], under?: { page?: string; block?: string; database?: string }): string {
    const id = uuid();
    const at = this.tick();
    const parent: Json = under?.block
      ? { type: 'block_id', block_id: under.block }
      : under?.database
        ? { type: 'database_id', database_id: under.database }
        : under?.page
          ? { type: 'page_id', page_id: under.page }
          : { type: 'workspace', workspace: true };
    this.pages.set(id, { id, title, parent, lastEdited: at, archived: false, blocks: [] });
    this.pages.get(id)!.blocks = this.addBlocks(blocks, { type: 'page_id', page_id: id }, at);
    const container = under?.block ? this.blocks.get(under.block) : under?.page ? this.pages.get(under.page) : null;
    if (container && !under?.database) {
      const blockId = id; // Notion gives the child_page block the sub-page's id.
      const holder = under?.block
        ? { type: 'block_id', block_id: under.block }
        : { type: 'page_id', page_id: under!.page };
      this.blocks.set(blockId, {
        json: this.blockJson(blockId, holder, 'child_page', { title }, false, at),
        children: [],
      });
      if ('children' in container) {
        container.children.push(blockId);
        container.json.has_children = true;
      } else container.blocks.push(blockId);
    }
    return id;
  }

  /** A database under a page; its rows are pages whose parent is the database. */
  addDatabase(title: string, underPage: string): string {
    const id = uuid();
    this.databases.set(id, {
      object: 'database',
      id,
      title: richText(title),
      parent: { type: 'page_id', page_id: underPage },
      archived: false,
      in_trash: false,
    });
    return id;
  }

  /** The first top-level block of a page of this type (to put a sub-page inside it). */
  blockOf(pageId: string, type: string): string {
    const found = this.pages.get(pageId)!.blocks.find((b) => this.blocks.get(b)?.json.type === type);
    if (!found) throw new Error(`no ${type} block`);
    return found;
  }

  /** New content (and/or title): the page's last_edited_time moves on. */
  editPage(id: string, change: { title?: string; blocks?: BlockSpec[] }) {
    const page = this.pages.get(id)!;
    page.lastEdited = this.tick();
    if (change.title) page.title = change.title;
    if (change.blocks) {
      const kept = page.blocks.filter((b) => this.blocks.get(b)?.json.type === 'child_page');
      page.blocks = [...this.addBlocks(change.blocks, { type: 'page_id', page_id: id }, page.lastEdited), ...kept];
    }
  }

  /** Edited without a change to its text (a property, a comment): only the time moves. */
  touchPage(id: string) {
    this.pages.get(id)!.lastEdited = this.tick();
  }

  /** Moved to the trash: search stops returning it; GET answers it with `archived`/`in_trash`. */
  trashPage(id: string) {
    const page = this.pages.get(id)!;
    page.archived = true;
    page.lastEdited = this.tick();
  }

  pageJson(page: StoredPage): Json {
    return {
      object: 'page',
      id: page.id,
      created_time: page.lastEdited,
      last_edited_time: page.lastEdited,
      created_by: { object: 'user', id: 'u-1' },
      last_edited_by: { object: 'user', id: 'u-1' },
      cover: null,
      icon: null,
      parent: page.parent,
      archived: page.archived,
      in_trash: page.archived,
      properties: { title: { id: 'title', type: 'title', title: richText(page.title) } },
      url: `https://www.notion.so/${page.title.replace(/[^A-Za-z0-9]+/g, '-')}-${hex(page.id)}`,
      public_url: null,
    };
  }

  private list(items: Json[], cursor: string | null, size: number, type: string) {
    const start = offsetOf(cursor);
    const slice = items.slice(start, start + size);
    const more = start + size < items.length;
    return {
      object: 'list',
      results: slice,
      next_cursor: more ? cursorOf(start + size) : null,
      has_more: more,
      type,
      [type]: {},
    };
  }

  private error(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    return json(status, { object: 'error', status, code, message, request_id: uuid() }, headers);
  }

  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    this.requests.push({ method: request.method, url: request.url, path: url.pathname, at: Date.now() });
    if (this.hold) await this.hold;
    if (url.origin !== 'https://api.notion.com') return new Response('not here', { status: 404 });
    if (request.headers.get('authorization') !== `Bearer ${this.token}`) {
      return this.error(401, 'unauthorized', 'API token is invalid.');
    }
    if (!request.headers.get('notion-version')) {
      return this.error(400, 'missing_version', 'Notion-Version header failed validation.');
    }
    const limited = this.limiter.take();
    if (limited !== null) {
      return this.error(429, 'rate_limited', 'You have been rate limited. Please try again in a few minutes.', {
        'retry-after': String(limited),
      });
    }
    const path = url.pathname.replace(/^\/v1/, '');
    const size = (asked: unknown) => Math.min(this.pageSize, Math.max(1, Number(asked) || 100), 100);

    if (request.method === 'POST' && path === '/search') {
      const body = (await request.json()) as { filter?: { value?: string }; page_size?: number; start_cursor?: string };
      if (body.filter?.value !== 'page') return this.error(400, 'validation_error', 'This fake serves page searches');
      const pages = [...this.pages.values()]
        .filter((p) => !p.archived)
        .sort((a, b) => b.lastEdited.localeCompare(a.lastEdited))
        .map((p) => this.pageJson(p));
      return json(200, this.list(pages, body.start_cursor ?? null, size(body.page_size), 'page_or_database'));
    }
    let m = /^\/pages\/([^/]+)$/.exec(path);
    if (request.method === 'GET' && m) {
      const page = this.pages.get(m[1]!);
      if (!page) return this.error(404, 'object_not_found', `Could not find page with ID: ${m[1]}.`);
      return json(200, this.pageJson(page));
    }
    m = /^\/blocks\/([^/]+)\/children$/.exec(path);
    if (request.method === 'GET' && m) {
      const id = m[1]!;
      if (this.failingBlocks.has(id)) return this.error(500, 'internal_server_error', 'Unexpected error.');
      const page = this.pages.get(id);
      const block = this.blocks.get(id);
      if ((!page || page.archived) && !block)
        return this.error(404, 'object_not_found', `Could not find block with ID: ${id}.`);
      const ids = page ? page.blocks : block!.children;
      const items = ids.map((b) => this.blocks.get(b)!.json);
      return json(
        200,
        this.list(items, url.searchParams.get('start_cursor'), size(url.searchParams.get('page_size')), 'block'),
      );
    }
    m = /^\/blocks\/([^/]+)$/.exec(path);
    if (request.method === 'GET' && m) {
      const block = this.blocks.get(m[1]!);
      if (!block) return this.error(404, 'object_not_found', `Could not find block with ID: ${m[1]}.`);
      return json(200, block.json);
    }
    m = /^\/databases\/([^/]+)$/.exec(path);
    if (request.method === 'GET' && m) {
      const database = this.databases.get(m[1]!);
      if (!database) return this.error(404, 'object_not_found', `Could not find database with ID: ${m[1]}.`);
      return json(200, database);
    }
    return this.error(400, 'invalid_request_url', 'Invalid request URL.');
  };

  /** Requests since `from` that read a page's blocks (one per page read, plus nested blocks). */
  blockReadsSince(from: number): string[] {
    return this.requests
      .slice(from)
      .map((r) => /^\/v1\/blocks\/([^/]+)\/children$/.exec(r.path)?.[1])
      .filter((id): id is string => id !== undefined && this.pages.has(id));
  }
}

/* ------------------------------------------------------------------------------------------------
 * Confluence Cloud
 * ---------------------------------------------------------------------------------------------- */

interface StoredConfluencePage {
  id: string;
  spaceId: string;
  title: string;
  parentId: string | null;
  body: string;
  version: number;
  editedAt: string;
  status: 'current' | 'trashed';
}

export class FakeConfluence {
  readonly site = 'https://acme.atlassian.net';
  email = 'ops@example.com';
  token = 'atl-fake-api-token-0001';
  pageSize = 250;
  readonly requests: Recorded[] = [];
  readonly limiter = new Limiter();
  private readonly spaces = new Map<string, { id: string; key: string; name: string }>();
  private readonly pages = new Map<string, StoredConfluencePage>();
  private nextId = 98_300;
  private clock = Date.parse('2026-11-02T09:00:00.000Z');

  private tick() {
    this.clock += 60_000;
    return new Date(this.clock).toISOString();
  }

  addSpace(key: string, name: string): string {
    const id = String(this.nextId++);
    this.spaces.set(key, { id, key, name });
    return id;
  }

  addPage(spaceKey: string, title: string, body: string, parentId: string | null = null): string {
    const id = String(this.nextId++);
    const space = this.spaces.get(spaceKey)!;
    this.pages.set(id, {
      id,
      spaceId: space.id,
      title,
      parentId,
      body,
      version: 1,
      editedAt: this.tick(),
      status: 'current',
    });
    return id;
  }

  editPage(id: string, change: { title?: string; body?: string }) {
    const page = this.pages.get(id)!;
    page.version += 1;
    page.editedAt = this.tick();
    if (change.title) page.title = change.title;
    if (change.body !== undefined) page.body = change.body;
  }

  trashPage(id: string) {
    this.pages.get(id)!.status = 'trashed';
  }

  purgePage(id: string) {
    this.pages.delete(id);
  }

  private spaceKeyOf(spaceId: string) {
    return [...this.spaces.values()].find((s) => s.id === spaceId)!.key;
  }

  private pageJson(page: StoredConfluencePage, withBody: boolean): Json {
    const slug = page.title.replace(/[^A-Za-z0-9]+/g, '+');
    return {
      id: page.id,
      status: page.status,
      title: page.title,
      spaceId: page.spaceId,
      parentId: page.parentId,
      parentType: page.parentId ? 'page' : null,
      position: 0,
      authorId: '5b10a2844c20165700ede21g',
      ownerId: '5b10a2844c20165700ede21g',
      lastOwnerId: null,
      createdAt: '2026-10-01T08:00:00.000Z',
      version: {
        createdAt: page.editedAt,
        message: '',
        number: page.version,
        minorEdit: false,
        authorId: '5b10a2844c20165700ede21g',
      },
      body: withBody ? { storage: { representation: 'storage', value: page.body } } : {},
      _links: {
        webui: `/spaces/${this.spaceKeyOf(page.spaceId)}/pages/${page.id}/${slug}`,
        editui: `/pages/resumedraft.action?draftId=${page.id}`,
        tinyui: `/x/${page.id}`,
      },
    };
  }

  private error(status: number, code: string, title: string, headers: Record<string, string> = {}) {
    return json(status, { errors: [{ status, code, title, detail: null }] }, headers);
  }

  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    this.requests.push({ method: request.method, url: request.url, path: url.pathname, at: Date.now() });
    if (url.origin !== this.site) return new Response('not here', { status: 404 });
    if (request.headers.get('authorization') !== `Basic ${btoa(`${this.email}:${this.token}`)}`) {
      return this.error(401, 'UNAUTHORIZED', 'Unauthorized');
    }
    const limited = this.limiter.take();
    if (limited !== null) {
      return new Response('Rate limit exceeded', { status: 429, headers: { 'retry-after': String(limited) } });
    }
    const path = url.pathname;
    const limit = Math.min(this.pageSize, Math.max(1, Number(url.searchParams.get('limit')) || 25), 250);
    if (request.method !== 'GET') return this.error(405, 'METHOD_NOT_ALLOWED', 'Method Not Allowed');
    if (path === '/wiki/api/v2/spaces') {
      const keys = (url.searchParams.get('keys') ?? '').split(',').filter(Boolean);
      const results = [...this.spaces.values()]
        .filter((s) => keys.length === 0 || keys.includes(s.key))
        .map((s) => ({ id: s.id, key: s.key, name: s.name, type: 'global', status: 'current' }));
      return json(200, { results: results.slice(0, limit), _links: { base: `${this.site}/wiki` } });
    }
    let m = /^\/wiki\/api\/v2\/spaces\/(\d+)\/pages$/.exec(path);
    if (m) {
      const status = url.searchParams.get('status') ?? 'current';
      const all = [...this.pages.values()]
        .filter((p) => p.spaceId === m![1] && p.status === status)
        .sort((a, b) => Number(a.id) - Number(b.id));
      const start = offsetOf(url.searchParams.get('cursor'));
      const slice = all.slice(start, start + limit);
      const links: Json = { base: `${this.site}/wiki` };
      if (start + limit < all.length) {
        links.next = `/wiki/api/v2/spaces/${m[1]}/pages?status=${status}&limit=${limit}&cursor=${encodeURIComponent(cursorOf(start + limit))}`;
      }
      const withBody = url.searchParams.get('body-format') === 'storage';
      return json(200, { results: slice.map((p) => this.pageJson(p, withBody)), _links: links });
    }
    m = /^\/wiki\/api\/v2\/pages\/(\d+)$/.exec(path);
    if (m) {
      const page = this.pages.get(m[1]!);
      if (!page) return this.error(404, 'NOT_FOUND', 'Not Found');
      return json(200, this.pageJson(page, url.searchParams.get('body-format') === 'storage'));
    }
    return this.error(404, 'NOT_FOUND', 'Not Found');
  };

  /** Page ids whose bodies were read since `from`. */
  bodyReadsSince(from: number): string[] {
    return this.requests
      .slice(from)
      .filter((r) => r.url.includes('body-format=storage'))
      .map((r) => /\/pages\/(\d+)$/.exec(r.path)?.[1])
      .filter((id): id is string => id !== undefined);
  }
}

/** One fetch for both fakes (and nothing else: any other host is refused). */
export const providers = (notion: FakeNotion | null, confluence: FakeConfluence | null) =>
  (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(new Request(input, init).url);
    if (notion && url.origin === 'https://api.notion.com') return notion.fetch(input, init);
    if (confluence && url.origin === confluence.site) return confluence.fetch(input, init);
    throw new TypeError(`fetch failed: no route to ${url.origin}`);
  }) as typeof fetch;
