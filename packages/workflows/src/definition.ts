/**
 * A workflow's definition, variables and triggers, and their validation on save. A definition is a
 * list of steps `{ id, type, … }` run in order; a `condition` step may jump forward (`on_true`/`on_false`),
 * skipping the steps between. Strings in a step's parameters are templates (`{{input.x}}`,
 * `{{steps.<id>.output}}`, see template.ts); a reference to a missing or later step, or to an input
 * the workflow does not declare, is refused on save with a 400 naming the step.
 */
import { validationError } from '@flowspark/core';
import { z } from 'zod';
import { parseCron } from './cron';
import { expressionRefs, parseExpression } from './expression';
import { type TemplateRef, templateRefs } from './template';

export const STEP_TYPES = ['llm', 'kb_query', 'generate_document', 'http_request', 'condition', 'notify'] as const;
export type StepType = (typeof STEP_TYPES)[number];

export const MAX_STEPS = 50;
const STEP_ID = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** A condition may jump to a later step or to the end. */
export const END = 'end';

const text = (max: number) => z.string().min(1).max(max);

const RetrySchema = z.strictObject({
  limit: z.number().int().min(0).max(10).meta({ description: 'Retries after the first attempt (0–10)' }),
  delay_seconds: z
    .number()
    .min(0.1)
    .max(300)
    .optional()
    .meta({ description: 'Wait before the first retry (default 2 s)' }),
  backoff: z
    .enum(['constant', 'linear', 'exponential'])
    .optional()
    .meta({ description: 'How the wait grows between retries (default exponential)' }),
});

/** Fields every step has. */
const common = {
  id: z.string().regex(STEP_ID, 'A letter, then letters, digits, _ or - (at most 64)'),
  name: z.string().max(200).optional(),
  retry: RetrySchema.optional(),
  timeout_seconds: z.number().int().min(1).max(900).optional(),
};

export const LlmStepSchema = z.strictObject({
  ...common,
  type: z.literal('llm'),
  prompt: text(20_000),
  system: z.string().max(20_000).optional(),
  model: z.string().max(200).optional(),
  temperature: z.number().min(0).max(2).optional(),
  max_tokens: z.number().int().min(1).max(8_192).optional(),
  /** `json`: the answer is parsed as JSON (its fields can be referenced and branched on). */
  response_format: z.enum(['text', 'json']).optional(),
});

export const KbQueryStepSchema = z.strictObject({
  ...common,
  type: z.literal('kb_query'),
  query: text(2_000),
  top_k: z.number().int().min(1).max(20).optional(),
});

export const GenerateDocumentStepSchema = z.strictObject({
  ...common,
  type: z.literal('generate_document'),
  format: z.enum(['docx', 'pdf', 'xlsx']),
  title: text(200),
  prompt: z.string().min(1).max(20_000).optional(),
  template_id: z.string().min(1).max(64).optional(),
  input_data: z.record(z.string(), z.unknown()).optional(),
});

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

export const HttpRequestStepSchema = z.strictObject({
  ...common,
  type: z.literal('http_request'),
  method: z.enum(HTTP_METHODS).optional(),
  url: text(2_048),
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]{1,100}$/), z.string().max(4_000)).optional(),
  body: z.unknown().optional(),
});

export const ConditionStepSchema = z.strictObject({
  ...common,
  type: z.literal('condition'),
  if: text(2_000),
  /** Where to go when the expression is truthy / falsy: a later step's id or "end"; absent: the next step. */
  on_true: z.string().min(1).max(64).optional(),
  on_false: z.string().min(1).max(64).optional(),
});

export const NotifyStepSchema = z.strictObject({
  ...common,
  type: z.literal('notify'),
  title: text(200),
  body: z.string().max(2_000).optional(),
  /** Who gets the in-app notification: the one who ran the workflow (default) or the organization's admins. */
  to: z.enum(['runner', 'admins']).optional(),
});

const STEP_SCHEMAS = {
  llm: LlmStepSchema,
  kb_query: KbQueryStepSchema,
  generate_document: GenerateDocumentStepSchema,
  http_request: HttpRequestStepSchema,
  condition: ConditionStepSchema,
  notify: NotifyStepSchema,
} as const;

export type LlmStep = z.infer<typeof LlmStepSchema>;
export type KbQueryStep = z.infer<typeof KbQueryStepSchema>;
export type GenerateDocumentStep = z.infer<typeof GenerateDocumentStepSchema>;
export type HttpRequestStep = z.infer<typeof HttpRequestStepSchema>;
export type ConditionStep = z.infer<typeof ConditionStepSchema>;
export type NotifyStep = z.infer<typeof NotifyStepSchema>;
export type WorkflowStep = LlmStep | KbQueryStep | GenerateDocumentStep | HttpRequestStep | ConditionStep | NotifyStep;

