// The API Worker: HTTP, the tenant gate's and the chat sessions' Durable Objects. Queue messages and the cron go to the
// jobs Worker (workers/jobs-main.ts), which also owns the job feed and the local vector index.
import { handleFetch } from './api/app';
import type { Env } from './env';

export { ChatSession } from './objects/chat-session';
export { RateLimiter } from './objects/rate-limiter';

export default {
  fetch: (request, env, ctx) => handleFetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
