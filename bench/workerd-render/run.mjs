// Renderer memory inside workerd: each case in a fresh `wrangler dev` of bench/workerd-render/worker.ts.
// A first request builds the document model and keeps it; the render's figure is the growth of the
// workerd process's peak resident memory (VmHWM) during the render request, the model's the growth
// while it was built. Resident memory overstates the V8 heap a Worker is limited by (128 MB): it also
// holds freed pages the runtime has not returned. Linux only (/proc).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { quietEnv, root, wranglerBin } from '../../scripts/local-setup.mjs';

const PORT = Number(process.env.BENCH_RENDER_PORT ?? 8798);
const CASES = (process.env.BENCH_RENDER_CASES ?? 'pdf-100,docx-100,pptx-50,xlsx-100k,booklet-500').split(',');

const descendants = (pid) => {
  const out = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout.trim();
  const children = out ? out.split('\n').map(Number) : [];
  return children.flatMap((child) => [child, ...descendants(child)]);
};

const statusKb = (pid, field) => {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : 0;
};

/** The workerd processes under a wrangler dev (the user worker's runtime and wrangler's own proxy). */
const workerdPids = (pid) =>
  descendants(pid).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'workerd';
    } catch {
      return false;
    }
  });

const waitReady = async () => {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${PORT}/?case=ready`);
      if (res.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('render worker did not start');
};

export const runWorkerdRenders = async () => {
  const results = [];
  for (const kind of CASES) {
    const child = spawn(
      wranglerBin,
      [
        'dev',
        '-c',
        join(root, 'bench', 'workerd-render', 'wrangler.toml'),
        '--ip',
        '127.0.0.1',
        '--port',
        String(PORT),
      ],
      { cwd: root, env: quietEnv, stdio: ['ignore', 'ignore', 'ignore'] },
    );
    try {
      await waitReady();
      const pids = workerdPids(child.pid);
      if (pids.length === 0) throw new Error('no workerd process found');
      const empty = new Map(pids.map((p) => [p, statusKb(p, 'VmHWM')]));
      await (await fetch(`http://127.0.0.1:${PORT}/?case=${kind}&step=model`)).arrayBuffer();
      const before = new Map(pids.map((p) => [p, statusKb(p, 'VmHWM')]));
      const started = performance.now();
      const res = await fetch(`http://127.0.0.1:${PORT}/?case=${kind}`);
      const body = await res.json();
      const wallMs = Math.round(performance.now() - started);
      // The process that rendered is the one whose peak grew the most.
      const [pid, growth] = pids
        .map((p) => [p, statusKb(p, 'VmHWM') - before.get(p)])
        .reduce((best, next) => (next[1] > best[1] ? next : best));
      const baseline = before.get(pid);
      const peak = baseline + growth;
      results.push({
        case: kind,
        ok: res.ok,
        bytes: body.bytes,
        ...(body.pages ? { pages: body.pages } : {}),
        ms: wallMs,
        model_mb: Math.round(((baseline - empty.get(pid)) / 1024) * 10) / 10,
        peak_added_mb: Math.round(((peak - baseline) / 1024) * 10) / 10,
        peak_mb: Math.round((peak / 1024) * 10) / 10,
      });
    } catch (err) {
      results.push({ case: kind, ok: false, error: String(err) });
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    }
  }
  return results;
};

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await runWorkerdRenders()) console.log(JSON.stringify(r));
}
