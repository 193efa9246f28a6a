// `npm run bench`: measures the local API on 127.0.0.1 — throughput and latency of /health, /auth/me
// with a JWT and with an API key, what the tenant gate (rate limiter) adds, the job round trip, chat
// over the conversation WebSocket (chat-bench.mjs; BENCH_CHAT=0 skips it), the knowledge base, the
// semantic cache's lookup and hit rate inside workerd (ai-cache/run.mjs), the TypeScript SDK's bundled size, and
// for each of the two Workers (API, jobs) the production bundle size and the start-up time, each
// figure beside its goal. A benchmark, not a test: it prints figures and asserts nothing.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { apiPost, quietEnv, root, wranglerBin } from '../scripts/local-setup.mjs';
import { bundleSdk } from '../scripts/sdk-bundle.mjs';
import { runAiCacheBench } from './ai-cache/run.mjs';
import { runIntegrationsBench } from './integrations/run.mjs';
import { registerBenchOwner, startBenchServer } from './local-server.mjs';
import { runWorkerdRenders } from './workerd-render/run.mjs';

const PORT = Number(process.env.BENCH_PORT ?? 8797);
const BASE = `http://127.0.0.1:${PORT}`;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const MAX_REQUESTS = Number(process.env.BENCH_REQUESTS ?? 4000);
const MAX_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP = 200;

/** The goals of issue #10 for the figures below (ms, KiB). */
const GOALS = {
  apiStartupMs: 15,
  apiGzipKiB: 400,
  jobRoundTripP50Ms: 400,
  /** /auth/me p50 at most this multiple of /health's, and throughput at least this share of it. */
  authLatencyRatio: 1.3,
  authThroughputRatio: 0.7,
  gateMs: 1,
  apiKeyWarmMs: 1,
  workerMemoryMb: 128,
  /** The whole TypeScript SDK as an application bundles it (issue #16 asks for its size). */
  sdkGzipKiB: 10,
};
const goal = (text) => `(goal ${text})`;

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** Closed-loop load: CONCURRENCY workers, bounded by request count and time. */
const load = async (
  path,
  headers = {},
  { requests = MAX_REQUESTS, seconds = MAX_SECONDS, concurrency = CONCURRENCY } = {},
) => {
  const latencies = [];
  const serverTimings = {};
  let errors = 0;
  let issued = 0;
  const deadline = performance.now() + seconds * 1000;
  const worker = async () => {
    while (issued < requests && performance.now() < deadline) {
      issued += 1;
      const started = performance.now();
      const res = await fetch(`${BASE}${path}`, { headers });
      await res.arrayBuffer();
      latencies.push(performance.now() - started);
      if (!res.ok) errors += 1;
      for (const part of (res.headers.get('server-timing') ?? '').split(',')) {
        const match = /^\s*([\w-]+);dur=([\d.]+)/.exec(part);
        if (!match) continue;
        serverTimings[match[1]] = serverTimings[match[1]] ?? [];
        serverTimings[match[1]].push(Number(match[2]));
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    requests: latencies.length,
    errors,
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    server: Object.fromEntries(Object.entries(serverTimings).map(([k, xs]) => [k, mean(xs)])),
  };
};

/**
 * Job round trip: POST /documents/generate for a small DOCX until its `done` event arrives on the
 * tenant's job feed (WebSocket, ticket auth), through the local queue, the jobs Worker and the feed.
 * A `done` event may arrive before the 202 does, so events are kept by job id.
 */
const jobRoundTrip = async (jwt) => {
  const res = await fetch(`${BASE}/api/v1/jobs/feed/ticket`, {
    method: 'POST',
    headers: { authorization: `Bearer ${jwt}` },
  });
  const ticket = (await res.json()).data;
  const socket = new WebSocket(`ws://127.0.0.1:${PORT}/api/v1/jobs/feed`, [ticket.protocol]);
  const done = new Map();
  const waiters = new Map();
  socket.addEventListener('message', (message) => {
    const event = JSON.parse(String(message.data));
    if (!event.job_id || event.status !== 'done') return;
    done.set(event.job_id, performance.now());
    waiters.get(event.job_id)?.();
  });
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve, { once: true });
    socket.addEventListener('error', reject, { once: true });
  });
  const JOBS = 20;
  const times = [];
  for (let i = 0; i < JOBS; i += 1) {
    const started = performance.now();
    const doc = await post(
      '/api/v1/documents/generate',
      {
        title: `Round trip ${i}`,
        format: 'docx',
        content: {
          title: `Round trip ${i}`,
          sections: [{ heading: 'Hello', blocks: [{ type: 'paragraph', text: 'A small document.' }] }],
        },
      },
      jwt,
    );
    let timer;
    await Promise.race([
      new Promise((resolve) => (done.has(doc.job_id) ? resolve() : waiters.set(doc.job_id, resolve))),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('no done event within 30 s')), 30_000);
      }),
    ]);
    clearTimeout(timer);
    times.push(done.get(doc.job_id) - started);
  }
  socket.close();
  // The first job also loads the jobs Worker's handler and the DOCX renderer.
  const first = times[0];
  const warm = times.slice(1).sort((x, y) => x - y);
  console.log(
    `\nJob round trip (small DOCX: POST /documents/generate → done event on /jobs/feed), ${JOBS} jobs: ` +
      `p50 ${percentile(warm, 50).toFixed(0)} ms ${goal(`≤ ${GOALS.jobRoundTripP50Ms}`)}, ` +
      `max ${warm.at(-1).toFixed(0)} ms, first ${first.toFixed(0)} ms`,
  );
};

