/**
 * Executions and their steps (seed 004 WorkflowExecution, ExecutionStep): the D1 side of a durable
 * run. The API writes an execution with one pending row per step; the Workflow instance that runs it
 * moves each step through running → done | error (or skipped by a branch) and ends the execution.
 * Every write of the instance is fenced by its instance id and the execution's status, so a cancelled
 * execution, or one a retry handed to a new instance, ignores what an old instance still writes.
 */
import { type Actor, AppError, batches, conflict, newId, notFound, type PageRequest } from '@flowspark/core';
import { type Database, paginateNewestFirst, schema } from '@flowspark/db';
import { and, asc, eq, inArray, lt, type SQL, sql } from 'drizzle-orm';
import { listAiRequests } from './ai-requests';
import { resolveInput, type WorkflowDefinition } from './definition';
import {
  hasTrigger,
  versionDefinition,
  versionVariables,
  type WorkflowRecord,
  type WorkflowVersionRow,
} from './workflows';

const { workflowExecutions, executionSteps, workflowVersions, workflows } = schema;

export type ExecutionRow = typeof workflowExecutions.$inferSelect;
export type ExecutionStepRow = typeof executionSteps.$inferSelect;
export type ExecutionStatus = ExecutionRow['status'];
export type ExecutionTrigger = ExecutionRow['trigger'];
export const EXECUTION_STATUSES = ['queued', 'running', 'done', 'error', 'cancelled'] as const;
export const isFinished = (status: ExecutionStatus) =>
  status === 'done' || status === 'error' || status === 'cancelled';

/** D1 binds at most 100 parameters per statement: step rows go in slices that stay under it. */
const STEP_ROWS_PER_INSERT = 6;

export interface NewExecution {
  trigger: ExecutionTrigger;
  input: Record<string, unknown>;
  createdBy: string | null;
  cacheBypass?: boolean;
}

/**
 * Writes a new execution of the workflow's current version with its pending steps (one batch) and
 * returns it; the caller starts its instance. The input is checked against the declared variables
 * (400 naming `input.<name>`); a disabled workflow, or one without the trigger used, is 409.
 */
export const createExecution = async (
  db: Database,
  record: WorkflowRecord,
  params: NewExecution,
): Promise<ExecutionRow> => {
  const { workflow, version } = record;
  if (!workflow.enabled) {
    throw new AppError('CONFLICT', 'The workflow is disabled', { details: { reason: 'WORKFLOW_DISABLED' } });
  }
  if (!hasTrigger(version, params.trigger)) {
    throw new AppError('CONFLICT', `The workflow has no ${params.trigger} trigger`, {
      details: { reason: 'TRIGGER_NOT_ENABLED', trigger: params.trigger },
    });
  }
  const input = resolveInput(versionVariables(version), params.input);
  const at = new Date().toISOString();
  const id = newId('exe');
  const execution: ExecutionRow = {
    id,
    orgId: workflow.orgId,
    workflowId: workflow.id,
    version: version.version,
    status: 'queued',
    trigger: params.trigger,
    input,
    output: null,
    errorCode: null,
    errorMessage: null,
    failedStep: null,
    instanceId: id,
    runs: 1,
    cacheBypass: params.cacheBypass ?? false,
    tokensUsed: 0,
    createdBy: params.createdBy,
    createdAt: at,
    updatedAt: at,
    startedAt: null,
    finishedAt: null,
  };
  const steps: ExecutionStepRow[] = versionDefinition(version).steps.map((step, position) => ({
    id: newId('exs'),
    orgId: workflow.orgId,
    executionId: id,
    stepId: step.id,
    position,
    type: step.type,
    status: 'pending',
    input: null,
    output: null,
    errorCode: null,
    errorMessage: null,
    attempts: 0,
    tokensUsed: 0,
    startedAt: null,
    finishedAt: null,
    durationMs: null,
  }));
  await db.batch([
    db.insert(workflowExecutions).values(execution),
    ...batches(steps, STEP_ROWS_PER_INSERT).map((slice) => db.insert(executionSteps).values(slice)),
  ]);
  return execution;
};

