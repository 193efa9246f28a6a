// `npm run dev`: local secrets, the static assets, local D1 migrations, then the whole API on
// http://localhost:8787: the API Worker and the jobs Worker in one `wrangler dev`. No account and no
// network: D1, R2, Queues and Durable Objects are simulated locally.
//
// `AI_EMBEDDINGS=model npm run dev` (or AI_EMBEDDINGS=model in .dev.vars) also starts the local
// embedding model's server (scripts/embeddings-server.mjs, on 127.0.0.1:8790 or AI_EMBEDDINGS_PORT)
// and points both Workers at it, unless AI_EMBEDDINGS_URL names a server of your own.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildAssets } from './build-assets.mjs';
import { installFontsLocal } from './fonts.mjs';
import {
  applyLocalMigrations,
  devConfigArgsWithVars,
  ensureDevVars,
  quietEnv,
  root,
  startEmbeddingsServer,
  wranglerBin,
} from './local-setup.mjs';

/** A variable as `wrangler dev` will see it: `--var NAME:value`, the environment here, or .dev.vars. */
const devVar = (name) => {
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length - 1; i++) {
    if (args[i] === '--var' && args[i + 1].startsWith(`${name}:`)) return args[i + 1].slice(name.length + 1);
  }
  if (process.env[name] !== undefined) return process.env[name];
  const file = join(root, '.dev.vars');
  if (!existsSync(file)) return undefined;
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.trim().startsWith(`${name}=`));
  return line
    ?.slice(line.indexOf('=') + 1)
    .trim()
    .replace(/^(['"])(.*)\1$/, '$2');
};

await ensureDevVars();
await buildAssets();
// Migrations and PDF fonts go into the state directory wrangler dev will use (`--persist-to DIR`).
const persistAt = process.argv.indexOf('--persist-to');
const persistTo = persistAt >= 0 ? process.argv[persistAt + 1] : undefined;
applyLocalMigrations(persistTo ? ['--persist-to', persistTo] : []);
installFontsLocal(persistTo);

// Both Workers embed (the jobs Worker at ingestion, the API Worker for queries): both get the
// embedding variables, however they were given.
const embeddingsVar = devVar('AI_EMBEDDINGS');
const useModel = embeddingsVar?.trim().toLowerCase() === 'model';
const ownServer = devVar('AI_EMBEDDINGS_URL');
const modelPort = Number(process.env.AI_EMBEDDINGS_PORT ?? 8790);
const vars = {};
if (embeddingsVar !== undefined) vars.AI_EMBEDDINGS = embeddingsVar;
if (useModel) vars.AI_EMBEDDINGS_URL = ownServer ?? `http://127.0.0.1:${modelPort}`;
const embeddings = useModel && !ownServer ? startEmbeddingsServer({ port: modelPort }) : null;

const config = await devConfigArgsWithVars(vars);
const args = ['dev', ...config.args, '--port', process.env.PORT ?? '8787', ...process.argv.slice(2)];
const child = spawn(wranglerBin, args, { cwd: root, env: quietEnv, stdio: 'inherit' });
const stopEmbeddings = async () => (await embeddings?.catch(() => null))?.stop();
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', async (code) => {
  config.remove();
  await stopEmbeddings();
  process.exit(code ?? process.exitCode ?? 0);
});
embeddings?.then(
  (server) => console.log(`Local embedding model ready at ${server.url} (${server.startupMs} ms).`),
  (err) => {
    console.error(`The local embedding model server did not start: ${err.message}`);
    process.exitCode = 1;
    child.kill('SIGTERM');
  },
);
