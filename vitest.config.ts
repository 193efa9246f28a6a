import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

/** Fresh signing and encryption keys for every test run: tests never depend on a checked-in secret. */
const testSecrets = async () => {
  const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const jwk = await crypto.subtle.exportKey('jwk', pair.privateKey);
  return {
    JWT_PRIVATE_KEY: JSON.stringify({ ...jwk, kid: `test-${Date.now()}`, alg: 'ES256', use: 'sig' }),
    ENCRYPTION_KEY: btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))),
  };
};

export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          ...(await testSecrets()),
          ENVIRONMENT: 'test',
          // Many tests share 127.0.0.1; the per-IP limit has its own test with a low limit.
          PUBLIC_RATE_LIMIT_PER_MINUTE: '100000',
          TEST_MIGRATIONS: await readD1Migrations('./migrations'),
        },
      },
    })),
  ],
  test: {
    include: ['test/**/*.test.ts', 'packages/**/*.test.ts', 'workers/**/*.test.ts'],
    setupFiles: ['./test/setup.ts'],
    testTimeout: 20_000,
  },
});