const executionQuery = (db: Database, orgId: string, id: string) =>
  db
    .select()
    .from(workflowExecutions)
    .where(and(eq(workflowExecutions.id, id), eq(workflowExecutions.orgId, orgId)))
    .limit(1);

export const getExecution = async (db: Database, orgId: string, id: string): Promise<ExecutionRow | null> =>
  (await executionQuery(db, orgId, id))[0] ?? null;

export const requireExecution = async (db: Database, orgId: string, id: string): Promise<ExecutionRow> => {
  const row = await getExecution(db, orgId, id);
  if (!row) throw notFound('Execution');
  return row;
};

const stepsOf = (db: Database, orgId: string, executionId: string) =>
  db
    .select()
    .from(executionSteps)
    .where(and(eq(executionSteps.executionId, executionId), eq(executionSteps.orgId, orgId)))
    .orderBy(asc(executionSteps.position));

/** The execution with its steps (in order) and its AI requests, in one batch; 404 for another tenant's. */
export const getExecutionDetail = async (db: Database, orgId: string, id: string) => {
  const [executions, steps, aiRequests] = await db.batch([
    executionQuery(db, orgId, id),
    stepsOf(db, orgId, id),
    listAiRequests(db, orgId, { executionId: id }),
  ]);
  const execution = executions[0];
  if (!execution) throw notFound('Execution');
  return { execution, steps, aiRequests };
};

export interface ExecutionFilters {
  workflow_id?: string;
  status?: ExecutionStatus;
}

export const listExecutions = (db: Database, orgId: string, page: PageRequest & ExecutionFilters) => {
  const conditions: SQL[] = [eq(workflowExecutions.orgId, orgId)];
  if (page.workflow_id) conditions.push(eq(workflowExecutions.workflowId, page.workflow_id));
  if (page.status) conditions.push(eq(workflowExecutions.status, page.status));
  return paginateNewestFirst(db, workflowExecutions, and(...conditions), page);
};

/** The instances of a workflow's executions still queued or running (to stop before it is deleted). */
export const activeInstanceIds = async (db: Database, orgId: string, workflowId: string): Promise<string[]> => {
  const rows = await db
    .select({ instanceId: workflowExecutions.instanceId })
    .from(workflowExecutions)
    .where(
      and(
        eq(workflowExecutions.orgId, orgId),
        eq(workflowExecutions.workflowId, workflowId),
        inArray(workflowExecutions.status, ['queued', 'running']),
      ),
    );
  return rows.map((r) => r.instanceId);
};

/**
 * Cancels a queued or running execution at once: its status, and its unfinished steps, become
 * `cancelled`; the caller then stops its instance (a step already under way may finish, but nothing
 * it writes is kept). 409 when it already ended.
 */
export const cancelExecution = async (db: Database, orgId: string, id: string): Promise<ExecutionRow> => {
  const at = new Date().toISOString();
  const [rows] = await db.batch([
    db
      .update(workflowExecutions)
      .set({ status: 'cancelled', finishedAt: at, updatedAt: at })
      .where(
        and(
          eq(workflowExecutions.id, id),
          eq(workflowExecutions.orgId, orgId),
          inArray(workflowExecutions.status, ['queued', 'running']),
        ),
      )
      .returning(),
    db
      .update(executionSteps)
      .set({ status: 'cancelled', finishedAt: at })
      .where(
        and(
          eq(executionSteps.executionId, id),
          eq(executionSteps.orgId, orgId),
          inArray(executionSteps.status, ['pending', 'running']),
          sql`EXISTS (SELECT 1 FROM workflow_executions e WHERE e.id = ${id} AND e.status = 'cancelled' AND e.finished_at = ${at})`,
        ),
      ),
  ]);
  const row = rows[0];
  if (row) return row;
  const current = await requireExecution(db, orgId, id);
  throw conflict(`The execution is already ${current.status} and cannot be cancelled`, { status: current.status });
};

/**
 * Prepares a retry of an execution that failed or was cancelled: it goes back to `queued` under a new
 * instance id, its done steps keep their outputs (the new instance reuses them), and the step that
 * failed, with those after it, become pending again. The failed step keeps its recorded input. 409
 * for an execution that is queued, running or done.
 */
