// Chunking a large extraction (`node --import tsx bench/chunk-case.ts [blocks]`), in its own process
// like the render cases: about 1 MB of text in 4,000 blocks by default. Prints one JSON line.

import { chunk } from '../packages/rag/src/chunk';
import { assembleExtraction } from '../packages/rag/src/normalize';

const count = Number(process.argv[2] ?? 4000);
const prose = (sentences: number, tag: string) =>
  Array.from({ length: sentences }, (_, i) => `Sentence ${tag}${i} explains one more detail of the topic here.`).join(
    ' ',
  );
const extraction = assembleExtraction({
  type: 'markdown',
  title: null,
  blocks: Array.from({ length: count }, (_, i) =>
    i % 20 === 0
      ? { kind: 'heading' as const, text: `Section ${i}`, level: 2, page_number: null }
      : { kind: 'paragraph' as const, text: prose(4, `s${i}`), level: undefined, page_number: null },
  ),
});
const started = performance.now();
const chunks = chunk(extraction);
const ms = performance.now() - started;
console.log(
  JSON.stringify({ case: `chunk-${count}`, chars: extraction.text.length, chunks: chunks.length, ms: Math.round(ms) }),
);
