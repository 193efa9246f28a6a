// Workflow part of `npm run bench`, against the local server on 127.0.0.1: what the durable run adds
// to each step of a 10-step workflow beyond the step's own work. For every execution the server's
// own records give the run time (started_at → finished_at) and each step's work (its duration_ms:
// the step's call, from its start to its output); the overhead per step is (run − Σ work) / 10: the
// Workflows engine's step, the D1 writes that begin and end the step, and the feed events. Two
// workflows: 10 conditions (almost no work), and 10 LLM steps answered by the local provider with the
// cache bypassed. Also the start latency (created_at → started_at: the instance's creation and
// start). Runs alone too: `node bench/workflow-bench.mjs` (with the bench server up).

const RUNS = Number(process.env.BENCH_WORKFLOW_RUNS ?? 8);
const STEPS = 10;

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const p50 = (xs) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
const max = (xs) => Math.max(...xs);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const WORKFLOWS = {
  '10 conditions': Array.from({ length: STEPS }, (_, i) => ({
    id: `check${i}`,
    type: 'condition',
    if: i === 0 ? 'input.n >= 0' : `steps.check${i - 1}.output == true`,
  })),
  '10 LLM steps': Array.from({ length: STEPS }, (_, i) => ({
    id: `say${i}`,
    type: 'llm',
    prompt: i === 0 ? 'Say hello to run {{input.n}}' : `Repeat this: {{steps.say${i - 1}.output}}`,
    max_tokens: 64,
  })),
};

export const runWorkflowBench = async ({ base, post, register }) => {
  console.log(`\nWorkflows (${STEPS}-step executions, ${RUNS} runs each after one warm-up; server-side records)`);
  const token = await register('workflows');
  const get = async (path) => {
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return (await res.json()).data;
  };
  for (const [label, steps] of Object.entries(WORKFLOWS)) {
    const workflow = await post('/api/v1/workflows', { name: label, definition: { steps } }, token);
    const overheads = [];
    const starts = [];
    const work = [];
    for (let run = 0; run <= RUNS; run += 1) {
      const res = await fetch(`${base}/api/v1/workflows/${workflow.id}/run`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'cache-control': 'no-cache' },
        body: JSON.stringify({ input: { n: run } }),
      });
      const { execution_id: id } = (await res.json()).data;
      const deadline = Date.now() + 60_000;
      let execution;
      for (;;) {
        execution = await get(`/api/v1/executions/${id}`);
        if (['done', 'error', 'cancelled'].includes(execution.status) || Date.now() > deadline) break;
        await sleep(50);
      }
      if (execution.status !== 'done') {
        console.log(`${label}: execution ${execution.status}: ${JSON.stringify(execution.error)}`);
        break;
      }
      if (run === 0) continue;
      const total = Date.parse(execution.finished_at) - Date.parse(execution.started_at);
      const stepWork = execution.steps.reduce((sum, s) => sum + (s.duration_ms ?? 0), 0);
      overheads.push((total - stepWork) / STEPS);
      work.push(stepWork / STEPS);
      starts.push(Date.parse(execution.started_at) - Date.parse(execution.created_at));
    }
    if (overheads.length === 0) continue;
    console.log(
      `${label.padEnd(14)} overhead per step p50 ${p50(overheads).toFixed(1)} ms (max ${max(overheads).toFixed(1)}) ` +
        `, work per step p50 ${p50(work).toFixed(1)} ms, ` +
        `start latency p50 ${p50(starts).toFixed(0)} ms (max ${max(starts).toFixed(0)})`,
    );
  }
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const { apiPost } = await import('../scripts/local-setup.mjs');
  const { registerBenchOwner, startBenchServer } = await import('./local-server.mjs');
  const port = Number(process.env.BENCH_PORT ?? 8797);
  const server = await startBenchServer({ port, state: 'workflows' });
  try {
    const post = (path, body, token) => apiPost(server.base, path, body, token);
    await runWorkflowBench({ base: server.base, post, register: (label) => registerBenchOwner(post, label) });
  } finally {
    await server.stop();
  }
  process.exit(0);
}
