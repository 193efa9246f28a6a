import { describe, expect, it } from 'vitest';
import {
  EXPRESSION_LIMITS,
  ExpressionError,
  evaluateExpression,
  expressionRefs,
  isTruthy,
  parseExpression,
} from './expression';
import { parseRefPath, type TemplateScope } from './template';

const scope: TemplateScope = {
  input: {
    amount: 150,
    name: '  Ada ',
    country: 'FR',
    tags: ['vip', 'new'],
    pairs: [[1, 2], { a: 1 }],
    customer: { id: 'c1', plan: 'pro', address: { city: 'Paris', zip: '75001' } },
    same: { address: { zip: '75001', city: 'Paris' }, plan: 'pro', id: 'c1' },
    a: 5,
    'a-1': 'dash',
    'key with spaces': [10, 20],
    zero: 0,
    empty: '',
    none: null,
    list: [],
    obj: {},
    flag: true,
  },
  steps: {
    classify: { output: { label: 'urgent', score: 0.9 } },
    fetch: { output: [{ title: 'Book' }] },
  },
  workflow: { id: 'wf_1', version: 2 },
  execution: { id: 'exe_1', trigger: 'webhook' },
};

const run = (source: string, over: TemplateScope = scope) => evaluateExpression(parseExpression(source), over);

/** The error `fn` throws, to check both its message and its position. */
const errorOf = (fn: () => unknown): ExpressionError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ExpressionError) return err;
    throw err;
  }
  throw new Error('expected an ExpressionError');
};

const expectError = (source: string, message: string, position: number, over?: TemplateScope) => {
  const err = errorOf(() => run(source, over));
  expect([source, err.message, err.position]).toEqual([source, message, position]);
  expect(err.name).toBe('ExpressionError');
};

