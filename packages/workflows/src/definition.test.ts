import { AppError } from '@flowspark/core';
import { describe, expect, it } from 'vitest';
import { resolveInput, validateWorkflow } from './definition';
import { evaluateCondition, nextAfterCondition, renderStepInput, retryOf, scopeOf } from './run';

const fieldsOf = (fn: () => unknown): Record<string, string[]> => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return (err as AppError).details?.fields as Record<string, string[]>;
  }
  throw new Error('expected a validation error');
};

describe('validateWorkflow', () => {
  it('accepts a valid definition, with manual as the default trigger', () => {
    const spec = validateWorkflow({
      definition: {
        steps: [
          { id: 'a', type: 'llm', prompt: 'Hi {{input.name}}' },
          { id: 'b', type: 'condition', if: 'len(steps.a.output) > 3', on_true: 'd', on_false: 'end' },
          { id: 'c', type: 'notify', title: 'short' },
          { id: 'd', type: 'http_request', url: 'https://api.example.com/{{steps.a.output}}' },
        ],
      },
      variables: [{ name: 'name', type: 'string' }],
    });
    expect(spec.triggers).toEqual([{ type: 'manual' }]);
    expect(spec.definition.steps.map((s) => s.type)).toEqual(['llm', 'condition', 'notify', 'http_request']);
  });

  it('names every problem by field and step', () => {
    const fields = fieldsOf(() =>
      validateWorkflow({
        definition: {
          steps: [
            { id: 'end', type: 'llm', prompt: 'x', extra: 1 },
            { id: 'b', type: 'kb_query', query: '{{steps.c.output}}', top_k: 99 },
            { id: 'c', type: 'llm', prompt: '{{nothing.here}}' },
          ],
        },
        variables: [{ name: 'x', type: 'number', default: 'no' }, { name: 'x' }],
        triggers: [{ type: 'manual' }, { type: 'manual' }, { type: 'cron', schedule: '0 0 30 2 *' }],
      }),
    );
    expect(fields['definition.steps.0']).toEqual(['Step "end" (llm): Unknown field(s): extra']);
    expect(fields['definition.steps']).toEqual(['"end" is reserved: a condition uses it to end the run']);
    expect(fields['definition.steps.1.top_k']?.[0]).toMatch(/^Step "b" \(kb_query\): /);
    expect(fields['definition.steps.2']?.[0]).toMatch(/^Step "c": Unknown reference "nothing.here"/);
    expect(fields['variables.0.default']).toEqual(['The default of "x" is not of type number']);
    expect(fields['variables.1.name']).toEqual(['The variable "x" is declared twice']);
    expect(fields['triggers.1']).toEqual(['The manual trigger is listed twice']);
    expect(fields['triggers.2.schedule']?.[0]).toMatch(/never runs/);
  });
});

describe('resolveInput', () => {
  const variables = [
    { name: 'topic', type: 'string' as const, required: true },
    { name: 'count', type: 'number' as const, default: 3 },
    { name: 'tags', type: 'array' as const },
  ];
  it('applies defaults and keeps declared values', () => {
    expect(resolveInput(variables, { topic: 'tides' })).toEqual({ topic: 'tides', count: 3 });
    expect(resolveInput([], { anything: 1 })).toEqual({ anything: 1 });
  });
  it('refuses missing, mistyped and undeclared values by name', () => {
    expect(fieldsOf(() => resolveInput(variables, { count: 'x', tags: {}, other: 1 }))).toEqual({
      'input.other': ['Not a declared variable of this workflow'],
      'input.topic': ['Required'],
      'input.count': ['Must be of type number'],
      'input.tags': ['Must be of type array'],
    });
  });
});

describe('running a definition', () => {
  const definition = validateWorkflow({
    definition: {
      steps: [
        { id: 'a', type: 'llm', prompt: 'About {{input.topic}}', retry: { limit: 4, delay_seconds: 0.5 } },
        { id: 'gate', type: 'condition', if: 'steps.a.output contains "yes"', on_true: 'last', on_false: 'end' },
        { id: 'mid', type: 'notify', title: 'mid' },
        { id: 'last', type: 'notify', title: 'Said {{steps.a.output}}' },
      ],
    },
  }).definition;
  const scope = scopeOf({
    input: { topic: 'tides' },
    outputs: { a: 'yes indeed' },
    workflow: { id: 'wfl_1', version: 2 },
    execution: { id: 'exe_1', trigger: 'manual' },
  });

  it('renders a step’s parameters and leaves out its run settings', () => {
    expect(renderStepInput(definition.steps[0]!, scope)).toEqual({ prompt: 'About tides' });
    expect(renderStepInput(definition.steps[3]!, scope)).toEqual({ title: 'Said yes indeed' });
    expect(retryOf(definition.steps[0]!)).toEqual({ limit: 4, delayMs: 500, backoff: 'exponential' });
    expect(retryOf(definition.steps[2]!)).toEqual({ limit: 2, delayMs: 2000, backoff: 'exponential' });
  });

  it('a condition jumps forward or ends the run', () => {
    const gate = definition.steps[1] as Extract<(typeof definition.steps)[number], { type: 'condition' }>;
    expect(evaluateCondition(gate, scope)).toBe(true);
    expect(nextAfterCondition(gate, true, 1, definition)).toBe(3);
    expect(nextAfterCondition(gate, false, 1, definition)).toBe(4);
    const broken = { ...gate, if: 'steps.a.output > 1' };
    expect(() => evaluateCondition(broken, scope)).toThrow(/The condition could not be evaluated: Cannot compare/);
  });
});
