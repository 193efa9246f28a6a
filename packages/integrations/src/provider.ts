/** What a sync needs from a provider, whichever it is (notion.ts, confluence.ts). */

/** A page as the provider lists it: enough to tell whether it changed, without its content. */
export interface RemotePage {
  externalId: string;
  title: string;
  url: string | null;
  /** ISO-8601: the provider's last-edited time (Notion `last_edited_time`, Confluence `version.createdAt`). */
  lastEditedAt: string;
}

export interface SourceRef {
  id: string;
  kind: 'page' | 'space';
  externalId: string;
}

export interface SourceOutcome {
  sourceId: string;
  found: boolean;
  title: string | null;
}

export interface Listing {
  /** Every page the found sources cover, once each. */
  pages: RemotePage[];
  sources: SourceOutcome[];
  /**
   * The listing stopped at the page cap: pages past it are unknown, so nothing may be deleted as
   * missing in this sync.
   */
  truncated: boolean;
}

export interface ProviderClient {
  list(sources: readonly SourceRef[]): Promise<Listing>;
  /** The page's content as Markdown (without its title, which the sync puts on top). */
  markdown(page: RemotePage): Promise<string>;
}

/** The most pages one sync lists (the rest wait for a later sync, and nothing is deleted meanwhile). */
export const MAX_LISTED_PAGES = 5_000;

/** Inline Markdown around a text (`**bold**`), leaving the spaces at its edges outside the marks. */
export const mark = (text: string, marker: string): string => {
  const match = /^(\s*)([\s\S]*?)(\s*)$/.exec(text);
  if (!match || match[2] === '') return text;
  return `${match[1]}${marker}${match[2]}${marker}${match[3]}`;
};

/** A link, unless the URL is not http(s) (a `javascript:` href stays plain text). */
export const link = (text: string, href: string | null | undefined): string => {
  if (!href || !/^https?:\/\//i.test(href)) return text;
  const label = text.trim() === '' ? href : text;
  return `[${label.replace(/[[\]]/g, '\\$&')}](${href.replace(/[()\s]/g, encodeURIComponent)})`;
};

/** A Markdown table; the first row is its header. Pipes and line breaks inside cells are escaped. */
export const table = (rows: string[][]): string => {
  if (rows.length === 0) return '';
  const width = Math.max(...rows.map((r) => r.length));
  const cell = (text: string | undefined) =>
    (text ?? '')
      .replace(/\|/g, '\\|')
      .replace(/\s*\n\s*/g, ' ')
      .trim();
  const line = (row: string[]) => `| ${Array.from({ length: width }, (_, i) => cell(row[i])).join(' | ')} |`;
  const [head, ...body] = rows;
  return [line(head!), `|${' --- |'.repeat(width)}`, ...body.map(line)].join('\n');
};

/** Prefixes every line (list nesting, quotes). */
export const indent = (text: string, prefix: string): string =>
  text
    .split('\n')
    .map((l) => (l === '' ? prefix.trimEnd() : prefix + l))
    .join('\n');

/** Blocks joined by blank lines, with runs of blank lines squeezed. */
export const joinBlocks = (blocks: string[]): string =>
  blocks
    .filter((b) => b.trim() !== '')
    .join('\n\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
