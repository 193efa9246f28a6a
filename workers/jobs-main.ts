// The jobs Worker: the queue consumer (jobs and their dead-letter queue), the cron, the RPC
// entrypoint the API Worker calls for template files, and the Durable Objects the jobs write to (the
// job feed, the local vector index, the keyword index). The parsers and renderers live here, never in the API Worker.
import type { Env, JobMessage } from './env';

export { AgentRunRunner } from './jobs/agent-runner';
export { JobsService } from './jobs/service';
export { WorkflowExecutionRunner } from './jobs/workflow-runner';
export { JobFeed } from './objects/job-feed';
export { KeywordIndex } from './objects/keyword-index';
export { LocalVectorIndex } from './objects/local-vector-index';
export { SemanticCache } from './objects/semantic-cache';
export { TokenWallet } from './objects/token-wallet';

export default {
  queue: async (batch, env, _ctx) => {
    const { handleQueue } = await import('./jobs/consumer');
    await handleQueue(batch, env);
  },
  scheduled: async (controller, env, _ctx) => {
    const { handleScheduled } = await import('./jobs/scheduled');
    await handleScheduled(controller, env);
  },
} satisfies ExportedHandler<Env, JobMessage>;
