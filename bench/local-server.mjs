// The local API the benchmarks measure: both Workers in one `wrangler dev` on 127.0.0.1, on fresh
// state (migrations applied, fonts installed when asked), with rate limits raised so a benchmark
// measures the limiter's cost without being limited by it.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildAssets } from '../scripts/build-assets.mjs';
import { installFontsLocal } from '../scripts/fonts.mjs';
import {
  applyMigrationsToFreshState,
  devConfigArgsWithVars,
  ensureDevVars,
  quietEnv,
  root,
  wranglerBin,
} from '../scripts/local-setup.mjs';

const waitForServer = async (child, base) => {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error('wrangler dev exited early');
    try {
      if ((await fetch(`${base}/health`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('The local server did not start within 60 s');
};

/**
 * Starts the server and waits for /health; `stop()` ends it (within 5 s). `vars`: extra `NAME:value`
 * pairs, given to both Workers.
 */
export const startBenchServer = async ({ port, state, fonts = false, vars = [] }) => {
  const stateDir = join(root, '.bench', state);
  mkdirSync(join(root, '.bench'), { recursive: true });
  rmSync(stateDir, { recursive: true, force: true });
  await ensureDevVars();
  await buildAssets();
  applyMigrationsToFreshState(stateDir);
  if (fonts) installFontsLocal(stateDir);
  const config = await devConfigArgsWithVars(
    Object.fromEntries(vars.map((pair) => [pair.slice(0, pair.indexOf(':')), pair.slice(pair.indexOf(':') + 1)])),
  );
  const child = spawn(
    wranglerBin,
    [
      'dev',
      ...config.args,
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--persist-to',
      stateDir,
      '--var',
      'RATE_LIMITS:{"free":{"per_minute":100000000}}',
      '--var',
      'ENVIRONMENT:development',
    ],
    { cwd: root, env: quietEnv, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    config.remove();
  };
  try {
    await waitForServer(child, base);
  } catch (err) {
    await stop();
    throw err;
  }
  return { base, stop };
};

/** A new organization and its owner through the API (`post` as apiPost with the base bound): the owner's access token. */
export const registerBenchOwner = async (post, label) => {
  const suffix = Math.random().toString(36).slice(2, 8);
  const data = await post('/api/v1/auth/register', {
    email: `${label}-${suffix}@example.com`,
    password: `bench-password-${suffix}`,
    name: label,
    organization_name: `${label} ${suffix}`,
  });
  return data.tokens.access_token;
};
