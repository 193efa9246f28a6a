import type { WorkflowEvent, WorkflowStep } from 'cloudflare:workers';
import { NonRetryableError } from 'cloudflare:workflows';
import { createDb } from '@flowspark/db';
import type { GenerateDocumentStep, WorkflowStep as StepDefinition } from '@flowspark/workflows/definition';
import {
  beginStepAttempt,
  completeExecution,
  completeStep,
  type ExecutionRow,
  failExecution,
  loadRunPlan,
  markExecutionRunning,
  type RunPlan,
  type RunRef,
  recordStepAttemptError,
  skipSteps,
} from '@flowspark/workflows/executions';
import {
  evaluateCondition,
  executionOutput,
  nextAfterCondition,
  renderStepInput,
  retryOf,
  type StepError,
  scopeOf,
} from '@flowspark/workflows/run';
import type { TemplateScope } from '@flowspark/workflows/template';
import type { Env, WorkflowRunParams } from '../env';
import { publishRunEvent } from '../lib/job-events';
import { awaitJob } from './await-job';
import type { StepResult, StepRun } from './workflow-steps';

/** The steps' work (the knowledge base, documents, outgoing requests) loads on the first step that needs it. */
const stepWork = () => import('./workflow-steps');

/** A step's final failure crosses step.do as its message: `CODE: message`. */
const encode = (err: StepError) => `${err.code}: ${err.message}`;
const decode = (err: unknown): { code: string; message: string } => {
  const text = err instanceof Error ? err.message : String(err);
  // The engine may put the error's name in front (`NonRetryableError: CODE: message`).
  const match = /^(?:[A-Za-z]*Error: )*([A-Z][A-Z0-9_]*): ([\s\S]*)$/.exec(text);
  return match ? { code: match[1]!, message: match[2]! } : { code: 'STEP_FAILED', message: text };
};
/** The execution was cancelled, or a retry gave it to another instance: this one stops quietly. */
const STOPPED = 'EXECUTION_STOPPED';
const stopped = () => new NonRetryableError(`${STOPPED}: The execution was stopped`);

interface Progress {
  workflowId: string;
  /** Share of the steps that ended when this one started. */
  percent: number;
}

/**
 * Runs one workflow execution as a durable Workflow instance. Each step is a `step.do` with the
 * step's own retries (the engine waits with backoff between attempts); its attempts, input, output
 * and errors are written to D1, fenced by this instance's id so a cancel or a retry elsewhere stops
 * it, and published on the tenant's feed. A retry of the execution is a new instance: it reuses the
 * outputs of the steps that are done, and the failed step runs again with the input it recorded.
 */
export const runExecution = async (
  env: Env,
  event: WorkflowEvent<WorkflowRunParams>,
  step: WorkflowStep,
): Promise<unknown> => {
  const { org_id: orgId, run_id: executionId } = event.payload;
  const run: RunRef = { orgId, executionId, instanceId: event.instanceId };
  const db = () => createDb(env.DB);

  const text = await step.do('load', async () => {
    const plan = await loadRunPlan(db(), orgId, executionId, event.instanceId);
    return plan ? JSON.stringify(plan) : '';
  });
  if (!text) return { status: 'stopped' };
  const plan = JSON.parse(text) as RunPlan;
  const { definition } = plan;
  const steps = definition.steps;
  const recorded = new Map(plan.steps.map((s) => [s.stepId, s]));
  let ended = plan.steps.filter((s) => s.status === 'done' || s.status === 'skipped').length;
  const progress = (): Progress => ({
    workflowId: plan.execution.workflowId,
    percent: Math.round((100 * ended) / Math.max(1, steps.length)),
  });

  const running = await step.do('start', async () => {
    const row = await markExecutionRunning(db(), run);
    if (row) await publishExecution(env, row, progress().percent);
    return row !== null;
  });
  if (!running) return { status: 'stopped' };

  const outputs: Record<string, unknown> = {};
  const stepRun = (id: string): StepRun => ({
    orgId,
    executionId,
    workflowId: plan.execution.workflowId,
    stepId: id,
    userId: plan.execution.createdBy ?? plan.workflowCreatedBy,
    cacheBypass: plan.execution.cacheBypass,
  });

  let index = 0;
  while (index < steps.length) {
    const def = steps[index]!;
    const before = recorded.get(def.id);
    if (before?.status === 'skipped') {
      index += 1;
      continue;
    }
    if (before?.status === 'done') {
      outputs[def.id] = before.output;
    } else {
      const scope = scopeOf({
        input: plan.execution.input,
        outputs,
        workflow: { id: plan.execution.workflowId, version: plan.workflowVersion },
        execution: { id: executionId, trigger: plan.execution.trigger },
      });
      try {
        outputs[def.id] =
          def.type === 'generate_document'
            ? await documentStep(env, step, run, stepRun(def.id), def, scope, progress())
            : await plainStep(env, step, run, stepRun(def.id), def, scope, progress());
      } catch (err) {
        const { code, message } = decode(err);
        if (code === STOPPED) return { status: 'stopped' };
        await step.do(`fail ${def.id}`, async () => {
          const row = await failExecution(db(), run, def.id, code, message);
          if (!row) return;
          await publishStep(env, run, progress(), def.id, 'error', null, { code, message });
          await publishExecution(env, row, progress().percent);
        });
        return { status: 'error' };
      }
      ended += 1;
    }
    let next = index + 1;
    if (def.type === 'condition') {
      next = nextAfterCondition(def, outputs[def.id] === true, index, definition);
      const jumped = steps.slice(index + 1, next).map((s) => s.id);
      if (jumped.length > 0) {
        await step.do(`skip after ${def.id}`, async () => {
          await skipSteps(db(), run, jumped);
          for (const id of jumped) await publishStep(env, run, progress(), id, 'skipped', null);
        });
        ended += jumped.length;
      }
    }
    index = next;
  }
  await step.do('finish', async () => {
    const row = await completeExecution(db(), run, executionOutput(definition, outputs));
    if (row) await publishExecution(env, row, 100);
  });
  return { status: 'done' };
};

