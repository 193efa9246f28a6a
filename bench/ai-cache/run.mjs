// The semantic cache's part of `npm run bench`: bench/ai-cache/worker.ts in a fresh `wrangler dev`
// per embedding model (the local hash vectors, the bridged ones, and the local embedding model when
// its server starts), each measuring inside workerd the lookup of cachedChat (key, guard, embedding,
// one call to the organization's SemanticCache object) with the set's 40 questions cached and again
// with the cache at its 5,000-entry cap, the paraphrase hit rate, and the false hits on near misses
// and unrelated questions (bench/ai-cache/paraphrases.json). Runs alone too: `node bench/ai-cache/run.mjs`.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { quietEnv, root, startEmbeddingsServer, wranglerBin } from '../../scripts/local-setup.mjs';

const PORT = Number(process.env.BENCH_AI_CACHE_PORT ?? 8799);
const FILL = Number(process.env.BENCH_AI_CACHE_FILL ?? 5000);

const waitReady = async (child) => {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error('wrangler dev exited early');
    try {
      if ((await fetch(`http://127.0.0.1:${PORT}/?case=ready`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('the cache bench Worker did not start');
};

const runOnce = async (vars) => {
  const state = join(root, '.bench', 'ai-cache-state');
  rmSync(state, { recursive: true, force: true });
  const child = spawn(
    wranglerBin,
    [
      'dev',
      '-c',
      join(root, 'bench', 'ai-cache', 'wrangler.toml'),
      '--ip',
      '127.0.0.1',
      '--port',
      String(PORT),
      '--persist-to',
      state,
      ...Object.entries(vars).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
    ],
    { cwd: root, env: quietEnv, stdio: ['ignore', 'ignore', 'ignore'] },
  );
  try {
    await waitReady(child);
    const res = await fetch(`http://127.0.0.1:${PORT}/?fill=${FILL}`);
    const body = await res.json();
    if (!res.ok) throw new Error(body.error ?? `status ${res.status}`);
    return body;
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  }
};

const pct = (n, of) => `${n}/${of} (${((100 * n) / of).toFixed(1)}%)`;
const ms = (f) => `p50 ${f.p50.toFixed(0)} ms, p99 ${f.p99.toFixed(0)} ms, mean ${f.mean.toFixed(2)} ms`;

/** Lines describing one run. */
const describe = (label, r) => {
  const scored = (s, entries) =>
    `  ${entries} entries: hit lookup ${ms(s.hit_lookup_ms)} (${s.hit_lookup_ms.n}), exact ${ms(s.exact_lookup_ms)}; ` +
    `paraphrase hits ${pct(s.paraphrase_hits, s.paraphrases)}${s.wrong_entry_hits ? `, ${s.wrong_entry_hits} on the wrong entry` : ''}` +
    (s.min_hit_similarity === null ? '' : ` (lowest hit similarity ${s.min_hit_similarity})`) +
    `; false hits: near misses ${pct(s.near_miss_hits, s.near_misses)}, unrelated ${pct(s.unrelated_hits, s.unrelated)}` +
    (s.false_hits.length ? ` [${s.false_hits.join(' | ')}]` : '');
  return [
    `${label}: ${r.embedding_model}, threshold ${r.threshold}; miss lookup (${r.entries_small} questions cached one by one) ${ms(r.miss_lookup_ms)}`,
    scored(r.small, r.entries_small),
    scored(r.full, r.entries_full),
  ];
};

/** Every run's lines (a run that failed says why); the caller prints them. */
export const runAiCacheBench = async () => {
  const lines = [
    '\nSemantic cache (inside workerd: lookup = key + guard + embedding + the SemanticCache object; bench/ai-cache/paraphrases.json):',
  ];
  for (const [label, vars] of [
    ['hash embeddings', { AI_EMBEDDINGS: 'hash' }],
    ['bridged embeddings', { AI_EMBEDDINGS: 'bridged' }],
  ]) {
    try {
      lines.push(...describe(label, await runOnce(vars)));
    } catch (err) {
      lines.push(`${label}: failed: ${err.message}`);
    }
  }
  let embeddings = null;
  try {
    embeddings = await startEmbeddingsServer({ port: 0, stdio: 'pipe' });
  } catch (err) {
    lines.push(`model embeddings: skipped (the local embedding model server did not start: ${err.message})`);
  }
  if (embeddings) {
    try {
      lines.push(
        ...describe('model embeddings', await runOnce({ AI_EMBEDDINGS: 'model', AI_EMBEDDINGS_URL: embeddings.url })),
      );
    } catch (err) {
      lines.push(`model embeddings: failed: ${err.message}`);
    } finally {
      await embeddings.stop();
    }
  }
  return lines;
};

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of await runAiCacheBench()) console.log(line);
}
