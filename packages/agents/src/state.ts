/**
 * A run's state (seed 000 AgentState) and its transitions, as pure functions: the runner derives every
 * state from its steps' recorded outcomes, so a replayed run computes the same states again and each
 * write of one is a plain overwrite.
 */
import type { Checked } from './checks';
import { describeFailure, type Failure } from './failures';
import type { AgentRoute, RoutedBy } from './intent';

/** The steps of the graph parse_intent → (document | kb_query | image) → validate → end. */
export const INTENT_STEP = 'parse_intent';
export const VALIDATE_STEP = 'validate';
export const END_STEP = 'end';
export const CAPABILITY_STEPS: Record<AgentRoute, string> = {
  document: 'document_agent',
  kb_query: 'kb_agent',
  image: 'image_agent',
};
/** A capability is tried at most twice: the second time with the first attempt's error. */
export const MAX_ATTEMPTS = 2;

export type AgentRunStatus = 'queued' | 'running' | 'done' | 'error' | 'cancelled';

export interface AgentState {
  status: AgentRunStatus;
  route: AgentRoute | null;
  routedBy: RoutedBy | null;
  /** The step the run is in, or was in when it failed; `end` once done. */
  currentStep: string | null;
  /** The steps that ran to their end, in order (a retried capability and its validation appear twice). */
  completedSteps: string[];
  /** One entry per failure: `<step>: <code>: <message>`. */
  errors: string[];
  retryCount: number;
  tokensUsed: number;
  /** How many steps the run expects at this point (for progress): grows when a retry is decided. */
  plannedSteps: number;
}

/** A run as its first step reads it. */
export interface RunSnapshot {
  status: AgentRunStatus;
  request: string;
  /** Given with the request: the intent step is skipped. */
  route: AgentRoute | null;
  cacheBypass: boolean;
  createdBy: string | null;
}

export const initialState = (run: RunSnapshot): AgentState => ({
  status: 'running',
  route: run.route,
  routedBy: null,
  currentStep: null,
  completedSteps: [],
  errors: [],
  retryCount: 0,
  tokensUsed: 0,
  plannedSteps: (run.route ? 0 : 1) + 2,
});

export const enterStep = (state: AgentState, step: string): AgentState => ({ ...state, currentStep: step });

export const completeStep = (state: AgentState, step: string, tokens = 0): AgentState => ({
  ...state,
  completedSteps: [...state.completedSteps, step],
  tokensUsed: state.tokensUsed + tokens,
});

export const routed = (state: AgentState, route: AgentRoute, routedBy: RoutedBy): AgentState => ({
  ...state,
  route,
  routedBy,
});

export const recordFailure = (state: AgentState, step: string, failure: Failure): AgentState => ({
  ...state,
  errors: [...state.errors, describeFailure(step, failure)],
});

export const startRetry = (state: AgentState): AgentState => ({
  ...state,
  retryCount: state.retryCount + 1,
  plannedSteps: state.plannedSteps + 2,
});

/** How a run ends: its result, or the failure it ends with. */
export type RunEnd =
  | { status: 'done'; result: Extract<Checked, { ok: true }>['result'] }
  | { status: 'error'; failure: Failure };

export const endState = (state: AgentState, end: RunEnd): AgentState => ({
  ...state,
  status: end.status,
  currentStep: end.status === 'done' ? END_STEP : state.currentStep,
});

/** Share of the planned steps that ended (0–100); 100 once the run ended. */
export const progressOf = (state: AgentState): number =>
  state.status === 'done' || state.status === 'error'
    ? 100
    : Math.min(99, Math.floor((100 * state.completedSteps.length) / Math.max(1, state.plannedSteps)));

const STEP_MESSAGES: Record<string, string> = {
  [INTENT_STEP]: 'Choosing how to handle the request',
  [CAPABILITY_STEPS.document]: 'Generating the document',
  [CAPABILITY_STEPS.kb_query]: 'Answering from the knowledge base',
  [CAPABILITY_STEPS.image]: 'Generating the image',
  [VALIDATE_STEP]: 'Checking the result',
};

/** The `agent.status` event of a state (the feed adds the run id, type and time). */
export const statusEvent = (state: AgentState, end?: RunEnd) => {
  const base = {
    status: state.status,
    progress: progressOf(state),
    ...(state.currentStep ? { step_id: state.currentStep } : {}),
  };
  if (end?.status === 'error') return { ...base, message: end.failure.message, error_code: end.failure.code };
  if (end?.status === 'done') return { ...base, message: 'Done' };
  const message = state.currentStep ? STEP_MESSAGES[state.currentStep] : undefined;
  if (!message) return base;
  return { ...base, message: state.retryCount > 0 ? `${message} (second attempt)` : message };
};