/** An llm, kb_query, http_request, notify or condition step: one step.do with the step's retries. */
const plainStep = async (
  env: Env,
  step: WorkflowStep,
  run: RunRef,
  stepRun: StepRun,
  def: StepDefinition,
  scope: TemplateScope,
  progress: Progress,
): Promise<unknown> => {
  const retry = retryOf(def);
  const json = await step.do(
    `step ${def.id}`,
    {
      retries: { limit: retry.limit, delay: retry.delayMs, backoff: retry.backoff },
      timeout: (def.timeout_seconds ?? 300) * 1000,
    },
    async (ctx) => {
      const output = await attempt(env, run, def, progress, ctx.attempt, scope, (input) =>
        def.type === 'condition'
          ? Promise.resolve({ output: evaluateCondition(def, scope), tokens: 0 })
          : stepWork().then((work) => work.runSimpleStep(env, stepRun, def, input)),
      );
      return JSON.stringify(output ?? null);
    },
  );
  return JSON.parse(json) as unknown;
};

/**
 * A document step: the document and its job are made as `POST /documents/generate` makes them
 * (tokens held from the wallet), then the instance waits for the job durably, holding no consumer.
 * A job that fails is tried again as the step's retries allow (a new document each time, after the
 * step's backoff).
 */
const documentStep = async (
  env: Env,
  step: WorkflowStep,
  run: RunRef,
  stepRun: StepRun,
  def: GenerateDocumentStep,
  scope: TemplateScope,
  progress: Progress,
): Promise<unknown> => {
  const retry = retryOf(def);
  let last = { code: 'DOCUMENT_FAILED', message: 'The document could not be generated' };
  for (let n = 1; n <= retry.limit + 1; n += 1) {
    if (n > 1) {
      const factor = retry.backoff === 'exponential' ? 2 ** (n - 2) : retry.backoff === 'linear' ? n - 1 : 1;
      await step.sleep(`${def.id}: wait before attempt ${n}`, retry.delayMs * factor);
    }
    const started = await step.do(`${def.id}: start attempt ${n}`, async () => {
      const output = await attempt(
        env,
        run,
        def,
        progress,
        n,
        scope,
        (input) => stepWork().then((work) => work.startDocument(env, stepRun, input)),
        {
          keepRunning: true,
        },
      );
      return JSON.stringify(output);
    });
    const { document_id: documentId, job_id: jobId } = JSON.parse(started) as { document_id: string; job_id: string };
    const job = await awaitJob(step, env, run.orgId, jobId, `${def.id} #${n}`);
    const ended = await step.do(`${def.id}: end attempt ${n}`, async () => {
      const db = createDb(env.DB);
      if (job.status === 'done') {
        const tokens = Number((job.result as { tokens_used?: unknown } | null)?.tokens_used ?? 0) || 0;
        const output = {
          document_id: documentId,
          job_id: jobId,
          download_url: `/api/v1/documents/${documentId}/download`,
        };
        const started = job.startedAt ? Date.parse(job.startedAt) : Date.now();
        const row = await completeStep(db, run, def.id, { output, tokens, durationMs: Date.now() - started });
        if (!row) return JSON.stringify({ stopped: true });
        await publishStep(env, run, progress, def.id, 'done', row.attempts);
        return JSON.stringify({ output });
      }
      const code = job.errorCode ?? (job.status === 'cancelled' ? 'JOB_CANCELLED' : 'DOCUMENT_FAILED');
      const message = job.errorMessage ?? `The document job ended ${job.status}`;
      const row = await recordStepAttemptError(db, run, def.id, code, message);
      const again = n <= retry.limit;
      await publishStep(env, run, progress, def.id, again ? 'retrying' : 'failing', row?.attempts ?? n, {
        code,
        message,
      });
      return JSON.stringify({ failed: { code, message } });
    });
    const outcome = JSON.parse(ended) as {
      output?: unknown;
      stopped?: true;
      failed?: { code: string; message: string };
    };
    if (outcome.stopped) throw stopped();
    if (outcome.output !== undefined) return outcome.output;
    last = outcome.failed ?? last;
  }
  throw new Error(`${last.code}: ${last.message}`);
};

