// The browser tests (test/e2e) drive Debian's Chromium through playwright-core. `npm test` runs this
// first: when /usr/bin/chromium is missing and the machine can install it (root with apt-get, as in
// CI), it installs the `chromium` package; otherwise it says what to run. Takes no time when present.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const run = (cmd, args) =>
  spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });

if (!existsSync(CHROMIUM)) {
  const canInstall = process.getuid?.() === 0 && spawnSync('which', ['apt-get']).status === 0;
  if (!canInstall) {
    console.error(
      `Browser tests need Chromium at ${CHROMIUM}: install Debian's package (sudo apt-get install -y chromium) or set CHROMIUM_PATH.`,
    );
    process.exit(1);
  }
  console.log('Installing Chromium for the browser tests (apt-get install chromium)…');
  if (
    run('apt-get', ['update', '-qq']).status !== 0 ||
    run('apt-get', ['install', '-y', '-qq', 'chromium']).status !== 0
  ) {
    console.error('Could not install Chromium with apt-get.');
    process.exit(1);
  }
}
