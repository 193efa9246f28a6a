import { describeError, logger } from '@flowspark/core';
import type { Database } from '@flowspark/db';
import { activeInstanceIds, type ExecutionRow } from '@flowspark/workflows/executions';
import type { Env } from '../../../env';

/**
 * Starts the execution's durable instance (in the jobs Worker). The execution is written first, so a
 * failure here loses nothing: it stays `queued` and the cron starts it (see scheduled.ts).
 */
export const startExecution = async (env: Env, execution: ExecutionRow, requestId: string) => {
  try {
    await env.JOBS_SERVICE.startRun('execution', execution.instanceId, {
      org_id: execution.orgId,
      run_id: execution.id,
    });
  } catch (err) {
    logger.warn('execution not started; the cron will start it', {
      request_id: requestId,
      execution_id: execution.id,
      ...describeError(err),
    });
  }
};

/** Stops the instances of a workflow's unfinished executions (before it is deleted). */
export const stopActiveExecutions = async (env: Env, db: Database, orgId: string, workflowId: string) => {
  const instances = await activeInstanceIds(db, orgId, workflowId);
  await Promise.all(instances.map((id) => env.JOBS_SERVICE.stopRun('execution', id).catch(() => undefined)));
};
