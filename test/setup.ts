import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { FONT_NAMES, fontKey } from '../packages/docgen/src/fonts';

/** Migrations, then the PDF fonts in R2, as production has them (vitest.config.ts passes the files as FONT_* blobs). */
const prepareStorage = async () => {
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
  const blobs = env as unknown as Record<string, ArrayBuffer | undefined>;
  for (const name of FONT_NAMES) {
    const bytes = blobs[`FONT_${name.replace('-', '_')}`];
    if (bytes && !(await env.FILES.head(fontKey(name)))) await env.FILES.put(fontKey(name), bytes);
  }
};

// This file runs before every test file, but the workerd project shares one runtime (and its storage)
// between files (`isolate: false`): the first file prepares the storage and the others wait for that
// same promise. A file run alone, or in a fresh runtime, finds no promise and prepares it itself.
const runtime = globalThis as { __testStorageReady?: Promise<void> };
runtime.__testStorageReady ??= prepareStorage();
await runtime.__testStorageReady;
