// `npm run dev`: local secrets, the static assets, local D1 migrations, then the whole API on http://localhost:8787: the
// API Worker and the jobs Worker in one `wrangler dev`. No account and no network: D1, R2, Queues
// and Durable Objects are simulated locally.
import { spawn } from 'node:child_process';
import { buildAssets } from './build-assets.mjs';
import { installFontsLocal } from './fonts.mjs';
import { applyLocalMigrations, devConfigArgs, ensureDevVars, quietEnv, root, wranglerBin } from './local-setup.mjs';

await ensureDevVars();
await buildAssets();
// Migrations and PDF fonts go into the state directory wrangler dev will use (`--persist-to DIR`).
const persistAt = process.argv.indexOf('--persist-to');
const persistTo = persistAt >= 0 ? process.argv[persistAt + 1] : undefined;
applyLocalMigrations(persistTo ? ['--persist-to', persistTo] : []);
installFontsLocal(persistTo);
const args = ['dev', ...devConfigArgs, '--port', process.env.PORT ?? '8787', ...process.argv.slice(2)];
const child = spawn(wranglerBin, args, { cwd: root, env: quietEnv, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));