export interface WorkflowDefinition {
  steps: WorkflowStep[];
}

/** The shape the API accepts for a step (checked in full by validateWorkflow, which names the step). */
export const StepInputSchema = z.looseObject({ id: z.string(), type: z.string() });
export const DefinitionInputSchema = z.strictObject({
  steps: z.array(StepInputSchema).min(1).max(MAX_STEPS),
});

export const VARIABLE_TYPES = ['string', 'number', 'boolean', 'object', 'array', 'any'] as const;
export const VariableSchema = z.strictObject({
  name: z.string().regex(VARIABLE_NAME, 'A letter or _, then letters, digits or _ (at most 64)'),
  type: z.enum(VARIABLE_TYPES).optional(),
  required: z.boolean().optional(),
  default: z.unknown().optional(),
  description: z.string().max(500).optional(),
});
export type WorkflowVariable = z.infer<typeof VariableSchema>;

export const TriggerSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('manual') }),
  z.strictObject({ type: z.literal('webhook') }),
  z.strictObject({
    type: z.literal('cron'),
    schedule: z.string().min(1).max(100),
    input: z.record(z.string(), z.unknown()).optional(),
  }),
]);
export type WorkflowTrigger = z.infer<typeof TriggerSchema>;
export const DEFAULT_TRIGGERS: WorkflowTrigger[] = [{ type: 'manual' }];

type Fields = Record<string, string[]>;
const add = (fields: Fields, key: string, message: string) => {
  fields[key] = [...(fields[key] ?? []), message];
};

const label = (step: { id?: unknown; type?: unknown }, index: number) =>
  typeof step.id === 'string' && step.id ? `Step "${step.id}"` : `Step ${index + 1}`;

/** Every reference a step's parameters make (templates, and a condition's expression). */
const referencesOf = (step: WorkflowStep): TemplateRef[] => {
  const { id: _id, type: _type, name: _name, retry: _retry, timeout_seconds: _timeout, ...params } = step;
  if (step.type !== 'condition') return templateRefs(params);
  return expressionRefs(parseExpression(step.if));
};

const checkReference = (
  ref: TemplateRef,
  position: Map<string, number>,
  index: number,
  variables: WorkflowVariable[],
): string | null => {
  if (ref.root === 'steps' && ref.stepId !== undefined) {
    const at = position.get(ref.stepId);
    if (at === undefined) return `refers to ${ref.raw}, but there is no step "${ref.stepId}"`;
    if (at === index) return `refers to its own output (${ref.raw})`;
    if (at > index) return `refers to ${ref.raw}, a later step: a step can use only the steps before it`;
  }
  if (ref.root === 'input' && variables.length > 0) {
    const name = ref.path[0];
    if (name !== undefined && !variables.some((v) => v.name === name)) {
      return `refers to ${ref.raw}, which is not a declared variable (${variables.map((v) => v.name).join(', ')})`;
    }
  }
  return null;
};

const checkJump = (step: ConditionStep, position: Map<string, number>, index: number, fields: Fields, key: string) => {
  for (const branch of ['on_true', 'on_false'] as const) {
    const target = step[branch];
    if (target === undefined || target === END) continue;
    const at = position.get(target);
    if (at === undefined) add(fields, `${key}.${branch}`, `Step "${step.id}": there is no step "${target}" to go to`);
    else if (at <= index) {
      add(fields, `${key}.${branch}`, `Step "${step.id}": can only go to a later step or "${END}" (no loops)`);
    }
  }
};

/** Checks one step against its type's schema; null (with the errors recorded) when it does not fit. */
const parseStep = (raw: Record<string, unknown>, index: number, fields: Fields): WorkflowStep | null => {
  const key = `definition.steps.${index}`;
  const type = raw.type;
  if (typeof type !== 'string' || !(STEP_TYPES as readonly string[]).includes(type)) {
    add(
      fields,
      `${key}.type`,
      `${label(raw, index)}: unknown step type "${String(type)}" (use ${STEP_TYPES.join(', ')})`,
    );
    return null;
  }
  const parsed = STEP_SCHEMAS[type as StepType].safeParse(raw);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    const where = issue.path.map(String).join('.');
    const message = issue.code === 'unrecognized_keys' ? `Unknown field(s): ${issue.keys.join(', ')}` : issue.message;
    add(fields, where ? `${key}.${where}` : key, `${label(raw, index)} (${type}): ${message}`);
  }
  return null;
};

