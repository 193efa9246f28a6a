import type { D1Migration } from '@cloudflare/vitest-plugin';
import type { Env as WorkerEnv } from '../workers/env';

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      TEST_MIGRATIONS: D1Migration[];
    }
    interface GlobalProps {
      mainModule: typeof import('./worker');
      durableNamespaces: 'RateLimiter' | 'ChatSession' | 'JobFeed' | 'LocalVectorIndex';
    }
  }
}