export const prepareRetry = async (db: Database, actor: Pick<Actor, 'orgId'>, id: string): Promise<ExecutionRow> => {
  const current = await requireExecution(db, actor.orgId, id);
  if (current.status !== 'error' && current.status !== 'cancelled') {
    throw conflict(`Only a failed or cancelled execution can be retried; this one is ${current.status}`, {
      status: current.status,
    });
  }
  const at = new Date().toISOString();
  const runs = current.runs + 1;
  const [rows] = await db.batch([
    db
      .update(workflowExecutions)
      .set({
        status: 'queued',
        runs,
        instanceId: `${id}-r${runs}`,
        errorCode: null,
        errorMessage: null,
        failedStep: null,
        finishedAt: null,
        updatedAt: at,
      })
      .where(
        and(
          eq(workflowExecutions.id, id),
          eq(workflowExecutions.orgId, actor.orgId),
          eq(workflowExecutions.runs, current.runs),
          inArray(workflowExecutions.status, ['error', 'cancelled']),
        ),
      )
      .returning(),
    db
      .update(executionSteps)
      .set({ status: 'pending', output: null, errorCode: null, errorMessage: null, finishedAt: null, durationMs: null })
      .where(
        and(
          eq(executionSteps.executionId, id),
          eq(executionSteps.orgId, actor.orgId),
          inArray(executionSteps.status, ['error', 'cancelled', 'running']),
          sql`EXISTS (SELECT 1 FROM workflow_executions e WHERE e.id = ${id} AND e.runs = ${runs})`,
        ),
      ),
  ]);
  const row = rows[0];
  if (!row) throw conflict('The execution changed while it was being retried; try again');
  return row;
};

// ——— What the running instance writes ———

/** What an instance needs to run its execution, or null when the execution is no longer its to run. */
export interface RunPlan {
  execution: ExecutionRow;
  definition: WorkflowDefinition;
  workflowVersion: number;
  /** Who the run acts for when no one ran it (a cron or webhook run): the workflow's creator. */
  workflowCreatedBy: string | null;
  steps: ExecutionStepRow[];
}

export const loadRunPlan = async (
  db: Database,
  orgId: string,
  id: string,
  instanceId: string,
): Promise<RunPlan | null> => {
  const execution = await getExecution(db, orgId, id);
  if (!execution || execution.instanceId !== instanceId || isFinished(execution.status)) return null;
  const [versions, owners, steps] = await db.batch([
    db
      .select()
      .from(workflowVersions)
      .where(
        and(eq(workflowVersions.workflowId, execution.workflowId), eq(workflowVersions.version, execution.version)),
      )
      .limit(1),
    db
      .select({ createdBy: workflows.createdBy })
      .from(workflows)
      .where(eq(workflows.id, execution.workflowId))
      .limit(1),
    stepsOf(db, orgId, id),
  ]);
  const version = versions[0] as WorkflowVersionRow | undefined;
  if (!version) return null;
  return {
    execution,
    definition: versionDefinition(version),
    workflowVersion: version.version,
    workflowCreatedBy: owners[0]?.createdBy ?? null,
    steps,
  };
};

/** The instance's own execution, still unfinished: the condition of every write it makes. */
const stillOurs = (executionId: string, instanceId: string) =>
  sql`EXISTS (SELECT 1 FROM workflow_executions e WHERE e.id = ${executionId} AND e.instance_id = ${instanceId} AND e.status IN ('queued', 'running'))`;

export interface RunRef {
  orgId: string;
  executionId: string;
  instanceId: string;
}

export const markExecutionRunning = async (db: Database, run: RunRef): Promise<ExecutionRow | null> => {
  const at = new Date().toISOString();
  const [row] = await db
    .update(workflowExecutions)
    .set({ status: 'running', startedAt: sql`coalesce(${workflowExecutions.startedAt}, ${at})`, updatedAt: at })
    .where(
      and(
        eq(workflowExecutions.id, run.executionId),
        eq(workflowExecutions.orgId, run.orgId),
        eq(workflowExecutions.instanceId, run.instanceId),
        inArray(workflowExecutions.status, ['queued', 'running']),
      ),
    )
    .returning();
  return row ?? null;
};