/** Checks the syntax and references of a parsed step; records errors under its key. */
const checkStep = (
  step: WorkflowStep,
  index: number,
  position: Map<string, number>,
  variables: WorkflowVariable[],
  fields: Fields,
) => {
  const key = `definition.steps.${index}`;
  let refs: TemplateRef[];
  try {
    refs = referencesOf(step);
  } catch (err) {
    add(fields, step.type === 'condition' ? `${key}.if` : key, `Step "${step.id}": ${(err as Error).message}`);
    return;
  }
  for (const ref of refs) {
    const problem = checkReference(ref, position, index, variables);
    if (problem) add(fields, key, `Step "${step.id}" ${problem}`);
  }
  if (step.type === 'condition') checkJump(step, position, index, fields, key);
  if (step.type === 'generate_document' && step.prompt === undefined && step.template_id === undefined) {
    add(fields, key, `Step "${step.id}" (generate_document): give a prompt, a template_id or both`);
  }
  if (step.type === 'http_request' && !step.url.includes('{{') && !step.url.startsWith('https://')) {
    add(fields, `${key}.url`, `Step "${step.id}" (http_request): the URL must be https`);
  }
};

const checkVariables = (variables: WorkflowVariable[], fields: Fields) => {
  const seen = new Set<string>();
  variables.forEach((variable, i) => {
    if (seen.has(variable.name))
      add(fields, `variables.${i}.name`, `The variable "${variable.name}" is declared twice`);
    seen.add(variable.name);
    if (variable.default !== undefined && !fitsType(variable.default, variable.type ?? 'any')) {
      add(fields, `variables.${i}.default`, `The default of "${variable.name}" is not of type ${variable.type}`);
    }
  });
};

const checkTriggers = (triggers: WorkflowTrigger[], fields: Fields) => {
  const kinds = new Set<string>();
  triggers.forEach((trigger, i) => {
    if (trigger.type !== 'cron' && kinds.has(trigger.type)) {
      add(fields, `triggers.${i}`, `The ${trigger.type} trigger is listed twice`);
    }
    kinds.add(trigger.type);
    if (trigger.type === 'cron') {
      try {
        parseCron(trigger.schedule);
      } catch (err) {
        add(fields, `triggers.${i}.schedule`, (err as Error).message);
      }
    }
  });
};

export interface WorkflowSpec {
  definition: WorkflowDefinition;
  variables: WorkflowVariable[];
  triggers: WorkflowTrigger[];
}

/**
 * Validates a definition with its variables and triggers as a whole: every step against its type,
 * unique ids, templates and expressions that parse and refer only to earlier steps and declared
 * variables, jumps that go forward, cron schedules that parse. Throws one 400 listing every problem
 * by field, each message naming its step.
 */
export const validateWorkflow = (input: {
  definition: { steps: Record<string, unknown>[] };
  variables?: WorkflowVariable[];
  triggers?: WorkflowTrigger[];
}): WorkflowSpec => {
  const fields: Fields = {};
  const variables = input.variables ?? [];
  const triggers = input.triggers ?? DEFAULT_TRIGGERS;
  const steps = input.definition.steps.map((raw, index) => parseStep(raw, index, fields));
  const position = new Map<string, number>();
  input.definition.steps.forEach((raw, index) => {
    if (typeof raw.id !== 'string') return;
    if (position.has(raw.id)) add(fields, `definition.steps.${index}.id`, `Step "${raw.id}": the id is used twice`);
    else position.set(raw.id, index);
  });
  if (position.has(END)) add(fields, 'definition.steps', `"${END}" is reserved: a condition uses it to end the run`);
  steps.forEach((step, index) => {
    if (step) checkStep(step, index, position, variables, fields);
  });
  checkVariables(variables, fields);
  checkTriggers(triggers, fields);
  if (Object.keys(fields).length > 0) throw validationError('The workflow is invalid', fields);
  return { definition: { steps: steps as WorkflowStep[] }, variables, triggers };
};

export const fitsType = (value: unknown, type: WorkflowVariable['type'] & string): boolean => {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return true;
  }
};

/**
 * A run's input checked against the declared variables (when there are any): defaults applied,
 * required ones present, types right, nothing undeclared. Throws a 400 naming `input.<name>`.
 */
export const resolveInput = (
  variables: WorkflowVariable[],
  input: Record<string, unknown>,
): Record<string, unknown> => {
  if (variables.length === 0) return input;
  const fields: Fields = {};
  const resolved: Record<string, unknown> = {};
  for (const key of Object.keys(input)) {
    if (!variables.some((v) => v.name === key)) add(fields, `input.${key}`, 'Not a declared variable of this workflow');
  }
  for (const variable of variables) {
    const value = Object.hasOwn(input, variable.name) ? input[variable.name] : variable.default;
    if (value === undefined) {
      if (variable.required) add(fields, `input.${variable.name}`, 'Required');
      continue;
    }
    if (!fitsType(value, variable.type ?? 'any'))
      add(fields, `input.${variable.name}`, `Must be of type ${variable.type}`);
    resolved[variable.name] = value;
  }
  if (Object.keys(fields).length > 0) throw validationError('The input does not match the workflow variables', fields);
  return resolved;
};
