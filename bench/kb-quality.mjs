// `node bench/kb-quality.mjs`: the retrieval-quality part of the benchmark on its own, without the
// large-index latency runs. Starts the local API on 127.0.0.1 (bench/local-server.mjs, as bench/run.mjs does), ingests the
// labelled corpus in bench/kb/ into a new tenant, and prints recall@1, recall@5 and MRR per mode
// (keyword, vector, hybrid) for the tuning set (questions.json) and the held-out set (heldout.json).
//
// Variables: BENCH_PORT (default 8798); BENCH_VARS, extra `NAME:value` pairs for both Workers
// separated by spaces (e.g. `AI_EMBEDDINGS:bridged`); BENCH_LISTS=path writes each question's
// keyword and vector candidate lists (top 20 chunks, as hybrid fuses them) to a JSON file, so fusion
// settings can be replayed offline (bench/kb-replay.ts). With `AI_EMBEDDINGS:model` it starts the
// local embedding model's server too (scripts/embeddings-server.mjs, on a free port) and reports its
// start-up time and the latency of embedding one question.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiPost, startEmbeddingsServer } from '../scripts/local-setup.mjs';
import { mrr, recallAt } from './kb/metrics.mjs';
import { startBenchServer } from './local-server.mjs';

const PORT = Number(process.env.BENCH_PORT ?? 8798);
const BASE = `http://127.0.0.1:${PORT}`;
const dir = join(import.meta.dirname, 'kb');
const read = (name) => JSON.parse(readFileSync(join(dir, name), 'utf8'));
const MODES = ['keyword', 'vector', 'hybrid'];
const POOL = 20;

const extraVars = (process.env.BENCH_VARS ?? '').split(/\s+/).filter(Boolean);
const embeddingsMode = extraVars.find((v) => v.startsWith('AI_EMBEDDINGS:'))?.slice(14) ?? 'default';

const embeddings = embeddingsMode === 'model' ? await startEmbeddingsServer({ port: 0, stdio: 'pipe' }) : null;
if (embeddings) extraVars.push(`AI_EMBEDDINGS_URL:${embeddings.url}`);

/** Median and 95th percentile of embedding one question through the model's server, in ms. */
const embedLatency = async (questions) => {
  const times = [];
  for (const q of questions) {
    const started = performance.now();
    const res = await fetch(`${embeddings.url}/embed`, { method: 'POST', body: JSON.stringify({ texts: [q] }) });
    if (!res.ok) throw new Error(`embed: ${res.status}`);
    await res.json();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const at = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(1);
  return `p50 ${at(0.5)} ms, p95 ${at(0.95)} ms over ${times.length} questions`;
};

const server = await startBenchServer({ port: PORT, state: 'quality-state', vars: extraVars }).catch(async (err) => {
  await embeddings?.stop();
  throw err;
});

try {
  const suffix = Math.random().toString(36).slice(2, 8);
  const token = (
    await apiPost(BASE, '/api/v1/auth/register', {
      email: `kb-quality-${suffix}@example.com`,
      password: `bench-password-${suffix}`,
      name: 'KB quality',
      organization_name: `KB quality ${suffix}`,
    })
  ).tokens.access_token;
  const headers = { authorization: `Bearer ${token}` };

  const corpus = read('corpus.json').documents;
  const toCorpusId = new Map();
  const pending = new Set();
  for (const doc of corpus) {
    const created = await apiPost(BASE, '/api/v1/kb/documents/text', { title: doc.title, text: doc.text }, token);
    toCorpusId.set(created.document.id, doc.id);
    pending.add(created.document.id);
  }
  const deadline = Date.now() + 300_000;
  while (pending.size > 0 && Date.now() < deadline) {
    for (const id of [...pending]) {
      const doc = (await (await fetch(`${BASE}/api/v1/kb/documents/${id}`, { headers })).json()).data;
      if (doc.status === 'indexed') pending.delete(id);
      else if (doc.status === 'failed') throw new Error(`ingestion failed: ${doc.error_message}`);
    }
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 250));
  }
  if (pending.size > 0) throw new Error(`${pending.size} documents not indexed in time`);

  const search = async (q, mode, topK) => {
    const res = await fetch(`${BASE}/api/v1/kb/search?q=${encodeURIComponent(q)}&mode=${mode}&top_k=${topK}`, {
      headers,
    });
    if (!res.ok) throw new Error(`search ${mode}: ${res.status}`);
    return (await res.json()).data;
  };

  const lists = {};
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  for (const [name, file] of [
    ['tuning', 'questions.json'],
    ['held-out', 'heldout.json'],
  ]) {
    const questions = read(file).questions;
    console.log(`\n${name} set (${file}, ${questions.length} questions)`);
    for (const mode of MODES) {
      const r1 = [];
      const r5 = [];
      const rr = [];
      for (const q of questions) {
        const data = await search(q.question, mode, 5);
        const docs = data.hits.map((h) => toCorpusId.get(h.document_id));
        r1.push(recallAt(1, docs, q.expected_document_id));
        r5.push(recallAt(5, docs, q.expected_document_id));
        rr.push(mrr(docs, q.expected_document_id));
      }
      console.log(
        `  ${mode.padEnd(7)} recall@1 ${mean(r1).toFixed(3)}  recall@5 ${mean(r5).toFixed(3)}  MRR ${mean(rr).toFixed(3)}`,
      );
    }
    if (process.env.BENCH_LISTS) {
      lists[name] = [];
      for (const q of questions) {
        const [keyword, vector] = await Promise.all(
          ['keyword', 'vector'].map((mode) => search(q.question, mode, POOL)),
        );
        const entry = (h) => ({ chunk: h.chunk_id, document: toCorpusId.get(h.document_id), score: h.score });
        lists[name].push({
          id: q.id,
          expected: q.expected_document_id,
          keyword: keyword.hits.map(entry),
          vector: vector.hits.map(entry),
        });
      }
    }
  }
  console.log(`\nLocal embeddings: ${embeddingsMode}`);
  if (embeddings) {
    const questions = ['questions.json', 'heldout.json'].flatMap((file) => read(file).questions.map((q) => q.question));
    console.log(`Embedding model server: ready in ${embeddings.startupMs} ms (process start and model load)`);
    console.log(`One question embedded (HTTP round trip): ${await embedLatency(questions)}`);
  }
  if (process.env.BENCH_LISTS) {
    writeFileSync(process.env.BENCH_LISTS, `${JSON.stringify(lists)}\n`);
    console.log(`Candidate lists written to ${process.env.BENCH_LISTS}`);
  }
} finally {
  await server.stop();
  await embeddings?.stop();
}
process.exit(0);