/**
 * Starts one attempt of a step: `running`, one more attempt, its input recorded the first time (a
 * later attempt, or a retried execution, keeps the recorded one). Null when the execution is no
 * longer this instance's (cancelled, or retried elsewhere): the step must not run.
 */
export const beginStepAttempt = async (
  db: Database,
  run: RunRef,
  stepId: string,
  input: unknown,
): Promise<ExecutionStepRow | null> => {
  const at = new Date().toISOString();
  const [row] = await db
    .update(executionSteps)
    .set({
      status: 'running',
      attempts: sql`${executionSteps.attempts} + 1`,
      input: sql`coalesce(${executionSteps.input}, ${JSON.stringify(input ?? null)})`,
      startedAt: sql`coalesce(${executionSteps.startedAt}, ${at})`,
      errorCode: null,
      errorMessage: null,
    })
    .where(
      and(
        eq(executionSteps.executionId, run.executionId),
        eq(executionSteps.orgId, run.orgId),
        eq(executionSteps.stepId, stepId),
        stillOurs(run.executionId, run.instanceId),
      ),
    )
    .returning();
  return row ?? null;
};

/** An attempt failed and will be retried: the error stays visible on the running step. */
export const recordStepAttemptError = async (
  db: Database,
  run: RunRef,
  stepId: string,
  code: string,
  message: string,
): Promise<ExecutionStepRow | null> => {
  const [row] = await db
    .update(executionSteps)
    .set({ errorCode: code, errorMessage: message })
    .where(
      and(
        eq(executionSteps.executionId, run.executionId),
        eq(executionSteps.stepId, stepId),
        stillOurs(run.executionId, run.instanceId),
      ),
    )
    .returning();
  return row ?? null;
};

export interface StepOutcome {
  output: unknown;
  tokens: number;
  durationMs: number;
}

/** The step is done with its output; its tokens count toward the execution's. */
export const completeStep = async (
  db: Database,
  run: RunRef,
  stepId: string,
  outcome: StepOutcome,
): Promise<ExecutionStepRow | null> => {
  const at = new Date().toISOString();
  const [steps] = await db.batch([
    db
      .update(executionSteps)
      .set({
        status: 'done',
        output: outcome.output ?? null,
        tokensUsed: outcome.tokens,
        errorCode: null,
        errorMessage: null,
        finishedAt: at,
        durationMs: Math.round(outcome.durationMs),
      })
      .where(
        and(
          eq(executionSteps.executionId, run.executionId),
          eq(executionSteps.stepId, stepId),
          eq(executionSteps.status, 'running'),
          stillOurs(run.executionId, run.instanceId),
        ),
      )
      .returning(),
    db
      .update(workflowExecutions)
      .set({ tokensUsed: sql`${workflowExecutions.tokensUsed} + ${outcome.tokens}`, updatedAt: at })
      .where(
        and(
          eq(workflowExecutions.id, run.executionId),
          eq(workflowExecutions.instanceId, run.instanceId),
          eq(workflowExecutions.status, 'running'),
          sql`${outcome.tokens} > 0`,
        ),
      ),
  ]);
  return steps[0] ?? null;
};

/** Steps a branch jumped over. */
export const skipSteps = async (db: Database, run: RunRef, stepIds: string[]): Promise<void> => {
  if (stepIds.length === 0) return;
  await db
    .update(executionSteps)
    .set({ status: 'skipped', finishedAt: new Date().toISOString() })
    .where(
      and(
        eq(executionSteps.executionId, run.executionId),
        inArray(executionSteps.stepId, stepIds),
        eq(executionSteps.status, 'pending'),
        stillOurs(run.executionId, run.instanceId),
      ),
    );
};

