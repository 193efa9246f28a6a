import { describe, expect, it } from 'vitest';
import {
  parseRefPath,
  parseTemplate,
  renderTemplate,
  renderValue,
  TEMPLATE_LIMITS,
  TemplateError,
  type TemplateScope,
  templateRefs,
} from './template';

const scope: TemplateScope = {
  input: {
    customer: { name: 'Ada', tags: ['vip', 'new'], 'full name': 'Ada Lovelace' },
    amount: 42,
    paid: false,
    note: null,
    items: [{ title: 'First' }, { title: 'Second' }],
  },
  steps: {
    fetch: { output: { items: [{ title: 'Book' }], count: 1 } },
    'send-mail': { output: 'sent' },
    empty: { output: null },
  },
  workflow: { id: 'wf_1', version: 3 },
  execution: { id: 'exe_9', trigger: 'cron' },
};

/** The error `fn` throws, to check both its message and its index. */
const errorOf = (fn: () => unknown): TemplateError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof TemplateError) return err;
    throw err;
  }
  throw new Error('expected a TemplateError');
};

describe('parseRefPath', () => {
  it('reads input, steps, workflow and execution references', () => {
    expect(parseRefPath('input.customer.name')).toEqual({
      raw: 'input.customer.name',
      root: 'input',
      path: ['customer', 'name'],
    });
    expect(parseRefPath('steps.fetch.output.items.0.title')).toEqual({
      raw: 'steps.fetch.output.items.0.title',
      root: 'steps',
      stepId: 'fetch',
      path: ['items', '0', 'title'],
    });
    expect(parseRefPath('steps.send-mail.output')).toEqual({
      raw: 'steps.send-mail.output',
      root: 'steps',
      stepId: 'send-mail',
      path: [],
    });
    expect(parseRefPath('workflow.id')).toEqual({ raw: 'workflow.id', root: 'workflow', path: ['id'] });
    expect(parseRefPath('workflow.version').path).toEqual(['version']);
    expect(parseRefPath('execution.id')).toEqual({ raw: 'execution.id', root: 'execution', path: ['id'] });
    expect(parseRefPath('execution.trigger').path).toEqual(['trigger']);
    expect(parseRefPath('input')).toEqual({ raw: 'input', root: 'input', path: [] });
  });

  it('reads bracket segments with indices and quoted keys, escapes included', () => {
    expect(parseRefPath('input.items[0].title').path).toEqual(['items', '0', 'title']);
    expect(parseRefPath('input["key with spaces"]').path).toEqual(['key with spaces']);
    expect(parseRefPath("input['k'][ 12 ]").path).toEqual(['k', '12']);
    expect(parseRefPath(`input["a\\"b"]['c\\'d']["\\u00e9\\n"]`).path).toEqual(['a"b', "c'd", 'é\n']);
    expect(parseRefPath('steps.x.output["a.b"]["}}"]').path).toEqual(['a.b', '}}']);
    expect(parseRefPath('input._under_score-dash.9').path).toEqual(['_under_score-dash', '9']);
    expect(parseRefPath('  input.a  ').raw).toBe('input.a');
  });

  it('accepts step ids of 1 to 64 characters starting with a letter', () => {
    expect(parseRefPath(`steps.${'a'.repeat(64)}.output`).stepId).toBe('a'.repeat(64));
    expect(errorOf(() => parseRefPath(`steps.${'a'.repeat(65)}.output`)).message).toBe(
      `Invalid step id "${'a'.repeat(65)}" in "steps.${'a'.repeat(65)}.output": a letter, then up to 63 letters, digits, "_" or "-"`,
    );
    expect(errorOf(() => parseRefPath('steps._x.output')).message).toMatch(/^Invalid step id "_x"/);
    expect(errorOf(() => parseRefPath('steps.0.output')).message).toMatch(/^Invalid step id "0"/);
  });

  it('names what is wrong with a reference', () => {
    const hint = 'use input.<name>, steps.<id>.output, workflow.id|version or execution.id|trigger';
    expect(errorOf(() => parseRefPath('foo.bar')).message).toBe(`Unknown reference "foo.bar": ${hint}`);
    expect(errorOf(() => parseRefPath('Input.a')).message).toBe(`Unknown reference "Input.a": ${hint}`);
    for (const raw of ['steps', 'steps.x', 'steps.x.foo', 'steps.x.outputs.a']) {
      expect(errorOf(() => parseRefPath(raw)).message).toBe(
        `Invalid reference "${raw}": use steps.<id>.output, then an optional path`,
      );
    }
    for (const raw of ['workflow', 'workflow.name', 'workflow.id.x']) {
      expect(errorOf(() => parseRefPath(raw)).message).toBe(
        `Invalid reference "${raw}": use workflow.id or workflow.version`,
      );
    }
    expect(errorOf(() => parseRefPath('execution.status')).message).toBe(
      'Invalid reference "execution.status": use execution.id or execution.trigger',
    );
  });

  it('names the position of a syntax error', () => {
    const cases: Array<[string, string, number]> = [
      ['', 'Empty reference', 0],
      ['   ', 'Empty reference', 0],
      ['1abc', 'Expected a reference at position 0, found "1"', 0],
      ['input.', 'Expected a name or an index after "." at position 6, found the end', 6],
      ['input..a', 'Expected a name or an index after "." at position 6, found "."', 6],
      ['input.0abc', 'Invalid path segment "0abc" at position 6: write ["0abc"]', 6],
      ['input[', 'Expected an index or a quoted key at position 6, found the end', 6],
      ['input[a]', 'Expected an index or a quoted key at position 6, found "a"', 6],
      ['input[0', 'Expected "]" at position 7, found the end', 7],
      ['input["a"x]', 'Expected "]" at position 9, found "x"', 9],
      ['input["abc', 'Unclosed string at position 6', 6],
      ['input["a\\qb"]', 'Invalid escape "\\q" at position 8', 8],
      ['input["\\u12"]', 'Invalid escape "\\u" at position 7', 7],
      ['input.a b', 'Unexpected " " at position 7 in reference "input.a b"', 7],
      ['input.a+1', 'Unexpected "+" at position 7 in reference "input.a+1"', 7],
    ];
    for (const [path, message, index] of cases) {
      const err = errorOf(() => parseRefPath(path));
      expect([path, err.message, err.index]).toEqual([path, message, index]);
      expect(err.name).toBe('TemplateError');
    }
  });
});

