// `node --import tsx bench/kb-replay.ts LISTS.json [--saved] [--grid]`: replays retrieval quality
// offline from the keyword candidate lists that `BENCH_LISTS=LISTS.json node bench/kb-quality.mjs`
// saved, with the vector leg recomputed here for each offline embedding variant (each corpus document
// is one chunk, searched exhaustively as the local index does) and hybrid fused with each fusion
// setting. `--saved` replays the saved vector lists instead (the embeddings of that run, e.g. the
// local embedding model's); `--grid` tries a grid of k and weights, ranks them by MRR on the tuning
// set and shows the best ones on the held-out set too. For tuning on the tuning set; the figures to
// quote come from bench/kb-quality.mjs.
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
  vector: Hit[];
}

const [file, ...flags] = process.argv.slice(2);
const lists: Record<string, Question[]> = JSON.parse(readFileSync(file ?? '', 'utf8'));
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
const fusions: Record<string, FusionOptions> = {
  'rrf k60 (before)': { k: 60 },
  'rrf k10 keyword×3': { k: 10, weights: [3, 1] },
  'rrf k10 vector×2': { k: 10, weights: [1, 2] },
};

interface Run {
  expected: string;
  keyword: { id: string }[];
  vector: { id: string }[];
}
interface Scores {
  r1: number;
  r5: number;
  mrr: number;
}

const score = (runs: Run[], rank: (run: Run) => string[]): Scores => {
  const ranked = runs.map((run) => ({ docs: rank(run).slice(0, 5), expected: run.expected }));
  return {
    r1: mean(ranked.map((r) => recallAt(1, r.docs, r.expected))),
    r5: mean(ranked.map((r) => recallAt(5, r.docs, r.expected))),
    mrr: mean(ranked.map((r) => mrr(r.docs, r.expected))),
  };
};
const fused = (fusion: FusionOptions) => (run: Run) => fuseRankings([run.keyword, run.vector], fusion).map((f) => f.id);
const show = (set: string, name: string, s: Scores) =>
  console.log(
    `  ${set.padEnd(8)} ${name.padEnd(30)} R@1 ${s.r1.toFixed(3)}  R@5 ${s.r5.toFixed(3)}  MRR ${s.mrr.toFixed(3)}`,
  );

const keywordOf = (q: Question) => q.keyword.map((h) => ({ id: h.document, score: h.score }));
const recomputed = (options: { bridged?: boolean }) => {
  const docs = corpus.map((d) => ({ id: d.id, vector: hashEmbedding(d.text, undefined, options) }));
  return (q: Question): Run => {
    const v = hashEmbedding(text.get(q.id) ?? '', undefined, options);
    const vector = docs
      .map((d) => ({ id: d.id, score: cosineSimilarity(v, d.vector) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 20);
    return { expected: q.expected, keyword: keywordOf(q), vector };
  };
};
const saved = (q: Question): Run => ({
  expected: q.expected,
  keyword: keywordOf(q),
  vector: q.vector.map((h) => ({ id: h.document })),
});
const variants: Record<string, (q: Question) => Run> = flags.includes('--saved')
  ? { 'saved vector lists': saved }
  : { hash: recomputed({}), bridged: recomputed({ bridged: true }) };

const GRID_K = [0, 1, 2, 3, 5, 10, 20, 30, 60];
const GRID_WEIGHTS = [
  [1, 0],
  [4, 1],
  [3, 1],
  [2, 1],
  [3, 2],
  [1, 1],
  [2, 3],
  [1, 2],
  [1, 3],
  [1, 4],
  [0, 1],
];

for (const [variant, toRun] of Object.entries(variants)) {
  console.log(`\nembeddings: ${variant}`);
  const runs = Object.fromEntries(Object.entries(lists).map(([set, qs]) => [set, qs.map(toRun)]));
  for (const [set, setRuns] of Object.entries(runs)) {
    show(
      set,
      'keyword',
      score(setRuns, (run) => run.keyword.map((h) => h.id)),
    );
    show(
      set,
      'vector',
      score(setRuns, (run) => run.vector.map((h) => h.id)),
    );
    for (const [name, fusion] of Object.entries(fusions)) show(set, name, score(setRuns, fused(fusion)));
  }
  if (!flags.includes('--grid')) continue;
  const [tuning, heldOut] = [runs.tuning ?? [], runs['held-out'] ?? []];
  const grid = GRID_K.flatMap((k) => GRID_WEIGHTS.map((weights) => ({ k, weights })))
    .map((fusion) => ({ fusion, tuning: score(tuning, fused(fusion)) }))
    .sort((a, b) => b.tuning.mrr - a.tuning.mrr || b.tuning.r1 - a.tuning.r1 || b.tuning.r5 - a.tuning.r5);
  console.log('  grid, best by MRR on the tuning set, with the held-out figures beside:');
  for (const { fusion, tuning: t } of grid.slice(0, 12)) {
    const name = `k ${fusion.k} weights ${fusion.weights.join(':')}`;
    show('tuning', name, t);
    show('held-out', name, score(heldOut, fused(fusion)));
  }
}
