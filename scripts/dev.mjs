// `npm run dev`: local secrets, local D1 migrations, then the whole API on http://localhost:8787.
// No account and no network: D1, R2, Queues and Durable Objects are simulated locally.
import { spawn } from 'node:child_process';
import { installFontsLocal } from './fonts.mjs';
import { applyLocalMigrations, ensureDevVars, quietEnv, root, wranglerBin } from './local-setup.mjs';

await ensureDevVars();
applyLocalMigrations();
// PDF fonts go into the local R2 bucket (the same state directory wrangler dev will use).
const persistAt = process.argv.indexOf('--persist-to');
installFontsLocal(persistAt >= 0 ? process.argv[persistAt + 1] : undefined);
const args = ['dev', '--port', process.env.PORT ?? '8787', ...process.argv.slice(2)];
const child = spawn(wranglerBin, args, { cwd: root, env: quietEnv, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));