describe('parseExpression', () => {
  it('builds a tree with positions, multiplication binding tighter than addition', () => {
    expect(parseExpression('1 + 2 * 3')).toEqual({
      kind: 'binary',
      op: '+',
      pos: 2,
      left: { kind: 'literal', value: 1, pos: 0 },
      right: {
        kind: 'binary',
        op: '*',
        pos: 6,
        left: { kind: 'literal', value: 2, pos: 4 },
        right: { kind: 'literal', value: 3, pos: 8 },
      },
    });
    expect(parseExpression('not input.a')).toEqual({
      kind: 'not',
      pos: 0,
      operand: { kind: 'ref', ref: { raw: 'input.a', root: 'input', path: ['a'] }, pos: 4 },
    });
  });

  it('reads references with the template path rules, bare or in {{ }}', () => {
    const refOf = (source: string) => expressionRefs(parseExpression(source))[0];
    for (const path of ['input.amount', 'steps.classify.output.label', 'steps.x.output["a b"][0]', "input['k'].0"]) {
      expect(refOf(path)).toEqual(parseRefPath(path));
    }
    expect(refOf('{{steps.a.output}} == "yes"')).toEqual(parseRefPath('steps.a.output'));
    expect(refOf('{{  input.x  }}')).toEqual(parseRefPath('input.x'));
  });

  it('treats "-" right after a name as part of the name', () => {
    expect(run('input.a-1')).toBe('dash');
    expect(run('input.a - 1')).toBe(4);
    expect(run('input.a -1')).toBe(4);
  });

  it('names the position and what was expected in syntax errors', () => {
    const cases: Array<[string, string, number]> = [
      ['', 'Empty expression', 0],
      ['   ', 'Empty expression', 0],
      ['(1 + 2', 'Expected ")" at position 6, found the end of the expression', 6],
      ['(input.amount > 10 ] ', 'Expected ")" at position 19, found "]"', 19],
      ['[1, 2', 'Expected "]" at position 5, found the end of the expression', 5],
      ['[1,]', 'Unexpected "]" at position 3', 3],
      ['1 +', 'Unexpected end of expression', 3],
      ['input.a and', 'Unexpected end of expression', 11],
      ['1 2', 'Unexpected "2" at position 2', 2],
      ['* 2', 'Unexpected "*" at position 0', 0],
      ['and', 'Unexpected "and" at position 0', 0],
      ['true(1)', 'Unexpected "(" at position 4', 4],
      ['1 == !true', 'Unexpected "!" at position 5', 5],
      ['foo(1)', 'Unknown function "foo" at position 0: use len, lower, upper, trim, number, string, exists', 0],
      ['len(1, 2)', 'Function "len" takes 1 argument, got 2 at position 0', 0],
      ['lower()', 'Function "lower" takes 1 argument, got 0 at position 0', 0],
      ['input.a = 1', 'Unexpected "=" at position 8: use "=="', 8],
      ['input.a & input.b', 'Unexpected "&" at position 8: use "&&"', 8],
      ['input.a | input.b', 'Unexpected "|" at position 8: use "||"', 8],
      ['input.a # 1', 'Unexpected character "#" at position 8', 8],
      ['1 < 2 < 3', 'Unexpected "<" at position 6: comparisons cannot be chained, use "and"', 6],
      [
        '"a" in input.tags contains "b"',
        'Unexpected "contains" at position 18: comparisons cannot be chained, use "and"',
        18,
      ],
      ['1.2.3', 'Invalid number at position 0', 0],
      ['12abc', 'Invalid number at position 0', 0],
      ['1e999', 'Invalid number at position 0', 0],
      ["'abc", 'Unclosed string at position 0', 0],
      ['"a\\x"', 'Invalid escape "\\x" at position 2', 2],
      [
        'foo.bar == 1',
        'Unknown reference "foo.bar": use input.<name>, steps.<id>.output, workflow.id|version or execution.id|trigger',
        0,
      ],
      [
        'x == 1',
        'Unknown reference "x": use input.<name>, steps.<id>.output, workflow.id|version or execution.id|trigger',
        0,
      ],
      ['1 == steps.a', 'Invalid reference "steps.a": use steps.<id>.output, then an optional path', 5],
      ['workflow.name', 'Invalid reference "workflow.name": use workflow.id or workflow.version', 0],
      ['input. a', 'Expected a name or an index after "." at position 6, found " "', 6],
      ['{{ input.a == 1', 'Expected "}}" at position 11', 11],
      ['{{ }} == 1', 'Expected a reference at position 3, found "}"', 3],
    ];
    for (const [source, message, position] of cases) {
      const err = errorOf(() => parseExpression(source));
      expect([source, err.message, err.position]).toEqual([source, message, position]);
    }
  });

  it('limits length, tokens and nesting', () => {
    expect(EXPRESSION_LIMITS).toEqual({ maxLength: 2000, maxTokens: 500, maxDepth: 32, maxStringLength: 1_000_000 });
    expect(run(`"${'x'.repeat(1998)}"`)).toBe('x'.repeat(1998));
    const long = errorOf(() => parseExpression(`"${'x'.repeat(1999)}"`));
    expect([long.message, long.position]).toEqual(['Expression is too long: 2001 characters, at most 2000', 2000]);

    const ones = Array(250).fill('1').join('+'); // 499 tokens
    expect(run(`-${ones}`)).toBe(248);
    const tokens = errorOf(() => parseExpression(`--${ones}`));
    expect([tokens.message, tokens.position]).toEqual(['Expression is too long: at most 500 tokens', 500]);

    const wrap = (n: number, open: string, close: string) => `${open.repeat(n)}1${close.repeat(n)}`;
    const deep = `Expression is nested too deeply at position 32: at most 32 levels`;
    expect(run(wrap(32, '(', ')'))).toBe(1);
    expect(errorOf(() => parseExpression(wrap(33, '(', ')'))).message).toBe(deep);
    expect(run(wrap(32, '[', ']'))).toEqual(JSON.parse(wrap(32, '[', ']')));
    expect(errorOf(() => parseExpression(wrap(33, '[', ']'))).message).toBe(deep);
    expect(run(wrap(32, '-', ''))).toBe(1);
    expect(errorOf(() => parseExpression(wrap(33, '-', ''))).message).toBe(deep);
    expect(run(wrap(32, '!', ''))).toBe(true);
    expect(run(wrap(31, '!', ''))).toBe(false);
    expect(errorOf(() => parseExpression(wrap(33, '!', ''))).message).toBe(deep);
    expect(run(wrap(32, 'string(', ')'))).toBe('1');
    expect(errorOf(() => parseExpression(wrap(33, 'len(', ')'))).position).toBe(32 * 4);
  });
});

