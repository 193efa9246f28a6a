// The Worker the workerd tests run: both Workers' handlers in one runtime. HTTP is the API Worker's
// (workers/main.ts); queue deliveries, the cron and the JobsService entrypoint are the jobs Worker's
// (workers/jobs-main.ts), reached through the same bindings as in production (the queue, and the
// JOBS_SERVICE service binding, which vitest.config.ts points at this Worker). One runtime keeps the
// suite fast and lets a test register a job type where the real queue will run it.

import jobs from '../workers/jobs-main';
import api from '../workers/main';

export {
  AgentRunRunner,
  JobFeed,
  JobsService,
  KeywordIndex,
  LocalVectorIndex,
  SemanticCache,
  TokenWallet,
  WorkflowExecutionRunner,
} from '../workers/jobs-main';
export { ChatSession, RateLimiter } from '../workers/main';

export default { fetch: api.fetch, queue: jobs.queue, scheduled: jobs.scheduled };
