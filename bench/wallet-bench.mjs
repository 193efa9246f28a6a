// Token wallet part of `npm run bench`, against the local server (local AI provider) on 127.0.0.1:
// knowledge-base answers (POST /kb/query), each of which reserves its estimate from the
// organization's TokenWallet object before the model is asked and settles its usage after. The
// Worker reports both steps as Server-Timing entries (`wallet-reserve`, `wallet-settle`): their p50
// and p99 one answer at a time and under concurrency (every request on the same organization's
// wallet), and their share of the answer's latency. Runs alone too: `node bench/wallet-bench.mjs`.

const ANSWERS = Number(process.env.BENCH_WALLET_ANSWERS ?? 200);
const CONCURRENCY = [1, 10, 25];
const WARMUP = 10;
/** This bench's own goals (ms): what the wallet may add to one answer. */
const GOALS = { walletP50Ms: 10, walletP99Ms: 50 };

const QUESTION = 'When does the office open on Saturdays?';
const TEXT =
  'Office hours. The office opens at nine in the morning on weekdays and closes at five in the afternoon. ' +
  'On Saturdays the office opens at ten and closes at two. It is closed on Sundays and public holidays.';

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const stats = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
};
const ms = (x) => `${x.toFixed(2)} ms`;

const serverTiming = (header) => {
  const out = {};
  for (const part of (header ?? '').split(',')) {
    const match = /^\s*([\w-]+);dur=([\d.]+)/.exec(part);
    if (match) out[match[1]] = Number(match[2]);
  }
  return out;
};

export const runWalletBench = async ({ base, post, register }) => {
  console.log('\nToken wallet (POST /kb/query: reserve before the model, settle after; one organization)');
  const token = await register('wallet');
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const { document } = await post('/api/v1/kb/documents/text', { title: 'Office hours', text: TEXT }, token);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const res = await fetch(`${base}/api/v1/kb/documents/${document.id}`, { headers });
    if ((await res.json()).data.status === 'indexed') break;
    await new Promise((r) => setTimeout(r, 200));
  }

  const ask = async () => {
    const started = performance.now();
    const res = await fetch(`${base}/api/v1/kb/query`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: QUESTION, top_k: 3 }),
    });
    const body = await res.json();
    const total = performance.now() - started;
    if (!body.success) throw new Error(`answer refused: ${res.status} ${JSON.stringify(body.error)}`);
    const timing = serverTiming(res.headers.get('server-timing'));
    if (timing['wallet-reserve'] === undefined) throw new Error('no wallet timing: was a model asked?');
    return { total, reserve: timing['wallet-reserve'], settle: timing['wallet-settle'] ?? 0 };
  };

  for (let i = 0; i < WARMUP; i += 1) await ask();
  const rows = [];
  for (const concurrency of CONCURRENCY) {
    const samples = [];
    let next = 0;
    const worker = async () => {
      while (next < ANSWERS) {
        next += 1;
        samples.push(await ask());
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const reserve = stats(samples.map((s) => s.reserve));
    const settle = stats(samples.map((s) => s.settle));
    const both = stats(samples.map((s) => s.reserve + s.settle));
    const total = stats(samples.map((s) => s.total));
    const share = (100 * both.p50) / total.p50;
    rows.push({ concurrency, both });
    console.log(
      `  concurrency ${String(concurrency).padStart(2)}: reserve p50 ${ms(reserve.p50)}, p99 ${ms(reserve.p99)}; settle p50 ` +
        `${ms(settle.p50)}, p99 ${ms(settle.p99)}; both p50 ${ms(both.p50)}, p99 ${ms(both.p99)} of an answer's ` +
        `p50 ${ms(total.p50)} (${share.toFixed(0)}%), ${samples.length} answers`,
    );
  }
  const worst = rows.reduce((a, b) => (b.both.p99 > a.both.p99 ? b : a));
  const p50 = Math.max(...rows.map((r) => r.both.p50));
  console.log(
    `What the wallet adds to a KB answer: p50 ≤ ${ms(p50)} (goal ≤ ${GOALS.walletP50Ms} ms: ${p50 <= GOALS.walletP50Ms ? 'met' : 'missed'}), ` +
      `p99 ${ms(worst.both.p99)} at concurrency ${worst.concurrency} (goal ≤ ${GOALS.walletP99Ms} ms: ` +
      `${worst.both.p99 <= GOALS.walletP99Ms ? 'met' : 'missed'})`,
  );
  const wallet = (await (await fetch(`${base}/api/v1/billing/tokens?page_size=1`, { headers })).json()).data;
  console.log(
    `  the wallet afterwards: balance ${wallet.balance}, reserved ${wallet.reserved} (all settled: ${wallet.reserved === 0})`,
  );
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const { apiPost } = await import('../scripts/local-setup.mjs');
  const { registerBenchOwner, startBenchServer } = await import('./local-server.mjs');
  const port = Number(process.env.BENCH_PORT ?? 8797);
  const server = await startBenchServer({ port, state: 'wallet' });
  try {
    const post = (path, body, token) => apiPost(server.base, path, body, token);
    await runWalletBench({ base: server.base, post, register: (label) => registerBenchOwner(post, label) });
  } finally {
    await server.stop();
  }
  process.exit(0);
}
