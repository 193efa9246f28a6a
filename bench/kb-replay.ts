// `node --import tsx bench/kb-replay.ts LISTS.json`: replays retrieval quality offline from the
// keyword candidate lists that `BENCH_LISTS=LISTS.json node bench/kb-quality.mjs` saved, with the
// vector leg recomputed here for each offline embedding variant (each corpus document is one chunk,
// searched exhaustively as the local index does) and hybrid fused with each fusion setting. For
// tuning on the tuning set; the figures to quote come from bench/kb-quality.mjs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashEmbedding } from '../packages/ai/src/lexical-embedding';
import { type FusionOptions, fuseRankings } from '../packages/rag/src/fusion';
import { cosineSimilarity } from '../packages/vectors/src/vector-math';
import { mrr, recallAt } from './kb/metrics.mjs';

interface Hit {
  chunk: string;
  document: string;
  score: number;
}
interface Question {
  id: string;
  expected: string;
  keyword: Hit[];
}

const lists: Record<string, Question[]> = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8'));
const dir = join(import.meta.dirname, 'kb');
const corpus: { id: string; text: string }[] = JSON.parse(readFileSync(join(dir, 'corpus.json'), 'utf8')).documents;
const questions = (file: string): Map<string, string> =>
  new Map(
    JSON.parse(readFileSync(join(dir, file), 'utf8')).questions.map((q: { id: string; question: string }) => [
      q.id,
      q.question,
    ]),
  );
const text = new Map([...questions('questions.json'), ...questions('heldout.json')]);

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const variants = { hash: {}, bridged: { bridged: true } } as const;
const fusions: Record<string, FusionOptions> = {
  'rrf k60 (before)': { k: 60 },
  'rrf k10 keyword×3': { k: 10, weights: [3, 1] },
  'rrf k10 vector×2': { k: 10, weights: [1, 2] },
};

for (const [variant, options] of Object.entries(variants)) {
  const docs = corpus.map((d) => ({ id: d.id, vector: hashEmbedding(d.text, undefined, options) }));
  console.log(`\nembeddings: ${variant}`);
  for (const [set, qs] of Object.entries(lists)) {
    const runs = qs.map((q) => {
      const v = hashEmbedding(text.get(q.id) ?? '', undefined, options);
      const vector = docs
        .map((d) => ({ id: d.id, score: cosineSimilarity(v, d.vector) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, 20);
      return { expected: q.expected, keyword: q.keyword.map((h) => ({ id: h.document, score: h.score })), vector };
    });
    const line = (name: string, rank: (run: (typeof runs)[number]) => string[]) => {
      const ranked = runs.map((run) => ({ docs: rank(run).slice(0, 5), expected: run.expected }));
      const r1 = mean(ranked.map((r) => recallAt(1, r.docs, r.expected)));
      const r5 = mean(ranked.map((r) => recallAt(5, r.docs, r.expected)));
      const m = mean(ranked.map((r) => mrr(r.docs, r.expected)));
      console.log(
        `  ${set.padEnd(8)} ${name.padEnd(30)} R@1 ${r1.toFixed(3)}  R@5 ${r5.toFixed(3)}  MRR ${m.toFixed(3)}`,
      );
    };
    line('keyword', (run) => run.keyword.map((h) => h.id));
    line('vector', (run) => run.vector.map((h) => h.id));
    for (const [name, fusion] of Object.entries(fusions)) {
      line(name, (run) => fuseRankings([run.keyword, run.vector], fusion).map((f) => f.id));
    }
  }
}
