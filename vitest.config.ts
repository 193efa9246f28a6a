import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from 'wrangler';

/** Fresh signing and encryption keys for every test run: tests never depend on a checked-in secret. */
const testSecrets = async () => {
  const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const jwk = await crypto.subtle.exportKey('jwk', pair.privateKey);
  // The local OIDC issuer's ID-token key (provider `local`), another key than the API's own.
  const issuerPair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const issuerJwk = await crypto.subtle.exportKey('jwk', issuerPair.privateKey);
  const random = () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
  return {
    JWT_PRIVATE_KEY: JSON.stringify({ ...jwk, kid: `test-${Date.now()}`, alg: 'ES256', use: 'sig' }),
    ENCRYPTION_KEY: random(),
    SSO_LOCAL_CLIENT_SECRET: random(),
    SSO_LOCAL_SIGNING_KEY: JSON.stringify({ ...issuerJwk, kid: `test-issuer-${Date.now()}`, alg: 'ES256', use: 'sig' }),
  };
};

/**
 * PDF fonts for tests, as data blobs (ArrayBuffers in env): test/setup.ts puts them into the R2
 * bucket at _system/fonts/<name>.ttf, where the Worker reads them. Same files as scripts/fonts.mjs.
 */
const fontBlobs = {
  FONT_NotoSans_Regular: './node_modules/@expo-google-fonts/noto-sans/400Regular/NotoSans_400Regular.ttf',
  FONT_NotoSans_Bold: './node_modules/@expo-google-fonts/noto-sans/700Bold/NotoSans_700Bold.ttf',
  FONT_NotoSansSC_Regular: './node_modules/@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf',
  FONT_NotoEmoji_Regular: './node_modules/@expo-google-fonts/noto-emoji/400Regular/NotoEmoji_400Regular.ttf',
  FONT_NotoSansKR_Regular: './node_modules/@expo-google-fonts/noto-sans-kr/400Regular/NotoSansKR_400Regular.ttf',
  FONT_NotoSansArabic_Regular:
    './node_modules/@expo-google-fonts/noto-sans-arabic/400Regular/NotoSansArabic_400Regular.ttf',
  FONT_NotoSansDevanagari_Regular:
    './node_modules/@expo-google-fonts/noto-sans-devanagari/400Regular/NotoSansDevanagari_400Regular.ttf',
};

/**
 * Pure unit tests (no bindings, no Workers runtime): they run in Node, where each file starts in
 * milliseconds, instead of paying a workerd pool start, migrations and font uploads per file.
 * Package tests that need the runtime stay in the workerd project. `scripts/*.test.ts` test the local
 * Node tools (the embedding model's server).
 */
const unitTests = ['packages/**/*.test.ts', 'test/architecture/*.test.ts', 'scripts/*.test.ts'];
// D1's FTS5, and the PDF renderers' fonts read from the R2 binding.
const unitTestsNeedingWorkerd = [
  'packages/rag/src/fts.test.ts',
  'packages/docgen/src/pdf-form.test.ts',
  'packages/docgen/src/render/docx.test.ts',
  'packages/docgen/src/render/index.test.ts',
  'packages/docgen/src/render/pdf.test.ts',
];
// Package tests that run in both: the ZIP writer and the XLSX sheets depend on when each runtime's
// CompressionStream is done with a chunk.
const unitTestsInBothRuntimes = [
  'packages/archive/src/writer-pieces.test.ts',
  'packages/docgen/src/render/xlsx-large.test.ts',
];

/**
 * The workerd tests run one Worker (test/worker.ts) with the API Worker's configuration (wrangler.toml)
 * and the jobs Worker's parts added from wrangler.jobs.toml: its queue consumers with their batch and
 * retry settings, its Durable Objects and its Workflows as local classes. The API's JOBS_SERVICE binding names this
 * Worker (`flowspark-edge`), which the plugin binds to the test Worker itself.
 */
const jobsWorker = (): Record<string, unknown> => {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(unstable_readConfig({ config: './wrangler.jobs.toml' }));
  return {
    queueConsumers: workerOptions.queueConsumers,
    durableObjects: workerOptions.durableObjects,
    workflows: workerOptions.workflows,
    serviceBindings: { JOBS_SERVICE: { name: 'flowspark-edge', entrypoint: 'JobsService' } },
  };
};

export default defineConfig({
  test: {
    // Twice the cores: most workerd tests wait (queues, job feeds, polling) rather than compute, so
    // four runtimes on two cores finish the workerd project in about 100 s instead of 140. Six were
    // slower again.
    maxWorkers: 4,
    projects: [
      {
        test: {
          name: 'unit',
          include: unitTests,
          exclude: unitTestsNeedingWorkerd,
          environment: 'node',
          testTimeout: 20_000,
        },
      },
      {
        // Real pages in headless Chromium against the local server (`wrangler dev`, both Workers).
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['./test/e2e/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 90_000,
        },
      },
      {
        plugins: [
          cloudflareTest(async () => ({
            wrangler: { configPath: './wrangler.toml' },
            main: './test/worker.ts',
            miniflare: {
              ...jobsWorker(),
              bindings: {
                ...(await testSecrets()),
                ENVIRONMENT: 'test',
                // Many tests share 127.0.0.1; the per-IP limit has its own test with a low limit.
                PUBLIC_RATE_LIMIT_PER_MINUTE: '100000',
                // Tests act as distinct clients through CF-Connecting-IP, as behind Cloudflare's edge;
                // test/platform/client-ip.test.ts covers the untrusted (local) mode.
                TRUST_CF_CONNECTING_IP: 'true',
                TEST_MIGRATIONS: await readD1Migrations('./migrations'),
              },
              dataBlobBindings: fontBlobs,
            },
          })),
        ],
        test: {
          name: 'workerd',
          include: [
            'test/**/*.test.ts',
            'workers/**/*.test.ts',
            ...unitTestsNeedingWorkerd,
            ...unitTestsInBothRuntimes,
          ],
          exclude: ['test/architecture/**', 'test/e2e/**'],
          setupFiles: ['./test/setup.ts'],
          testTimeout: 20_000,
          // One runtime for every file instead of one each: every test makes its own tenant, so no
          // file depends on fresh storage, and the suite runs in a fifth of the time.
          isolate: false,
        },
      },
    ],
  },
});
