import { describe, expect, it } from 'vitest';
import { chunk } from '../chunk';
import { expectChunkInvariants, utf8 } from '../test-support';
import { NAMED_ENTITY_COUNT } from './entities';
import { htmlToBlocks } from './html';
import { extract } from './index';

const PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Caf&eacute; &amp; Co &mdash; Guide</title>
  <style>body > div::after { content: "</div><p>STYLE LEAK</p>"; }</style>
  <script>
    const html = "</div><h1>SCRIPT LEAK</h1>"; if (a < b && c > d) { document.write('<p>WRITE LEAK</p>'); }
    // </scripty> is not the end tag
  </script>
</head>
<body>
  <header><nav><a href="/">Home</a> | <a href="/about">About</a></nav><p>SITE BANNER</p></header>
  <div class="layout">
    <aside>Sidebar teaser</aside>
    <main>
      <article>
        <header><h1>The &lt;Edge&gt; guide</h1></header>
        <p>First paragraph with <b>bold</b>, <a href="#x">a link</a>&nbsp;and an entity: &#233;t&#xE9; &copy;2024.</p>
        <p>Second paragraph<br>on two lines
        <p>Implied close before this one.
        <h2>Lists</h2>
        <ul><li>Apples<li>Pears <ul><li>Nested</li></ul></li></ul>
        <script type="application/ld+json">{"name": "</p>JSON LEAK"}</script>
        <noscript><p>NOSCRIPT LEAK</p></noscript>
        <template><p>TEMPLATE LEAK</p></template>
        <svg viewBox="0 0 10 10"><title>SVG TITLE</title><text>SVG LEAK</text><path d="M0 0"/></svg>
        <h2>Prices</h2>
        <table><thead><tr><th>Item<th>Price</thead>
          <tr><td>Espresso</td><td>2 &euro;</td></tr>
          <tr><td><p>Latte</p><p>large</p></td><td>3 &euro;</td></tr>
        </table>
        <pre>line one
   line two</pre>
        <div hidden>HIDDEN LEAK</div><span aria-hidden="true">ARIA LEAK</span>
        <p style="display: none">NONE LEAK</p>
        <footer><p>Article footnote kept</p></footer>
      </article>
    </main>
  </div>
  <footer>PAGE FOOTER</footer>
  <button>BUTTON LEAK</button>
</body>
</html>`;

describe('HTML extraction', () => {
  it('keeps the main text with headings, paragraphs, list items and table rows; entities decoded', async () => {
    const e = await extract(utf8(PAGE), 'html');
    expect(e.type).toBe('html');
    expect(e.title).toBe('Café & Co — Guide');
    expect(e.blocks).toEqual([
      { kind: 'heading', text: 'The <Edge> guide', level: 1, page_number: null },
      { kind: 'paragraph', text: 'First paragraph with bold, a link and an entity: été ©2024.', page_number: null },
      { kind: 'paragraph', text: 'Second paragraph\non two lines', page_number: null },
      { kind: 'paragraph', text: 'Implied close before this one.', page_number: null },
      { kind: 'heading', text: 'Lists', level: 2, page_number: null },
      { kind: 'list', text: 'Apples', level: 1, page_number: null },
      { kind: 'list', text: 'Pears', level: 1, page_number: null },
      { kind: 'list', text: 'Nested', level: 2, page_number: null },
      { kind: 'heading', text: 'Prices', level: 2, page_number: null },
      { kind: 'table', text: 'Item | Price', page_number: null },
      { kind: 'table', text: 'Espresso | 2 €', page_number: null },
      { kind: 'table', text: 'Latte large | 3 €', page_number: null },
      { kind: 'paragraph', text: 'line one\nline two', page_number: null },
      { kind: 'paragraph', text: 'Article footnote kept', page_number: null },
    ]);
  });

  it('never lets script, style, template, SVG, navigation, hidden or page chrome text through', async () => {
    const e = await extract(utf8(PAGE), 'html');
    for (const leak of ['LEAK', 'SVG TITLE', 'SITE BANNER', 'PAGE FOOTER', 'Home', 'Sidebar', 'document.write']) {
      expect(e.text).not.toContain(leak);
    }
    const chunks = chunk(e, { chunk_size: 120, chunk_overlap: 30 });
    expectChunkInvariants(e, chunks, 120);
    expect(chunks.find((c) => c.text.includes('Espresso'))?.heading).toBe('Prices');
  });

  it('uses the whole body without <main>, minus header, footer and navigation', () => {
    const { title, blocks } = htmlToBlocks(
      '<html><body><header>Top</header><nav>Menu</nav><div>Body <em>text</em></div><div role="navigation">Nav</div><footer>Bottom</footer></body></html>',
    );
    expect(title).toBeNull();
    expect(blocks.map((b) => b.text)).toEqual(['Body text']);
  });

  it('does not let a small <article> in a sidebar replace the page', () => {
    const { blocks } = htmlToBlocks(
      `<body><div><h1>Real page</h1><p>${'Long body text. '.repeat(20)}</p></div><aside><article>Related post</article></aside></body>`,
    );
    expect(blocks[0]).toMatchObject({ kind: 'heading', text: 'Real page' });
    expect(blocks.map((b) => b.text)).toContain('Related post');
  });

  it('survives malformed markup: unclosed tags, stray end tags, broken attributes, an unterminated script', () => {
    const { blocks } = htmlToBlocks(
      '<div><p>One <b>bold <i>both</b> after</i></span></div></div><p title="a > b">Two</p><h3>Three<p>Four & five &bogus; &lt<p>Six <img alt="x" src=y>seven<script>var s = "</p>never',
    );
    expect(blocks.map((b) => [b.kind, b.text])).toEqual([
      ['paragraph', 'One bold both after'],
      ['paragraph', 'Two'],
      ['heading', 'Three'],
      ['paragraph', 'Four & five &bogus; <'],
      ['paragraph', 'Six seven'],
    ]);
  });

  it('treats content after <head> without a <body> tag as the body', () => {
    const { title, blocks } = htmlToBlocks('<html><head><title>T</title><p>Body without body tag</p>');
    expect(title).toBe('T');
    expect(blocks.map((b) => b.text)).toEqual(['Body without body tag']);
  });

  it('fails with EMPTY for a page without visible text', async () => {
    await expect(
      extract(utf8('<html><head><script>alert(1)</script></head><body><nav>Menu</nav></body></html>'), 'html'),
    ).rejects.toMatchObject({ code: 'UNPROCESSABLE', details: { reason: 'EMPTY' } });
  });

  it('knows the HTML 4 named entities', () => {
    expect(NAMED_ENTITY_COUNT).toBeGreaterThanOrEqual(250);
    expect(htmlToBlocks('<p>&Alpha;&omega;&sigmaf; &hellip; &rarr; &#150; &#0; &#x1F600;</p>').blocks[0]!.text).toBe(
      'Αως … → – \uFFFD 😀',
    );
  });
});