const post = (path, body, token) => apiPost(BASE, path, body, token);

const { WRANGLER_LOG: _level, ...wranglerDefaultLogEnv } = quietEnv;

/** The two Workers as production deploys them. */
const WORKERS = [
  { name: 'API Worker', config: 'wrangler.production.toml', bundle: join(root, '.bench', 'api.bundle') },
  { name: 'jobs Worker', config: 'wrangler.jobs.production.toml', bundle: join(root, '.bench', 'jobs.bundle') },
];

/** A production bundle exactly as `wrangler deploy` would upload it (minified), written to a file. */
const productionBundle = ({ config, bundle }) => {
  const build = spawnSync(
    wranglerBin,
    ['deploy', '--dry-run', '--outfile', bundle, '--config', config],
    // wrangler prints its summaries only at the default log level and with no standard input.
    { cwd: root, env: wranglerDefaultLogEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = build.stdout + build.stderr;
  const match = /Total Upload:\s*([\d.]+) KiB \/ gzip:\s*([\d.]+) KiB/.exec(output);
  if (build.status !== 0 || !match) return { error: output.slice(-500) };
  return { raw: Number(match[1]), gzip: Number(match[2]) };
};

/**
 * `wrangler check startup` on that bundle, nine times. The figure is sampled: one sample may carry
 * 20 ms or more on a busy machine (a hello-world Worker reads 0 to 35 ms), so the mean is printed
 * beside the median.
 */
const startupMs = ({ config, bundle }) => {
  const runs = [];
  for (let i = 0; i < 9; i += 1) {
    const out = spawnSync(
      wranglerBin,
      ['check', 'startup', '--config', config, '--worker', bundle, '--outfile', `${bundle}.cpuprofile`],
      { cwd: root, env: wranglerDefaultLogEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const match = /Active:\s*([\d.]+)\s*ms/.exec(out.stdout + out.stderr);
    if (match) runs.push(Number(match[1]));
  }
  runs.sort((a, b) => a - b);
  if (!runs.length) return null;
  const mean = runs.reduce((a, b) => a + b, 0) / runs.length;
  return { median: runs[Math.floor(runs.length / 2)], mean: Number(mean.toFixed(1)), min: runs[0], max: runs.at(-1) };
};

const fmt = (r) =>
  `${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(2).padStart(6)} ms  p99 ${r.p99.toFixed(2).padStart(6)} ms  (${r.requests} requests, ${r.errors} errors)`;

const server = await startBenchServer({ port: PORT, state: 'state', fonts: true });
try {
  const suffix = Math.random().toString(36).slice(2, 8);
  const signedIn = await post('/api/v1/auth/register', {
    email: `bench-${suffix}@example.com`,
    password: `bench-password-${suffix}`,
    name: 'Bench',
    organization_name: `Bench ${suffix}`,
  });
  const jwt = signedIn.tokens.access_token;
  const key = (await post('/api/v1/api-keys', { name: 'bench', scopes: ['*'] }, jwt)).key;

  const scenarios = [
    ['(a) GET /health', '/health', {}],
    ['(b) GET /api/v1/auth/me (JWT)', '/api/v1/auth/me', { authorization: `Bearer ${jwt}` }],
    ['(c) GET /api/v1/auth/me (API key)', '/api/v1/auth/me', { authorization: `Bearer ${key}` }],
  ];
  const results = {};
  console.log(
    `\nHTTP on ${BASE}, concurrency ${CONCURRENCY}, at most ${MAX_REQUESTS} requests or ${MAX_SECONDS} s each`,
  );
  for (const [name, path, headers] of scenarios) {
    await load(path, headers, { requests: WARMUP, seconds: 5 });
    results[name] = await load(path, headers);
    console.log(`${name.padEnd(36)} ${fmt(results[name])}`);
  }
  console.log('\nOne request at a time (latency without queueing), 500 requests each:');
  for (const [name, path, headers] of scenarios) {
    console.log(`${name.padEnd(36)} ${fmt(await load(path, headers, { requests: 500, seconds: 10, concurrency: 1 }))}`);
  }
  const [a, b, c] = Object.values(results);
  console.log(
    `\nLatency ratio to /health (p50): JWT ${(b.p50 / a.p50).toFixed(2)}x, API key ${(c.p50 / a.p50).toFixed(2)}x ` +
      goal(`≤ ${GOALS.authLatencyRatio}x`),
  );
  console.log(
    `Throughput ratio to /health:    JWT ${(b.rps / a.rps).toFixed(2)}, API key ${(c.rps / a.rps).toFixed(2)} ` +
      goal(`≥ ${GOALS.authThroughputRatio}`),
  );
  console.log(
    `Inside the Worker (Server-Timing means): JWT auth ${b.server.auth?.toFixed(2)} ms + gate ${b.server.ratelimit?.toFixed(2)} ms; ` +
      `API key auth ${c.server.auth?.toFixed(2)} ms (warm key ${goal(`≤ ${GOALS.apiKeyWarmMs}`)}) + gate ${c.server.ratelimit?.toFixed(2)} ms ` +
      goal(`gate ≤ ${GOALS.gateMs}`),
  );
  await jobRoundTrip(jwt);
  const register = (label) => registerBenchOwner(post, label);
  if (process.env.BENCH_CHAT !== '0') {
    const { runChatBench } = await import('./chat-bench.mjs');
    await runChatBench({ base: BASE, post, register });
  }
  if (process.env.BENCH_KB !== '0') {
    const { runKbBench } = await import('./kb-bench.mjs');
    await runKbBench({ base: BASE, post, register });
  }
  if (process.env.BENCH_WALLET !== '0') {
    const { runWalletBench } = await import('./wallet-bench.mjs');
    await runWalletBench({ base: BASE, post, register });
  }
  if (process.env.BENCH_WORKFLOWS !== '0') {
    const { runWorkflowBench } = await import('./workflow-bench.mjs');
    await runWorkflowBench({ base: BASE, post, register });
  }
} finally {
  // Let the server exit before the start-up measurement, which is sensitive to a busy machine.
  await server.stop();
}

/** Each render in its own Node process (same libraries as the Worker), for a clean memory figure. */
const renderCases = () => {
  console.log('\nRenderers (Node, one process per case; the Worker limit is 128 MB):');
  for (const kind of ['pdf-100', 'docx-100', 'pptx-50', 'xlsx-100k']) {
    const out = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/render-case.ts', kind], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const line = out.stdout.trim().split('\n').at(-1) ?? '';
    try {
      const r = JSON.parse(line);
      console.log(
        `${kind.padEnd(10)} ${String(r.ms).padStart(6)} ms  ${(r.bytes / 1024).toFixed(0).padStart(7)} KiB  ` +
          `model ${r.model_mb} MB, peak added ${r.peak_added_mb} MB, process peak RSS ${r.peak_rss_mb} MB`,
      );
    } catch {
      console.log(`${kind.padEnd(10)} failed: ${(out.stderr || out.stdout).slice(-400)}`);
    }
  }
};

/** Chunking about 1 MB of text (knowledge-base ingestion's CPU part), in its own Node process. */
const chunkCase = () => {
  const out = spawnSync(process.execPath, ['--import', 'tsx', 'bench/chunk-case.ts'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const r = JSON.parse(out.stdout.trim().split('\n').at(-1) ?? '');
    console.log(`\nChunking ${r.chars} characters into ${r.chunks} chunks: ${r.ms} ms`);
  } catch {
    console.log(`\nChunking failed: ${(out.stderr || out.stdout).slice(-400)}`);
  }
};

renderCases();
console.log(
  '\nRenderers inside workerd (a fresh local runtime per case; growth of the process peak RSS, which overstates the V8 heap):',
);
for (const r of await runWorkerdRenders()) {
  console.log(
    r.ok
      ? `${r.case.padEnd(11)} ${String(r.ms).padStart(6)} ms ${r.pages ? ` (${r.pages} pages)` : ''} model ${r.model_mb} MB, render peak added ${r.peak_added_mb} MB, ` +
          `model + render ${(r.model_mb + r.peak_added_mb).toFixed(1)} MB ${goal(`≤ ${GOALS.workerMemoryMb} MB`)}`
      : `${r.case.padEnd(10)} failed: ${r.error}`,
  );
}
for (const line of await runAiCacheBench()) console.log(line);
for (const line of await runIntegrationsBench()) console.log(line);
chunkCase();
console.log(
  '\nProduction bundles (wrangler deploy --dry-run, minified) and start-up (wrangler check startup, Active, median of 9):',
);
for (const worker of WORKERS) {
  const isApi = worker.name === 'API Worker';
  const bundle = productionBundle(worker);
  console.log(
    bundle.error
      ? `${worker.name}: build failed: ${bundle.error}`
      : `${worker.name.padEnd(12)} bundle ${bundle.raw} KiB, gzip ${bundle.gzip} KiB` +
          (isApi ? ` ${goal(`≤ ${GOALS.apiGzipKiB} KiB gzip`)}` : ''),
  );
  if (bundle.error) continue;
  const startup = startupMs(worker);
  console.log(
    startup
      ? `${worker.name.padEnd(12)} start-up ${startup.median} ms` +
          (isApi ? ` ${goal(`≤ ${GOALS.apiStartupMs}`)}` : '') +
          ` (mean ${startup.mean}, min ${startup.min}, max ${startup.max})`
      : `${worker.name}: wrangler check startup printed no Active figure`,
  );
}
// The chat widget's loader as the asset layer serves it (built by scripts/build-assets.mjs).
const widget = readFileSync(join(root, '.assets', 'widget.js'));
console.log(
  `\nChat widget loader /widget.js: ${(widget.length / 1024).toFixed(1)} KiB, gzip ${(gzipSync(widget).length / 1024).toFixed(1)} KiB ${goal('≤ 15 KiB gzip')}`,
);
// The SDK as an application bundles it (scripts/sdk-bundle.mjs): every helper, and the client alone.
const sdk = await bundleSdk();
const sdkClient = await bundleSdk({ contents: "export { createClient } from './packages/sdk/src/index.ts';" });
console.log(
  `SDK @flowspark/sdk (browser bundle, minified ESM): ${(sdk.bytes / 1024).toFixed(1)} KiB, gzip ${(sdk.gzipBytes / 1024).toFixed(1)} KiB ` +
    `${goal(`≤ ${GOALS.sdkGzipKiB} KiB gzip`)}; createClient alone ${(sdkClient.gzipBytes / 1024).toFixed(1)} KiB gzip`,
);
process.exit(0);
