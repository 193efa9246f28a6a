import { handleFetch } from './api/app';
import type { Env, JobMessage } from './env';

export { JobFeed } from './objects/job-feed';
export { KeywordIndex } from './objects/keyword-index';
export { LocalVectorIndex } from './objects/local-vector-index';
export { RateLimiter } from './objects/rate-limiter';

export default {
  fetch: (request, env, ctx) => handleFetch(request, env, ctx),
  queue: async (batch, env, _ctx) => {
    const { handleQueue } = await import('./jobs/consumer');
    await handleQueue(batch, env);
  },
  scheduled: async (controller, env, _ctx) => {
    const { handleScheduled } = await import('./jobs/scheduled');
    await handleScheduled(controller, env);
  },
} satisfies ExportedHandler<Env, JobMessage>;
