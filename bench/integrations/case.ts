// The provider side of an integration sync, in Node against the test fakes of Notion and Confluence
// (test/integrations/fakes.ts): how many API requests and how long a listing takes for a large
// workspace, and how fast pages become Markdown. The D1 and indexing side is the knowledge base's
// (its own bench lines).
import { ConfluenceClient, storageToMarkdown } from '../../packages/integrations/src/confluence';
import { NotionClient } from '../../packages/integrations/src/notion';
import type { RemotePage } from '../../packages/integrations/src/provider';
import { type BlockSpec, FakeConfluence, FakeNotion } from '../../test/integrations/fakes';

const time = async <T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> => {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
};

const paragraph = (i: number): BlockSpec => ({
  type: 'paragraph',
  text: [
    { text: `Paragraph ${i} explains ` },
    { text: 'one rule', bold: true },
    { text: ' of the handbook in plain words.' },
  ],
});

export const run = async () => {
  const lines: string[] = [];

  // Notion: 20 selected pages with 99 sub-pages each (every third inside a toggle block), beside 500
  // pages outside the selection.
  const notion = new FakeNotion();
  const roots: string[] = [];
  for (let r = 0; r < 20; r++) {
    const root = notion.addPage(`Area ${r}`, [{ type: 'toggle', text: 'More', children: [paragraph(0)] }]);
    roots.push(root);
    const toggle = notion.blockOf(root, 'toggle');
    for (let s = 0; s < 99; s++) {
      notion.addPage(`Area ${r} page ${s}`, [paragraph(s)], s % 3 === 0 ? { block: toggle } : { page: root });
    }
  }
  for (let o = 0; o < 500; o++) notion.addPage(`Elsewhere ${o}`, [paragraph(o)]);
  const client = new NotionClient(notion.token, { fetch: notion.fetch });
  const sources = roots.map((id, i) => ({ id: `s${i}`, kind: 'page' as const, externalId: id }));
  const listed = await time(() => client.list(sources));
  lines.push(
    `Notion listing, 2,000 covered pages among 2,500: ${listed.ms.toFixed(0)} ms, ${notion.requests.length} requests ` +
      `(${listed.value.pages.length} pages found)`,
  );

  const big = notion.addPage(
    'Big page',
    Array.from({ length: 1_000 }, (_, i) =>
      i % 10 === 0
        ? { type: 'bulleted_list_item' as const, text: `Item ${i}`, children: [paragraph(i)] }
        : paragraph(i),
    ),
  );
  const before = notion.requests.length;
  const page: RemotePage = { externalId: big, title: 'Big page', url: null, lastEditedAt: '' };
  const read = await time(() => client.markdown(page));
  lines.push(
    `Notion page of 1,100 blocks to Markdown: ${read.ms.toFixed(0)} ms, ${notion.requests.length - before} requests, ` +
      `${(read.value.length / 1024).toFixed(0)} KiB`,
  );

  // Confluence: a space of 2,000 pages, and one large page in the storage format.
  const confluence = new FakeConfluence();
  confluence.addSpace('ENG', 'Engineering');
  for (let p = 0; p < 2_000; p++) confluence.addPage('ENG', `Page ${p}`, `<p>Body ${p}</p>`);
  const wiki = new ConfluenceClient(`${confluence.site}/wiki`, confluence.email, confluence.token, {
    fetch: confluence.fetch,
  });
  const space = await time(() => wiki.list([{ id: 's', kind: 'space', externalId: 'ENG' }]));
  lines.push(
    `Confluence listing, a space of 2,000 pages: ${space.ms.toFixed(0)} ms, ${confluence.requests.length} requests`,
  );
  const storage = Array.from(
    { length: 2_000 },
    (_, i) =>
      `<h2>Section ${i}</h2><p>Rule <strong>${i}</strong> with a <a href="https://example.com/${i}">link</a>.</p>` +
      `<ac:structured-macro ac:name="info"><ac:rich-text-body><p>Note ${i}</p></ac:rich-text-body></ac:structured-macro>` +
      `<table><tbody><tr><th>a</th><th>b</th></tr><tr><td>${i}</td><td>${i * 2}</td></tr></tbody></table>`,
  ).join('');
  storageToMarkdown(storage.slice(0, 20_000)); // warm the parser up: a sync converts many pages
  const converted = await time(async () => storageToMarkdown(storage));
  lines.push(
    `Confluence storage page of ${(storage.length / 1024).toFixed(0)} KiB to Markdown: ${converted.ms.toFixed(0)} ms ` +
      `(${(converted.value.length / 1024).toFixed(0)} KiB)`,
  );
  return lines;
};