describe('evaluateExpression', () => {
  it('follows precedence: or < and < not < comparison < additive < multiplicative < unary minus', () => {
    expect(run('1 + 2 * 3 == 7 && !false')).toBe(true);
    expect(run('(1 + 2) * 3')).toBe(9);
    expect(run('10 - 2 - 3')).toBe(5);
    expect(run('2 * 3 % 4')).toBe(2);
    expect(run('12 / 4 / 3')).toBe(1);
    expect(run('-2 * 3')).toBe(-6);
    expect(run('- -2')).toBe(2);
    expect(run('1 - -2')).toBe(3);
    expect(run('true || false && false')).toBe(true);
    expect(run('(true || false) && false')).toBe(false);
    expect(run('true or false and false')).toBe(true);
    // `not` applies to the whole comparison.
    expect(run('!1 == 2')).toBe(true);
    expect(run('not input.a == 5')).toBe(false);
    expect(run('not not true')).toBe(true);
    expect(run('input.amount > 100 and input.country in ["FR", "DE"] or false')).toBe(true);
  });

  it('reads literals: numbers, strings with escapes, booleans, null and arrays', () => {
    expect(run('42')).toBe(42);
    expect(run('3.25')).toBe(3.25);
    expect(run('1e3')).toBe(1000);
    expect(run('2.5E-1')).toBe(0.25);
    expect(run(`'it\\'s'`)).toBe("it's");
    expect(run(`"say \\"hi\\"\\n\\t\\\\ \\u00e9"`)).toBe('say "hi"\n\t\\ é');
    expect(run('"a" + \'b\'')).toBe('ab');
    expect(run('true')).toBe(true);
    expect(run('null')).toBeNull();
    expect(run('[1, "two", [null, false], input.a]')).toEqual([1, 'two', [null, false], 5]);
    expect(run('[]')).toEqual([]);
  });

  it('resolves references, missing ones as null', () => {
    expect(run('steps.classify.output.label')).toBe('urgent');
    expect(run('steps.fetch.output[0].title')).toBe('Book');
    expect(run('input["key with spaces"][1]')).toBe(20);
    expect(run('{{ steps.classify.output.label }} == "urgent"')).toBe(true);
    expect(run('workflow.version == 2 and execution.trigger == "webhook"')).toBe(true);
    expect(run('input.missing')).toBeNull();
    expect(run('steps.skipped.output.label')).toBeNull();
    expect(run('steps.skipped.output == null')).toBe(true);
    expect(run('input.customer.constructor')).toBeNull();
    expect(run('input.tags.length')).toBeNull();
  });

  it('compares JSON values deeply without coercion', () => {
    expect(run('1 == "1"')).toBe(false);
    expect(run('1 != "1"')).toBe(true);
    expect(run('0 == false')).toBe(false);
    expect(run('"" == null')).toBe(false);
    expect(run('input.missing == null')).toBe(true);
    expect(run('input.none == input.missing')).toBe(true);
    expect(run('input.tags == ["vip", "new"]')).toBe(true);
    expect(run('input.tags == ["new", "vip"]')).toBe(false);
    expect(run('input.tags == ["vip"]')).toBe(false);
    expect(run('input.customer == input.same')).toBe(true);
    expect(run('input.customer == input.pairs[1]')).toBe(false);
    expect(run('input.obj == input.list')).toBe(false);
    expect(run('input.obj != input.list')).toBe(true);
  });

  it('orders two numbers or two strings, nothing else', () => {
    expect(run('input.amount >= 150')).toBe(true);
    expect(run('input.amount > 150')).toBe(false);
    expect(run('1 < 2 and 2 <= 2 and 3 > 2 and (3 >= 4) == false')).toBe(true);
    expect(run('"apple" < "banana"')).toBe(true);
    expect(run('"b" >= "ab"')).toBe(true);
    expectError('1 < "2"', 'Cannot compare number with string', 2);
    expectError('input.missing >= 1', 'Cannot compare null with number', 14);
    expectError('[1] > [0]', 'Cannot compare array with array', 4);
    expectError('true <= 1', 'Cannot compare boolean with number', 5);
    expectError('input.obj < "a"', 'Cannot compare object with string', 10);
  });

  it('tests membership: substrings, array elements, object keys, false otherwise', () => {
    expect(run('"hello" contains "ell"')).toBe(true);
    expect(run('"hello" contains "xyz"')).toBe(false);
    expect(run('"123" contains 2')).toBe(false);
    expect(run('input.tags contains "vip"')).toBe(true);
    expect(run('input.tags contains "VIP"')).toBe(false);
    expect(run('input.pairs contains [1, 2]')).toBe(true);
    expect(run('input.pairs contains input.same')).toBe(false);
    expect(run('input.customer contains "plan"')).toBe(true);
    expect(run('input.customer contains "toString"')).toBe(false);
    expect(run('input.customer contains 1')).toBe(false);
    expect(run('input.missing contains "x"')).toBe(false);
    expect(run('5 contains 5')).toBe(false);
    expect(run('"ell" in "hello"')).toBe(true);
    expect(run('input.country in ["FR", "DE"]')).toBe(true);
    expect(run('"US" in ["FR", "DE"]')).toBe(false);
    expect(run('1 in ["1"]')).toBe(false);
    expect(run('"zip" in input.customer.address')).toBe(true);
    expect(run('"x" in null')).toBe(false);
    expect(run('steps.classify.output.label starts_with "urg"')).toBe(true);
    expect(run('steps.classify.output.label ends_with "ent"')).toBe(true);
    expect(run('"urgent" starts_with "ent"')).toBe(false);
    expect(run('123 starts_with "1"')).toBe(false);
    expect(run('input.missing ends_with ""')).toBe(false);
  });

  it('adds numbers, concatenates when either side is a string, refuses other arithmetic', () => {
    expect(run('0.1 + 0.2 > 0.3')).toBe(true);
    expect(run('"n=" + 1')).toBe('n=1');
    expect(run('1 + 2 + "a"')).toBe('3a');
    expect(run('"a" + 1 + 2')).toBe('a12');
    expect(run('"a" + null + true')).toBe('atrue');
    expect(run('"tags: " + input.tags')).toBe('tags: ["vip","new"]');
    expect(run('7 % 3 + 7 / 2 - 2 * 2')).toBe(0.5);
    expectError('"a" - 1', 'Cannot apply "-" to string and number', 4);
    expectError('input.missing + 1', 'Cannot apply "+" to null and number', 14);
    expectError('[1] + [2]', 'Cannot apply "+" to array and array', 4);
    expectError('true * 2', 'Cannot apply "*" to boolean and number', 5);
    expectError('1 / 0', 'Division by zero', 2);
    expectError('5 % (2 - 2)', 'Division by zero', 2);
    expectError('1e308 * 10', 'The result of "*" is too large', 6);
    expectError('-"a"', 'Cannot negate string', 0);
    expectError('2 + -input.missing', 'Cannot negate null', 4);
    const big: TemplateScope = { input: { s: 'x'.repeat(600_000) }, steps: {} };
    expect(run('input.s + ""', big)).toHaveLength(600_000);
    expectError('input.s + input.s', 'String is too long: at most 1000000 characters', 8, big);
  });

  it('short-circuits && and || and gives booleans', () => {
    expect(run('false && (1/0 == 1)')).toBe(false);
    expect(run('false and lower(1) == "x"')).toBe(false);
    expect(run('true || 1 / 0')).toBe(true);
    expect(run('input.flag or input.missing > 1')).toBe(true);
    expectError('true && (1/0 == 1)', 'Division by zero', 10);
    expectError('false || 1/0', 'Division by zero', 10);
    expect(run('1 && "x"')).toBe(true);
    expect(run('0 || ""')).toBe(false);
    expect(run('input.list or input.obj')).toBe(false);
    expect(run('input.tags and input.customer')).toBe(true);
    expect(run('!input.list')).toBe(true);
  });

  it('calls len, lower, upper, trim, number, string and exists', () => {
    expect(run('len(input.tags)')).toBe(2);
    expect(run('len("héllo")')).toBe(5);
    expect(run('len("😀")')).toBe(1);
    expect(run('len(input.customer)')).toBe(3);
    expect(run('len(input.missing)')).toBe(0);
    expect(run('lower("ÀB") + upper("cd")')).toBe('àbCD');
    expect(run('trim(input.name) == "Ada"')).toBe(true);
    expect(run('number("42") + 1')).toBe(43);
    expect(run('number(" 12.5 ")')).toBe(12.5);
    expect(run('number("-1e3")')).toBe(-1000);
    expect(run('number(true) + number(false) + number(7)')).toBe(8);
    expect(run('string(12) + string(null) + string(input.tags) + string(false)')).toBe('12["vip","new"]false');
    expect(run('string(2) == "2"')).toBe(true);
    expect(run('exists(input.zero) and exists(input.empty) and exists(input.list)')).toBe(true);
    expect(run('exists(input.none) or exists(input.missing) or exists(steps.skipped.output)')).toBe(false);
    expect(run('exists(input.missing) and input.missing > 1')).toBe(false);
    expect(run('len ( input.tags )')).toBe(2);
    expectError('len(true)', 'len() expects a string, an array or an object, got boolean', 0);
    expectError('len(3)', 'len() expects a string, an array or an object, got number', 0);
    expectError('1 + lower(1)', 'lower() expects a string, got number', 4);
    expectError('upper(input.missing)', 'upper() expects a string, got null', 0);
    expectError('trim(input.tags)', 'trim() expects a string, got array', 0);
    expectError('number("abc")', 'number() cannot convert "abc"', 0);
    expectError('number("")', 'number() cannot convert ""', 0);
    expectError('number("0x10")', 'number() cannot convert "0x10"', 0);
    expectError('number(null)', 'number() cannot convert null', 0);
    expectError('number(input.tags)', 'number() cannot convert array', 0);
  });
});

describe('isTruthy', () => {
  it('counts false, null, undefined, 0, NaN, "", [] and {} as false', () => {
    for (const value of [false, null, undefined, 0, -0, Number.NaN, '', [], {}]) {
      expect([value, isTruthy(value)]).toEqual([value, false]);
    }
    for (const value of [true, 1, -1, 'x', ' ', '0', 'false', [0], [null], { a: null }]) {
      expect([value, isTruthy(value)]).toEqual([value, true]);
    }
  });
});

describe('expressionRefs', () => {
  it('lists the references an expression uses, in order', () => {
    const expr = parseExpression(
      'input.a > 1 and steps.x.output.b in [input.c, {{ workflow.id }}] or len(execution.trigger) == 0 and not -input.n',
    );
    expect(expressionRefs(expr).map((ref) => ref.raw)).toEqual([
      'input.a',
      'steps.x.output.b',
      'input.c',
      'workflow.id',
      'execution.trigger',
      'input.n',
    ]);
    expect(expressionRefs(expr)[1]).toEqual({ raw: 'steps.x.output.b', root: 'steps', stepId: 'x', path: ['b'] });
    expect(expressionRefs(parseExpression('1 + 2 == 3'))).toEqual([]);
  });
});