/**
 * One attempt of a step, inside its step.do: begun in D1 (its input recorded the first time; the
 * attempt stops when the execution is no longer this instance's), run with the recorded input, then
 * done (or, with `keepRunning`, left running for the caller to end). A failure is recorded on the
 * step and published; one that no retry can help stops the engine's retries.
 */
const attempt = async (
  env: Env,
  run: RunRef,
  def: StepDefinition,
  progress: Progress,
  attemptNumber: number,
  scope: TemplateScope,
  execute: (input: Record<string, unknown>) => Promise<StepResult>,
  options: { keepRunning?: boolean } = {},
): Promise<unknown> => {
  const db = createDb(env.DB);
  let input: Record<string, unknown>;
  try {
    input = renderStepInput(def, scope);
  } catch (err) {
    throw new NonRetryableError(encode((await stepWork()).asStepError(err)));
  }
  const row = await beginStepAttempt(db, run, def.id, input);
  if (!row) throw stopped();
  // The feed is told while the step works (events are ordered by the feed; a lost one is only logged).
  const announced = publishStep(env, run, progress, def.id, 'running', row.attempts);
  const started = Date.now();
  try {
    const result = await execute((row.input as Record<string, unknown> | null) ?? input);
    const durationMs = Date.now() - started;
    await announced;
    if (options.keepRunning) return result.output;
    const done = await completeStep(db, run, def.id, { ...result, durationMs });
    if (!done) throw stopped();
    await publishStep(env, run, progress, def.id, 'done', done.attempts);
    return result.output;
  } catch (err) {
    await announced;
    if (err instanceof NonRetryableError) throw err;
    const failure = (await stepWork()).asStepError(err);
    await recordStepAttemptError(db, run, def.id, failure.code, failure.message);
    const again = failure.retryable && !options.keepRunning && attemptNumber <= retryOf(def).limit;
    await publishStep(env, run, progress, def.id, again ? 'retrying' : 'failing', row.attempts, {
      code: failure.code,
      message: failure.message,
    });
    if (!failure.retryable || options.keepRunning) throw new NonRetryableError(encode(failure));
    throw new Error(encode(failure));
  }
};

const publishExecution = (env: Env, row: ExecutionRow, percent: number) =>
  publishRunEvent(env, row.orgId, {
    type: 'execution.status',
    run_id: row.id,
    workflow_id: row.workflowId,
    status: row.status,
    progress: percent,
    ...(row.errorCode ? { error_code: row.errorCode } : {}),
    ...(row.errorMessage ? { message: row.errorMessage } : {}),
  });

const publishStep = (
  env: Env,
  run: RunRef,
  progress: Progress,
  stepId: string,
  stepStatus: string,
  attempts: number | null,
  error?: { code: string; message: string },
) =>
  publishRunEvent(env, run.orgId, {
    type: 'execution.step',
    run_id: run.executionId,
    workflow_id: progress.workflowId,
    status: stepStatus === 'error' ? 'error' : 'running',
    step_id: stepId,
    step_status: stepStatus,
    ...(attempts !== null ? { attempts } : {}),
    progress: progress.percent,
    ...(error ? { error_code: error.code, message: error.message } : {}),
  });
