/**
 * What running a definition needs besides I/O: the template scope of a step, its rendered input,
 * where a condition goes next, the retry settings of a step, and the errors a step raises (retryable
 * or not). The Workflow instance (workers/jobs) does the I/O around these.
 */
import { extractJson } from '@flowspark/ai';
import { END, type WorkflowDefinition, type WorkflowStep } from './definition';
import { evaluateExpression, isTruthy, parseExpression } from './expression';
import { renderValue, type TemplateScope } from './template';

/** A step's failure: `retryable` ones are attempted again (with backoff) until the step's limit. */
export class StepError extends Error {
  override name = 'StepError';
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** Default retries of a step: 2 after the first attempt, 2 s then 4 s apart. */
export const DEFAULT_RETRY = { limit: 2, delay_seconds: 2, backoff: 'exponential' as const };
export const DEFAULT_STEP_TIMEOUT_SECONDS = 300;

export const retryOf = (step: WorkflowStep) => ({
  limit: step.retry?.limit ?? DEFAULT_RETRY.limit,
  delayMs: Math.round((step.retry?.delay_seconds ?? DEFAULT_RETRY.delay_seconds) * 1000),
  backoff: step.retry?.backoff ?? DEFAULT_RETRY.backoff,
});

export interface ScopeParts {
  input: Record<string, unknown>;
  outputs: Record<string, unknown>;
  workflow: { id: string; version: number };
  execution: { id: string; trigger: string };
}

export const scopeOf = (parts: ScopeParts): TemplateScope => ({
  input: parts.input,
  steps: Object.fromEntries(Object.entries(parts.outputs).map(([id, output]) => [id, { output }])),
  workflow: parts.workflow,
  execution: parts.execution,
});

/** A step's parameters (everything but its id, type, name and run settings), templates filled in. */
export const renderStepInput = (step: WorkflowStep, scope: TemplateScope): Record<string, unknown> => {
  const { id: _id, type: _type, name: _name, retry: _retry, timeout_seconds: _timeout, ...params } = step;
  if (step.type === 'condition') return { if: step.if };
  return renderValue(params, scope) as Record<string, unknown>;
};

/** Where a condition goes once it has its value: the index of the next step (`steps.length`: the end). */
export const nextAfterCondition = (
  step: Extract<WorkflowStep, { type: 'condition' }>,
  result: boolean,
  index: number,
  definition: WorkflowDefinition,
): number => {
  const target = result ? step.on_true : step.on_false;
  if (target === undefined) return index + 1;
  if (target === END) return definition.steps.length;
  const next = definition.steps.findIndex((s) => s.id === target);
  return next > index ? next : index + 1;
};

/** A condition's value (an expression that cannot be evaluated is a final failure of the step). */
export const evaluateCondition = (
  step: Extract<WorkflowStep, { type: 'condition' }>,
  scope: TemplateScope,
): boolean => {
  try {
    return isTruthy(evaluateExpression(parseExpression(step.if), scope));
  } catch (err) {
    throw new StepError('CONDITION_FAILED', `The condition could not be evaluated: ${(err as Error).message}`, false);
  }
};

/** An LLM answer as a step's output: the text, or with `response_format: json` the JSON it contains. */
export const llmOutput = (text: string, format: 'text' | 'json' | undefined): unknown => {
  if (format !== 'json') return text;
  const json = extractJson(text);
  if (!json.ok) throw new StepError('LLM_OUTPUT_INVALID', 'The answer was not JSON (response_format: json)', true);
  return json.value;
};

/** The output of the last step that ran: the execution's output. */
export const executionOutput = (definition: WorkflowDefinition, outputs: Record<string, unknown>): unknown => {
  for (let i = definition.steps.length - 1; i >= 0; i -= 1) {
    const id = definition.steps[i]!.id;
    if (Object.hasOwn(outputs, id)) return outputs[id];
  }
  return null;
};
