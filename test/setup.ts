import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { FONT_NAMES, fontKey } from '../packages/docgen/src/fonts';

// Runs before each test file; applying migrations is idempotent.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

// PDF fonts, as production has them in R2 (vitest.config.ts passes the files as FONT_* blobs).
const blobs = env as unknown as Record<string, ArrayBuffer | undefined>;
for (const name of FONT_NAMES) {
  const bytes = blobs[`FONT_${name.replace('-', '_')}`];
  if (bytes && !(await env.FILES.head(fontKey(name)))) await env.FILES.put(fontKey(name), bytes);
}