describe('parseTemplate', () => {
  it('splits text and references, with or without spaces inside the braces', () => {
    expect(parseTemplate('Hello {{input.customer.name}}, {{ steps.fetch.output.count }}!')).toEqual([
      'Hello ',
      { raw: 'input.customer.name', root: 'input', path: ['customer', 'name'] },
      ', ',
      { raw: 'steps.fetch.output.count', root: 'steps', stepId: 'fetch', path: ['count'] },
      '!',
    ]);
    expect(parseTemplate('{{\n\tinput.a\n}}{{input.b}}')).toEqual([
      { raw: 'input.a', root: 'input', path: ['a'] },
      { raw: 'input.b', root: 'input', path: ['b'] },
    ]);
    expect(parseTemplate('')).toEqual([]);
    expect(parseTemplate('plain text')).toEqual(['plain text']);
  });

  it('keeps a lone "}}" or a single brace as text', () => {
    expect(parseTemplate('a }} b { c } d')).toEqual(['a }} b { c } d']);
    expect(parseTemplate('{{ input.a }} }}')).toEqual([{ raw: 'input.a', root: 'input', path: ['a'] }, ' }}']);
  });

  it('reads a quoted key holding "}}" as part of the reference', () => {
    expect(parseTemplate('{{ input["}}"] }}!')).toEqual([{ raw: 'input["}}"]', root: 'input', path: ['}}'] }, '!']);
  });

  it('refuses unclosed, empty and malformed references with their position', () => {
    const cases: Array<[string, string, number]> = [
      ['Hello {{ input.name', 'Unclosed "{{" at position 6', 6],
      ['Hello {{ input.name }', 'Unclosed "{{" at position 6', 6],
      ['a {{ input["}}"] b', 'Unclosed "{{" at position 2', 2],
      ['x {{}} y', 'Empty reference "{{}}" at position 2', 2],
      ['x {{   }} y', 'Empty reference "{{   }}" at position 2', 2],
      ['{{ input.a b }}', 'Unexpected "b" at position 11 in "{{ input.a b }}"', 11],
      ['{{ input.a | upper }}', 'Unexpected "|" at position 11 in "{{ input.a | upper }}"', 11],
      ['{{{ input.a }}}', 'Expected a reference at position 2, found "{"', 2],
      [
        'Hi {{ foo.bar }}',
        'Unknown reference "foo.bar": use input.<name>, steps.<id>.output, workflow.id|version or execution.id|trigger',
        6,
      ],
      ['{{ steps.fetch }}', 'Invalid reference "steps.fetch": use steps.<id>.output, then an optional path', 3],
    ];
    for (const [text, message, index] of cases) {
      const err = errorOf(() => parseTemplate(text));
      expect([text, err.message, err.index]).toEqual([text, message, index]);
    }
  });

  it('limits a string to 100,000 characters and 200 references', () => {
    expect(TEMPLATE_LIMITS).toEqual({ maxLength: 100_000, maxRefs: 200 });
    expect(parseTemplate('x'.repeat(100_000))).toEqual(['x'.repeat(100_000)]);
    const long = errorOf(() => parseTemplate('x'.repeat(100_001)));
    expect(long.message).toBe('Template is too long: 100001 characters, at most 100000');

    const refs = (n: number) => Array.from({ length: n }, (_, i) => `{{input.k${i}}}`).join(' ');
    expect(parseTemplate(refs(200)).filter((part) => typeof part !== 'string')).toHaveLength(200);
    const many = errorOf(() => parseTemplate(refs(201)));
    expect(many.message).toBe('Too many references: at most 200 in one string');
    expect(many.index).toBe(refs(200).length + 1);
  });
});

