import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startBenchServer } from '../../bench/local-server.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
  }
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** One local server (both Workers under `wrangler dev`, fresh state) for every browser test. */
export default async function setup(project: TestProject) {
  const state = `e2e-${process.pid}`;
  const server = await startBenchServer({ port: await freePort(), state });
  project.provide('baseUrl', server.base);
  return async () => {
    await server.stop();
    rmSync(join(import.meta.dirname, '../../.bench', state), { recursive: true, force: true });
  };
}
