import { handleFetch } from './api/app';
import type { Env, JobMessage } from './env';

export { JobFeed } from './realtime/job-feed';
export { RateLimiter } from './realtime/rate-limiter';

export default {
  fetch: (request, env, ctx) => handleFetch(request, env, ctx),
  queue: async (batch, env) => {
    const { handleQueue } = await import('./jobs/consumer');
    await handleQueue(batch, env);
  },
} satisfies ExportedHandler<Env, JobMessage>;
