import { describe, expect, it } from 'vitest';
import { ConfluenceClient, storageToMarkdown } from './confluence';
import { blocksToMarkdown, type NotionNode, normalizeNotionId } from './notion';
import { link, table } from './provider';

const rich = (text: string, annotations: Record<string, boolean> = {}, href: string | null = null) => [
  { type: 'text', plain_text: text, annotations, href },
];
const node = (type: string, content: Record<string, unknown>, children: NotionNode[] = []): NotionNode => ({
  block: { id: crypto.randomUUID(), type, [type]: content, has_children: children.length > 0 },
  children,
});

describe('Notion blocks as Markdown', () => {
  it('renders marks, lists with restarting numbers, code, equations and columns', () => {
    const md = blocksToMarkdown([
      node('paragraph', {
        rich_text: [...rich('a '), ...rich('bold', { bold: true }), ...rich(' and '), ...rich('x', { code: true })],
      }),
      node('numbered_list_item', { rich_text: rich('one') }),
      node('numbered_list_item', { rich_text: rich('two') }, [
        node('numbered_list_item', { rich_text: rich('nested') }),
      ]),
      node('paragraph', { rich_text: rich('break') }),
      node('numbered_list_item', { rich_text: rich('again') }),
      node('code', { rich_text: rich('echo ```'), language: 'plain text' }),
      node('equation', { expression: 'e=mc^2' }),
      node('divider', {}),
      node('column_list', {}, [
        node('column', {}, [node('paragraph', { rich_text: rich('left') })]),
        node('column', {}, [node('paragraph', { rich_text: rich('right') })]),
      ]),
      node('heading_3', { rich_text: rich('Deep') }),
      node('paragraph', { rich_text: rich('click', {}, 'javascript:alert(1)') }),
      node('table_of_contents', {}),
    ]);
    expect(md).toBe(
      [
        'a **bold** and `x`',
        '1. one',
        '2. two\n   1. nested',
        'break',
        '1. again',
        '~~~~\necho ```\n~~~~',
        '$$e=mc^2$$',
        '---',
        'left\n\nright',
        '#### Deep',
        'click',
      ].join('\n\n'),
    );
  });

  it('reads page ids from URLs, dashed or bare, and nothing else', () => {
    const id = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
    expect(normalizeNotionId('https://www.notion.so/acme/Handbook-0f1e2d3c4b5a69788796a5b4c3d2e1f0?pvs=4')).toBe(id);
    expect(normalizeNotionId(id)).toBe(id);
    expect(normalizeNotionId('0F1E2D3C4B5A69788796A5B4C3D2E1F0')).toBe(id);
    expect(normalizeNotionId('handbook')).toBeNull();
    expect(normalizeNotionId('0f1e2d3c4b5a6978')).toBeNull();
  });
});

describe('Confluence storage format as Markdown', () => {
  it('renders macros, links, images and nested structure; generated macros leave nothing', () => {
    const md = storageToMarkdown(
      [
        '<h2>Setup</h2>',
        '<ac:structured-macro ac:name="toc" />',
        '<ac:structured-macro ac:name="expand"><ac:parameter ac:name="title">Details</ac:parameter>',
        '<ac:rich-text-body><p>Hidden &lt;text&gt;</p></ac:rich-text-body></ac:structured-macro>',
        '<ac:structured-macro ac:name="noformat"><ac:plain-text-body><![CDATA[a  b\n  c]]></ac:plain-text-body></ac:structured-macro>',
        '<ac:structured-macro ac:name="custom-thing"><ac:rich-text-body><p>Kept body</p></ac:rich-text-body></ac:structured-macro>',
        '<p><ac:image ac:alt="Diagram"><ri:attachment ri:filename="d.png" /></ac:image> and <ac:link><ri:page ri:content-title="Other" /><ac:plain-text-link-body><![CDATA[that page]]></ac:plain-text-link-body></ac:link></p>',
        '<ol><li><p>First</p></li><li>Second</li></ol>',
        '<blockquote><p>Quoted</p></blockquote>',
        '<pre>raw\n  text</pre>',
        '<p>Line<br/>break <time datetime="2026-12-01" /></p>',
      ].join(''),
    );
    expect(md).toBe(
      [
        '### Setup',
        '**Details**',
        'Hidden <text>',
        '```\na  b\n  c\n```',
        'Kept body',
        '[Image: Diagram] and that page',
        '1. First\n2. Second',
        '> Quoted',
        '```\nraw\n  text\n```',
        'Line\nbreak 2026-12-01',
      ].join('\n\n'),
    );
  });

  it('tables escape pipes, and links keep to http(s)', () => {
    expect(table([['a|b', 'c'], ['d\ne']])).toBe('| a\\|b | c |\n| --- | --- |\n| d e |  |');
    expect(link('x', 'ftp://h/x')).toBe('x');
    expect(link('', 'https://h.example/a b')).toBe('[https://h.example/a b](https://h.example/a%20b)');
  });

  it('refuses a pagination link that leaves the site’s API', async () => {
    const calls: string[] = [];
    const client = new ConfluenceClient('https://acme.atlassian.net/wiki', 'a@example.com', 'token', {
      fetch: (async (url: string) => {
        calls.push(url);
        if (url.includes('/spaces?')) return Response.json({ results: [{ id: '1', key: 'ENG', name: 'Eng' }] });
        return Response.json({ results: [], _links: { next: 'https://evil.example.com/wiki/api/v2/steal' } });
      }) as unknown as typeof fetch,
    });
    await expect(client.list([{ id: 's', kind: 'space', externalId: 'ENG' }])).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
    });
    expect(calls.every((u) => u.startsWith('https://acme.atlassian.net/wiki/api/v2/'))).toBe(true);
  });
});
