// The API Worker: HTTP, and the tenant gate's Durable Object. Queue messages and the cron go to the
// jobs Worker (workers/jobs-main.ts), which also owns the job feed and the local vector index.
import { handleFetch } from './api/app';
import type { Env } from './env';

export { RateLimiter } from './objects/rate-limiter';

export default {
  fetch: (request, env, ctx) => handleFetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
