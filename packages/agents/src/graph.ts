/**
 * The agent's graph, parse_intent → (document | kb_query | image) → validate → end, over ports: the
 * durable steps of the run's instance, the run's row, the intent call and the three capabilities. The
 * jobs Worker's runner (workers/jobs/agent-runner.ts) supplies them from its bindings.
 *
 * Every side effect happens inside a step, and every decision is taken from a step's recorded value,
 * so a run that is replayed after a restart takes the same path without doing anything twice. Each
 * step first writes the state the run is in (and publishes it), then does its work.
 */
import type { AgentKbAnswer, Checked } from './checks';
import { type Failure, failure } from './failures';
import { type AgentTask, type IntentDecision, taskForRoute } from './intent';
import {
  type AgentState,
  CAPABILITY_STEPS,
  completeStep,
  endState,
  enterStep,
  INTENT_STEP,
  initialState,
  MAX_ATTEMPTS,
  type RunEnd,
  type RunSnapshot,
  recordFailure,
  routed,
  startRetry,
  VALIDATE_STEP,
} from './state';

/** Steps of a durable run: `fn` runs until it succeeds once; later calls of that name return its value. */
export interface DurableSteps {
  do<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

/** What a capability's first step left to wait for and check: a job, or an answer already made. */
export type StartedWork =
  | { kind: 'job'; job_id: string; resource_id: string }
  | { kind: 'answer'; answer: AgentKbAnswer };

export type Started = { ok: true; work: StartedWork } | { ok: false; failure: Failure };

export interface Capability {
  /**
   * Starts one attempt for the run (`previous`: the failure of the first attempt). Expected failures
   * are returned, not thrown.
   */
  start(task: AgentTask, previous: Failure | null, run: RunSnapshot): Promise<Started>;
  /** Waits durably until started work has ended; `name` keeps the waits of two attempts apart. */
  settle(work: StartedWork, name: string): Promise<void>;
  /** The validate step's check of the work. */
  check(work: StartedWork): Promise<Checked>;
}

export interface AgentRunPorts {
  steps: DurableSteps;
  /** The run as stored; null when it no longer exists. */
  load(): Promise<RunSnapshot | null>;
  /** Writes the state of the running run and publishes it. */
  save(state: AgentState): Promise<void>;
  /** Ends the run and publishes its end. */
  finish(state: AgentState, end: RunEnd): Promise<void>;
  /** The intent call(s), with what they cost. */
  intent(run: RunSnapshot): Promise<IntentDecision & { tokens_used: number }>;
  capabilities: Record<AgentTask['route'], Capability>;
}

export interface AgentRunOutcome {
  /** `skipped`: the run was gone or had ended before this instance got to it. */
  status: 'done' | 'error' | 'skipped';
  route: AgentTask['route'] | null;
  error_code?: string;
}

const internalFailure = () => failure('INTERNAL_ERROR', 'The run failed because of an internal error');

/** The failure a run ends with after its second attempt: the last one's code, saying that it was retried. */
const gaveUp = (last: Failure, attempts: number): Failure =>
  attempts > 1 ? { ...last, message: `Gave up after ${attempts} attempts: ${last.message}` } : last;

export const runAgent = async (ports: AgentRunPorts): Promise<AgentRunOutcome> => {
  const { steps } = ports;
  const run = await steps.do('load', () => ports.load());
  if (!run || run.status === 'done' || run.status === 'error') return { status: 'skipped', route: run?.route ?? null };
  let state = initialState(run);

  /** Enters `step` (written and published by the step itself), then runs `work` in the same durable step. */
  const enter = <T>(name: string, step: string, work: () => Promise<T>): Promise<T> => {
    const entered = enterStep(state, step);
    state = entered;
    return steps.do(name, async () => {
      await ports.save(entered);
      return work();
    });
  };

  const end = async (how: RunEnd, stepName = 'end'): Promise<AgentRunOutcome> => {
    const final = endState(state, how);
    state = final;
    await steps.do(stepName, () => ports.finish(final, how));
    return {
      status: how.status,
      route: final.route,
      ...(how.status === 'error' ? { error_code: how.failure.code } : {}),
    };
  };

  try {
    let task: AgentTask;
    if (run.route) {
      task = taskForRoute(run.route, run.request);
    } else {
      const decision = await enter(INTENT_STEP, INTENT_STEP, () => ports.intent(run));
      state = completeStep(state, INTENT_STEP, decision.tokens_used);
      if (!decision.ok) {
        state = recordFailure(state, INTENT_STEP, decision.failure);
        return await end({ status: 'error', failure: decision.failure });
      }
      task = decision.task;
      state = routed(state, task.route, decision.routedBy);
    }

    const capability = ports.capabilities[task.route];
    const capabilityStep = CAPABILITY_STEPS[task.route];
    let previous: Failure | null = null;
    for (let attempt = 1; ; attempt++) {
      const suffix = attempt === 1 ? '' : ` (attempt ${attempt})`;
      const started: Started = await enter(`${capabilityStep}${suffix}`, capabilityStep, () =>
        capability.start(task, previous, run),
      );
      let failed: Failure;
      let failedIn = capabilityStep;
      if (started.ok) {
        // A wait that gives up (the job never ended) is judged by the validate step, which reads the job.
        await capability.settle(started.work, `${capabilityStep}${suffix}`).catch(() => undefined);
        state = completeStep(state, capabilityStep);
        const checked = await enter(`${VALIDATE_STEP}${suffix}`, VALIDATE_STEP, () => capability.check(started.work));
        state = completeStep(state, VALIDATE_STEP, checked.tokens_used);
        if (checked.ok) return await end({ status: 'done', result: checked.result });
        failed = checked.failure;
        failedIn = VALIDATE_STEP;
      } else {
        state = completeStep(state, capabilityStep);
        failed = started.failure;
      }
      state = recordFailure(state, failedIn, failed);
      if (!failed.retryable || attempt >= MAX_ATTEMPTS) {
        return await end({ status: 'error', failure: gaveUp(failed, attempt) });
      }
      state = startRetry(state);
      previous = failed;
    }
  } catch {
    // A step that kept failing (D1 unreachable through all its retries) or a defect: the run ends
    // `error` rather than staying `running`, with a generic message (the error's may hold internals).
    return end({ status: 'error', failure: internalFailure() }, 'end after a failure');
  }
};
