import { AppError, describeError, logger, newId } from '@flowspark/core';
import { createDb } from '@flowspark/db';
import {
  createExecution,
  findQuietExecutions,
  findUnstartedExecutions,
  markRunLost,
  touchExecution,
} from '@flowspark/workflows/executions';
import { claimDueSchedules, findWorkflowById } from '@flowspark/workflows/workflows';
import type { Env } from '../env';
import { startRunInstance } from './runs';

/** An execution still `queued` this long after it was written never got its instance: start it again. */
const UNSTARTED_AFTER_MS = 2 * 60 * 1000;
/** A running execution not written to for this long is checked against its instance. */
const QUIET_AFTER_MS = 15 * 60 * 1000;

/** The instance's status; `missing` when there is no such instance. */
const instanceStatus = async (env: Env, instanceId: string): Promise<string> => {
  try {
    return (await (await env.WORKFLOW_EXECUTIONS.get(instanceId)).status()).status;
  } catch (err) {
    if (/not.?found/i.test(String((err as Error)?.message ?? err))) return 'missing';
    throw err;
  }
};

export interface ScheduleSummary {
  started: number;
  skipped: number;
  restarted: number;
  lost: number;
}

/**
 * The cron's workflow part: every schedule due starts an execution of its workflow's current version
 * (trigger `cron`, the trigger's input), and executions whose instance was never created are started.
 * Running executions whose instance ended without ending them become `error` (RUN_LOST), so they
 * can be retried. One schedule's failure (a disabled workflow, an input the variables refuse) is
 * logged and does not stop the others.
 */
export const runScheduledWorkflows = async (env: Env, now: Date): Promise<ScheduleSummary> => {
  const db = createDb(env.DB);
  const requestId = newId('req');
  const summary: ScheduleSummary = { started: 0, skipped: 0, restarted: 0, lost: 0 };
  for (const schedule of await claimDueSchedules(db, now)) {
    try {
      const record = await findWorkflowById(db, schedule.workflowId);
      if (!record || record.workflow.orgId !== schedule.orgId) continue;
      const execution = await createExecution(db, record, {
        trigger: 'cron',
        input: schedule.input ?? {},
        createdBy: null,
      });
      await startRunInstance(env, 'execution', execution.instanceId, { org_id: execution.orgId, run_id: execution.id });
      summary.started += 1;
    } catch (err) {
      summary.skipped += 1;
      const expected = err instanceof AppError;
      logger[expected ? 'info' : 'warn']('scheduled workflow not started', {
        request_id: requestId,
        workflow_id: schedule.workflowId,
        ...describeError(err),
      });
    }
  }
  for (const execution of await findUnstartedExecutions(db, new Date(now.getTime() - UNSTARTED_AFTER_MS))) {
    try {
      await touchExecution(db, execution.id);
      await startRunInstance(env, 'execution', execution.instanceId, { org_id: execution.orgId, run_id: execution.id });
      summary.restarted += 1;
    } catch (err) {
      logger.warn('execution not restarted', {
        request_id: requestId,
        execution_id: execution.id,
        ...describeError(err),
      });
    }
  }
  for (const execution of await findQuietExecutions(db, new Date(now.getTime() - QUIET_AFTER_MS))) {
    try {
      const status = await instanceStatus(env, execution.instanceId);
      if (!['errored', 'terminated', 'complete', 'missing'].includes(status)) continue;
      const row = await markRunLost(
        db,
        { orgId: execution.orgId, executionId: execution.id, instanceId: execution.instanceId },
        `The run ended without finishing (${status}); retry it to resume from the step it reached`,
      );
      if (row) summary.lost += 1;
    } catch (err) {
      logger.warn('execution not checked', {
        request_id: requestId,
        execution_id: execution.id,
        ...describeError(err),
      });
    }
  }
  if (summary.started + summary.skipped + summary.restarted + summary.lost > 0) {
    logger.info('scheduled workflows', { request_id: requestId, ...summary });
  }
  return summary;
};
