// The integrations part of `npm run bench`: bench/integrations/case.ts, bundled for Node and run
// against the Notion and Confluence fakes the tests use. Runs alone too: `node bench/integrations/run.mjs`.
import { join } from 'node:path';
import { build } from 'esbuild';
import { root } from '../../scripts/local-setup.mjs';

export const runIntegrationsBench = async () => {
  const out = await build({
    entryPoints: [join(root, 'bench', 'integrations', 'case.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    write: false,
    logLevel: 'silent',
  });
  const code = out.outputFiles[0].text;
  const { run } = await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
  return ['\nIntegrations (provider side, against the test fakes, in Node):', ...(await run())];
};

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of await runIntegrationsBench()) console.log(line);
}