/** The step failed for good (its retries used up, or an error no retry can fix): so does the execution. */
export const failExecution = async (
  db: Database,
  run: RunRef,
  stepId: string,
  code: string,
  message: string,
): Promise<ExecutionRow | null> => {
  const at = new Date().toISOString();
  const [, executions] = await db.batch([
    db
      .update(executionSteps)
      .set({ status: 'error', errorCode: code, errorMessage: message, finishedAt: at })
      .where(
        and(
          eq(executionSteps.executionId, run.executionId),
          eq(executionSteps.stepId, stepId),
          stillOurs(run.executionId, run.instanceId),
        ),
      ),
    db
      .update(workflowExecutions)
      .set({
        status: 'error',
        errorCode: code,
        errorMessage: message,
        failedStep: stepId,
        finishedAt: at,
        updatedAt: at,
      })
      .where(
        and(
          eq(workflowExecutions.id, run.executionId),
          eq(workflowExecutions.instanceId, run.instanceId),
          inArray(workflowExecutions.status, ['queued', 'running']),
        ),
      )
      .returning(),
  ]);
  return executions[0] ?? null;
};

export const completeExecution = async (db: Database, run: RunRef, output: unknown): Promise<ExecutionRow | null> => {
  const at = new Date().toISOString();
  const [row] = await db
    .update(workflowExecutions)
    .set({ status: 'done', output: output ?? null, finishedAt: at, updatedAt: at })
    .where(
      and(
        eq(workflowExecutions.id, run.executionId),
        eq(workflowExecutions.instanceId, run.instanceId),
        eq(workflowExecutions.status, 'running'),
      ),
    )
    .returning();
  return row ?? null;
};

/**
 * Executions written but never started (the instance could not be created when they were asked
 * for): the cron starts them again. Bounded per run.
 */
export const findUnstartedExecutions = (db: Database, before: Date, limit = 50) =>
  db
    .select({ id: workflowExecutions.id, orgId: workflowExecutions.orgId, instanceId: workflowExecutions.instanceId })
    .from(workflowExecutions)
    .where(and(eq(workflowExecutions.status, 'queued'), lt(workflowExecutions.updatedAt, before.toISOString())))
    .limit(limit);

/** Marks an unstarted execution as just sent to its instance again (the cron does not resend it at once). */
export const touchExecution = async (db: Database, id: string): Promise<void> => {
  await db
    .update(workflowExecutions)
    .set({ updatedAt: new Date().toISOString() })
    .where(and(eq(workflowExecutions.id, id), eq(workflowExecutions.status, 'queued')));
};

/** Running executions not written to for a while: the cron asks their instance whether it still runs. */
export const findQuietExecutions = (db: Database, before: Date, limit = 20) =>
  db
    .select({ id: workflowExecutions.id, orgId: workflowExecutions.orgId, instanceId: workflowExecutions.instanceId })
    .from(workflowExecutions)
    .where(and(eq(workflowExecutions.status, 'running'), lt(workflowExecutions.updatedAt, before.toISOString())))
    .limit(limit);

/**
 * An execution whose instance ended without ending it (the instance failed outside its steps):
 * `error`, with its unfinished steps. Conditional on the instance id, so a retry meanwhile wins.
 */
export const markRunLost = async (db: Database, run: RunRef, message: string): Promise<ExecutionRow | null> => {
  const at = new Date().toISOString();
  const [rows] = await db.batch([
    db
      .update(workflowExecutions)
      .set({ status: 'error', errorCode: 'RUN_LOST', errorMessage: message, finishedAt: at, updatedAt: at })
      .where(
        and(
          eq(workflowExecutions.id, run.executionId),
          eq(workflowExecutions.instanceId, run.instanceId),
          eq(workflowExecutions.status, 'running'),
        ),
      )
      .returning(),
    db
      .update(executionSteps)
      .set({ status: 'error', errorCode: 'RUN_LOST', errorMessage: message, finishedAt: at })
      .where(
        and(
          eq(executionSteps.executionId, run.executionId),
          eq(executionSteps.status, 'running'),
          sql`EXISTS (SELECT 1 FROM workflow_executions e WHERE e.id = ${run.executionId} AND e.error_code = 'RUN_LOST' AND e.finished_at = ${at})`,
        ),
      ),
  ]);
  return rows[0] ?? null;
};
