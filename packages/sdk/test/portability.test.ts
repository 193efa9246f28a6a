import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleSdk } from '../../../scripts/sdk-bundle.mjs';

const src = join(import.meta.dirname, '..', 'src');
const sources = readdirSync(src)
  .filter((name) => name.endsWith('.ts'))
  .map((name) => ({ name, text: readFileSync(join(src, name), 'utf8') }));

const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
/** Globals that exist only in Node. */
const NODE_GLOBALS = /\b(?:process\.|Buffer\b|require\(|__dirname|__filename|global\.|setImmediate\()/;

describe('the SDK runs wherever fetch does (Node 20+, browsers, Deno, Workers)', () => {
  it('imports no Node built-in and uses no Node global in its sources', () => {
    expect(sources.map((s) => s.name)).toContain('client.ts');
    for (const { name, text } of sources) {
      const imports = [...text.matchAll(/\bfrom\s+'([^']+)'|\bimport\(\s*'([^']+)'/g)].map((m) => m[1] ?? m[2]);
      expect(
        imports.filter((spec) => builtins.has(spec!)),
        name,
      ).toEqual([]);
      expect(NODE_GLOBALS.exec(text.replaceAll(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''))?.[0], name).toBeUndefined();
    }
  });

  it('bundles for the browser platform with its dependencies (a Node built-in would not resolve)', async () => {
    const { code } = await bundleSdk();
    expect(code).toContain('idempotency-key');
    expect(/\b(?:Buffer\b|require\(|__dirname|__filename|setImmediate\()/.exec(code)?.[0]).toBeUndefined();
    // openapi-fetch feature-detects Node (`typeof process === "object" && …`); nothing relies on it.
    for (const use of code.matchAll(/\bprocess\b/g)) {
      expect(code.slice(Math.max(0, use.index - 120), use.index + 7)).toMatch(/typeof process/);
    }
  });

  it('is tree-shakeable ESM: importing the client alone leaves the job and stream helpers out', async () => {
    const manifest = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({ type: 'module', sideEffects: false });
    const whole = await bundleSdk();
    const clientOnly = await bundleSdk({ contents: "export { createClient } from './packages/sdk/src/index.ts';" });
    expect(whole.code).toContain('/jobs/feed/ticket');
    expect(clientOnly.code).not.toContain('/jobs/feed/ticket');
    expect(clientOnly.code).not.toContain('text/event-stream');
    expect(clientOnly.bytes).toBeLessThan(whole.bytes * 0.75);
  });
});
