import { describe, expect, it } from 'vitest';
import { chunk } from '../chunk';
import { expectChunkInvariants, utf8 } from '../test-support';
import { extract } from './index';
import { inlineText, markdownToBlocks } from './markdown';

const DOC = `---
title: "Guide d'installation"
tags: [setup, ops]
---

# Installation

Run the **installer** and _follow_ the [prompts](https://example.com/help "Help").
See ![the diagram](img.png) and \`npm run setup\`; escaped \\*stars\\* stay, snake_case_name too.

Setup guide
-----------

- First step
- [ ] Second step, a task
  continued on the next line
  - Nested detail
1. Numbered one
2) Numbered two

\`\`\`bash
# not a heading
npm install   --save
\`\`\`

> ## Quoted heading
> Quoted **text**.

| Option | Default |
| ------ | ------: |
| \`port\` | 8080 |
| mode | a \\| b |

***

[ref]: https://example.com
Closing words with a <span class="x">tag</span> and <!-- a comment --> &amp; an entity.
`;

describe('Markdown extraction', () => {
  it('reads headings, lists, code as text and tables; skips front matter; keeps its title', async () => {
    const e = await extract(utf8(DOC), 'markdown');
    expect(e.type).toBe('markdown');
    expect(e.title).toBe("Guide d'installation");
    expect(e.text).not.toContain('tags:');
    expect(e.blocks).toEqual([
      { kind: 'heading', text: 'Installation', level: 1, page_number: null },
      {
        kind: 'paragraph',
        text: 'Run the installer and follow the prompts.\nSee the diagram and npm run setup; escaped *stars* stay, snake_case_name too.',
        page_number: null,
      },
      { kind: 'heading', text: 'Setup guide', level: 2, page_number: null },
      { kind: 'list', text: 'First step', level: 1, page_number: null },
      { kind: 'list', text: 'Second step, a task\ncontinued on the next line', level: 1, page_number: null },
      { kind: 'list', text: 'Nested detail', level: 2, page_number: null },
      { kind: 'list', text: 'Numbered one', level: 1, page_number: null },
      { kind: 'list', text: 'Numbered two', level: 1, page_number: null },
      { kind: 'paragraph', text: '# not a heading\nnpm install --save', page_number: null },
      { kind: 'heading', text: 'Quoted heading', level: 2, page_number: null },
      { kind: 'paragraph', text: 'Quoted text.', page_number: null },
      { kind: 'table', text: 'Option | Default', page_number: null },
      { kind: 'table', text: 'port | 8080', page_number: null },
      { kind: 'table', text: 'mode | a | b', page_number: null },
      { kind: 'paragraph', text: 'Closing words with a tag and & an entity.', page_number: null },
    ]);
    const chunks = chunk(e, { chunk_size: 100, chunk_overlap: 25 });
    expectChunkInvariants(e, chunks, 100);
    expect(chunks.find((c) => c.text.includes('npm install'))?.heading).toBe('Setup guide');
  });

  it('uses the first h1 as the title without front matter; an unclosed front matter is text', () => {
    expect(markdownToBlocks('Intro\n\n# Main\n\n## Sub').title).toBe('Main');
    const { blocks } = markdownToBlocks('---\nnot closed\n\nBody');
    expect(blocks.map((b) => b.text)).toEqual(['not closed', 'Body']);
  });

  it('keeps an unterminated code fence to the end as text', () => {
    const { blocks } = markdownToBlocks('Before\n\n~~~\ncode *not emphasis*\n# nor heading');
    expect(blocks.map((b) => [b.kind, b.text])).toEqual([
      ['paragraph', 'Before'],
      ['paragraph', 'code *not emphasis*\n# nor heading'],
    ]);
  });

  it('strips inline markup', () => {
    expect(inlineText('**bold** *it* __b__ ~~gone~~ `a*b*c` [x][1] <https://a.test> 2*3*4 a_b_c')).toBe(
      'bold it b gone a*b*c x https://a.test 234 a_b_c',
    );
  });
});
