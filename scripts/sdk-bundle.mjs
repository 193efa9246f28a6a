// The SDK as an application would ship it: bundled for the browser platform (so a Node built-in
// anywhere in it or its dependencies fails the build), minified ESM, tree-shaken to what an entry
// imports. `npm run bench` reports its size; packages/sdk/src/portability.test.ts checks the build.
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

export const SDK_ENTRY = 'packages/sdk/src/index.ts';

/** `contents`: an entry module's source (resolved from the repository root), or the whole SDK. */
export const bundleSdk = async ({ contents = `export * from './${SDK_ENTRY}';` } = {}) => {
  const result = await build({
    stdin: { contents, resolveDir: new URL('..', import.meta.url).pathname, loader: 'ts' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].text;
  return { code, bytes: Buffer.byteLength(code), gzipBytes: gzipSync(code).length };
};