describe('renderTemplate', () => {
  it('keeps the value of a string that is one reference alone, surrounding spaces ignored', () => {
    expect(renderTemplate('{{ input.customer }}', scope)).toEqual(scope.input.customer);
    expect(renderTemplate('  {{input.amount}} \n', scope)).toBe(42);
    expect(renderTemplate('{{ input.paid }}', scope)).toBe(false);
    expect(renderTemplate('{{ input.customer.tags }}', scope)).toEqual(['vip', 'new']);
    expect(renderTemplate('{{ steps.fetch.output }}', scope)).toEqual({ items: [{ title: 'Book' }], count: 1 });
    expect(renderTemplate('{{ workflow.version }}', scope)).toBe(3);
    expect(renderTemplate('{{ input }}', scope)).toBe(scope.input);
  });

  it('gives null for a missing value when the reference stands alone', () => {
    expect(renderTemplate('{{ input.nope }}', scope)).toBeNull();
    expect(renderTemplate('{{ input.note }}', scope)).toBeNull();
    expect(renderTemplate('{{ input.nope.deeper.still }}', scope)).toBeNull();
    expect(renderTemplate('{{ steps.skipped.output }}', scope)).toBeNull();
    expect(renderTemplate('{{ steps.skipped.output.a.b }}', scope)).toBeNull();
    expect(renderTemplate('{{ steps.empty.output.a }}', scope)).toBeNull();
    expect(renderTemplate('{{ workflow.id }}', { input: {}, steps: {} })).toBeNull();
  });

  it('interpolates text, numbers, booleans, JSON for objects and arrays, nothing for null', () => {
    expect(renderTemplate('Hi {{ input.customer.name }}, you owe {{input.amount}}', scope)).toBe('Hi Ada, you owe 42');
    expect(renderTemplate('paid={{input.paid}} note=[{{input.note}}] none=[{{input.none}}]', scope)).toBe(
      'paid=false note=[] none=[]',
    );
    expect(renderTemplate('tags: {{ input.customer.tags }}', scope)).toBe('tags: ["vip","new"]');
    expect(renderTemplate('out: {{ steps.fetch.output }}', scope)).toBe('out: {"items":[{"title":"Book"}],"count":1}');
    expect(renderTemplate('{{input.amount}}{{input.amount}}', scope)).toBe('4242');
    expect(
      renderTemplate('{{ workflow.id }}@{{ workflow.version }} / {{ execution.id }} by {{ execution.trigger }}', scope),
    ).toBe('wf_1@3 / exe_9 by cron');
    expect(renderTemplate('[{{ steps.skipped.output }}]', scope)).toBe('[]');
    expect(renderTemplate('no refs }} here', scope)).toBe('no refs }} here');
  });

  it('follows object keys, array indices and quoted keys', () => {
    expect(renderTemplate('{{ steps.fetch.output.items.0.title }}', scope)).toBe('Book');
    expect(renderTemplate('{{ input.items[1]["title"] }}', scope)).toBe('Second');
    expect(renderTemplate(`{{ input.customer['full name'] }}`, scope)).toBe('Ada Lovelace');
    expect(renderTemplate('{{ input.items.5 }}', scope)).toBeNull();
    expect(renderTemplate('{{ input.items.01 }}', scope)).toBeNull();
    expect(renderTemplate('{{ input.customer.name.0 }}', scope)).toBeNull();
  });

  it('reads own properties only, never the prototype chain', () => {
    for (const key of ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty']) {
      expect(renderTemplate(`{{ input.customer["${key}"] }}`, scope)).toBeNull();
      expect(renderTemplate(`{{ input.${key} }}`, scope)).toBeNull();
    }
    expect(renderTemplate('{{ input.items.length }}', scope)).toBeNull();
    expect(renderTemplate('{{ input.items.constructor.name }}', scope)).toBeNull();
    expect(renderTemplate('{{ steps.constructor.output }}', scope)).toBeNull();
    expect(renderTemplate('{{ steps.toString.output }}', scope)).toBeNull();
    // JSON gives own keys of these names, which are plain data.
    const parsed = JSON.parse('{"__proto__": {"polluted": 1}, "constructor": "c"}');
    const own: TemplateScope = { input: parsed, steps: {} };
    expect(renderTemplate('{{ input.__proto__.polluted }}', own)).toBe(1);
    expect(renderTemplate('{{ input.constructor }}', own)).toBe('c');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('renderValue', () => {
  it('renders strings deep in arrays and objects and keeps everything else', () => {
    const value = {
      to: '{{ input.customer.name }}',
      count: '{{ steps.fetch.output.count }}',
      nested: [{ label: 'n={{input.amount}}' }, 7, true, null],
      '{{ input.amount }}': 'key untouched',
      flag: false,
    };
    const before = structuredClone(value);
    expect(renderValue(value, scope)).toEqual({
      to: 'Ada',
      count: 1,
      nested: [{ label: 'n=42' }, 7, true, null],
      '{{ input.amount }}': 'key untouched',
      flag: false,
    });
    expect(value).toEqual(before);
    expect(renderValue('{{ input.customer }}', scope)).toEqual(scope.input.customer);
    expect(renderValue(12, scope)).toBe(12);
    expect(renderValue(undefined, scope)).toBeUndefined();
  });

  it('throws TemplateError for a bad template anywhere inside', () => {
    expect(() => renderValue({ a: [{ b: 'x {{ nope.x }}' }] }, scope)).toThrow(TemplateError);
  });
});

describe('templateRefs', () => {
  it('lists every reference of every nested string, in order', () => {
    const refs = templateRefs({
      subject: 'Hi {{ input.customer.name }}',
      body: ['{{steps.fetch.output.items[0]}}', { deeper: '{{ workflow.id }} {{ input.customer.name }}' }],
      n: 3,
      off: null,
    });
    expect(refs.map((ref) => ref.raw)).toEqual([
      'input.customer.name',
      'steps.fetch.output.items[0]',
      'workflow.id',
      'input.customer.name',
    ]);
    expect(refs[1]).toEqual({
      raw: 'steps.fetch.output.items[0]',
      root: 'steps',
      stepId: 'fetch',
      path: ['items', '0'],
    });
    expect(templateRefs('no refs')).toEqual([]);
    expect(templateRefs(42)).toEqual([]);
  });

  it('throws TemplateError naming the bad reference', () => {
    const err = errorOf(() => templateRefs({ a: ['ok {{ input.a }}', 'bad {{ steps.x.result }}'] }));
    expect(err.message).toBe('Invalid reference "steps.x.result": use steps.<id>.output, then an optional path');
    expect(err.index).toBe(7);
  });
});
