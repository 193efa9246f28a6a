/**
 * Expressions of `condition` steps, e.g. `input.amount > 100 and steps.classify.output.label in ["a", "b"]`.
 * Precedence, low to high: `||` `or`; `&&` `and`; `!` `not`; comparisons `== != < <= > >= contains starts_with
 * ends_with in` (one per level: `a < b < c` is refused); `+ -`; `* / %`; unary `-`; then literals (numbers,
 * '…' or "…" strings, true, false, null, `[a, b]`), parentheses, calls of len lower upper trim number string exists,
 * and references with the template path syntax, bare or in `{{ }}`. A `-` right after a name is part of the name
 * (`input.a-1` is the key "a-1"): write `input.a - 1`.
 * Values are JSON: `==` is deep equality without coercion, missing references are null, `+` concatenates when
 * either side is a string (as templates interpolate), `&&` `||` short-circuit and give booleans.
 * contains / in / starts_with / ends_with never fail: a string holds a substring, an array an element (deeply equal),
 * an object an own key; any other pairing is false. Ordering needs two numbers or two strings.
 */
import {
  resolveRef,
  scanQuoted,
  scanRef,
  TemplateError,
  type TemplateRef,
  type TemplateScope,
  toText,
} from './template';

export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
    this.name = 'ExpressionError';
  }
}

export const EXPRESSION_LIMITS = {
  maxLength: 2_000,
  maxTokens: 500,
  maxDepth: 32,
  maxStringLength: 1_000_000,
} as const;

const FUNCTIONS = ['len', 'lower', 'upper', 'trim', 'number', 'string', 'exists'] as const;
const COMPARISONS = ['==', '!=', '<', '<=', '>', '>=', 'contains', 'starts_with', 'ends_with', 'in'] as const;
const KEYWORDS = new Set(['true', 'false', 'null', 'and', 'or', 'not', 'contains', 'starts_with', 'ends_with', 'in']);
const OPERATORS = ['||', '&&', '==', '!=', '<=', '>=', '<', '>', '!', '+', '-', '*', '/', '%', '(', ')', '[', ']', ','];
const LONE = { '=': '"=="', '&': '"&&"', '|': '"||"' } as Record<string, string>;
const NUMBER = /[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const IDENT = /[A-Za-z_][A-Za-z0-9_-]*/y;
const DECIMAL = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

export type FunctionName = (typeof FUNCTIONS)[number];
export type ComparisonOp = (typeof COMPARISONS)[number];
export type ArithmeticOp = '+' | '-' | '*' | '/' | '%';

/** `pos` is where the node's token starts in the source, for run-time errors. */
export type Expr =
  | { kind: 'literal'; value: string | number | boolean | null; pos: number }
  | { kind: 'ref'; ref: TemplateRef; pos: number }
  | { kind: 'array'; items: Expr[]; pos: number }
  | { kind: 'not' | 'negate'; operand: Expr; pos: number }
  | { kind: 'and' | 'or'; left: Expr; right: Expr; pos: number }
  | { kind: 'binary'; op: ComparisonOp | ArithmeticOp; left: Expr; right: Expr; pos: number }
  | { kind: 'call'; name: FunctionName; arg: Expr; pos: number };

interface Token {
  type: 'number' | 'string' | 'ref' | 'word' | 'op' | 'end';
  text: string;
  pos: number;
  value?: string | number;
  ref?: TemplateRef;
}

const sticky = (re: RegExp, text: string, at: number): string | undefined => {
  re.lastIndex = at;
  return re.exec(text)?.[0];
};

const skipSpaces = (text: string, at: number): number => {
  let i = at;
  while (/\s/.test(text[i] ?? '')) i++;
  return i;
};

const tokenize = (source: string): Token[] => {
  const tokens: Token[] = [];
  const push = (token: Token) => {
    if (tokens.length === EXPRESSION_LIMITS.maxTokens) {
      throw new ExpressionError(`Expression is too long: at most ${EXPRESSION_LIMITS.maxTokens} tokens`, token.pos);
    }
    tokens.push(token);
    return token.pos + token.text.length;
  };
  for (let i = skipSpaces(source, 0); i < source.length; i = skipSpaces(source, i)) {
    const ch = source[i]!;
    const word = sticky(IDENT, source, i);
    const number = sticky(NUMBER, source, i);
    if (source.startsWith('{{', i)) {
      const { ref, end } = scanRef(source, skipSpaces(source, i + 2));
      const close = skipSpaces(source, end);
      if (!source.startsWith('}}', close)) throw new ExpressionError(`Expected "}}" at position ${close}`, close);
      i = push({ type: 'ref', text: source.slice(i, close + 2), pos: i, ref });
    } else if (word && (KEYWORDS.has(word) || source[skipSpaces(source, i + word.length)] === '(')) {
      i = push({ type: 'word', text: word, pos: i });
    } else if (word) {
      const { ref, end } = scanRef(source, i);
      i = push({ type: 'ref', text: source.slice(i, end), pos: i, ref });
    } else if (number) {
      const value = Number(number);
      if (/[A-Za-z0-9_.]/.test(source[i + number.length] ?? '') || !Number.isFinite(value)) {
        throw new ExpressionError(`Invalid number at position ${i}`, i);
      }
      i = push({ type: 'number', text: number, pos: i, value });
    } else if (ch === '"' || ch === "'") {
      const { value, end } = scanQuoted(source, i);
      i = push({ type: 'string', text: source.slice(i, end), pos: i, value });
    } else {
      const op = OPERATORS.find((candidate) => source.startsWith(candidate, i));
      if (op) i = push({ type: 'op', text: op, pos: i });
      else if (Object.hasOwn(LONE, ch))
        throw new ExpressionError(`Unexpected "${ch}" at position ${i}: use ${LONE[ch]}`, i);
      else throw new ExpressionError(`Unexpected character "${ch}" at position ${i}`, i);
    }
  }
  tokens.push({ type: 'end', text: '', pos: source.length });
  return tokens;
};

export const parseExpression = (source: string): Expr => {
  const { maxLength, maxDepth } = EXPRESSION_LIMITS;
  if (source.length > maxLength) {
    throw new ExpressionError(`Expression is too long: ${source.length} characters, at most ${maxLength}`, maxLength);
  }
  let tokens: Token[];
  try {
    tokens = tokenize(source);
  } catch (err) {
    // Reference and string rules live in template.ts; their errors carry positions in this source.
    if (err instanceof TemplateError) throw new ExpressionError(err.message, err.index);
    throw err;
  }
  if (tokens.length === 1) throw new ExpressionError('Empty expression', 0);
  let at = 0;
  let depth = 0;
  const peek = () => tokens[at]!;
  const next = () => tokens[at++]!;
  const is = (token: Token, ...texts: readonly string[]) =>
    (token.type === 'op' || token.type === 'word') && texts.includes(token.text);
  const fail = (token: Token, expected?: string): never => {
    const what = token.type === 'end' ? 'the end of the expression' : `"${token.text}"`;
    if (expected) throw new ExpressionError(`Expected ${expected} at position ${token.pos}, found ${what}`, token.pos);
    if (token.type === 'end') throw new ExpressionError('Unexpected end of expression', token.pos);
    throw new ExpressionError(`Unexpected "${token.text}" at position ${token.pos}`, token.pos);
  };
  const expect = (text: string) => {
    if (!is(peek(), text)) fail(peek(), `"${text}"`);
    next();
  };
  // Every recursion through parentheses, lists, calls and unary operators counts, so deep input cannot blow the stack.
  const nested = <T>(pos: number, parse: () => T): T => {
    if (++depth > maxDepth) {
      throw new ExpressionError(`Expression is nested too deeply at position ${pos}: at most ${maxDepth} levels`, pos);
    }
    const result = parse();
    depth--;
    return result;
  };
  const list = (pos: number, close: string): Expr[] => {
    const items: Expr[] = [];
    if (!is(peek(), close)) {
      items.push(nested(pos, parseOr));
      while (is(peek(), ',')) {
        next();
        items.push(nested(pos, parseOr));
      }
    }
    expect(close);
    return items;
  };
  const logical = (kind: 'and' | 'or', ops: string[], operand: () => Expr) => (): Expr => {
    let left = operand();
    while (is(peek(), ...ops)) {
      const { pos } = next();
      left = { kind, left, right: operand(), pos };
    }
    return left;
  };
  const arithmetic = (ops: ArithmeticOp[], operand: () => Expr) => (): Expr => {
    let left = operand();
    while (is(peek(), ...ops)) {
      const op = next();
      left = { kind: 'binary', op: op.text as ArithmeticOp, left, right: operand(), pos: op.pos };
    }
    return left;
  };
  const parsePrimary = (): Expr => {
    const token = next();
    const { type, text, pos } = token;
    if (type === 'number' || type === 'string') return { kind: 'literal', value: token.value!, pos };
    if (type === 'ref') return { kind: 'ref', ref: token.ref!, pos };
    if (type === 'word' && (text === 'true' || text === 'false'))
      return { kind: 'literal', value: text === 'true', pos };
    if (type === 'word' && text === 'null') return { kind: 'literal', value: null, pos };
    if (type === 'word' && !KEYWORDS.has(text)) {
      if (!(FUNCTIONS as readonly string[]).includes(text)) {
        throw new ExpressionError(`Unknown function "${text}" at position ${pos}: use ${FUNCTIONS.join(', ')}`, pos);
      }
      next();
      const args = list(pos, ')');
      if (args.length !== 1) {
        throw new ExpressionError(`Function "${text}" takes 1 argument, got ${args.length} at position ${pos}`, pos);
      }
      return { kind: 'call', name: text as FunctionName, arg: args[0]!, pos };
    }
    if (is(token, '(')) {
      const inner = nested(pos, parseOr);
      expect(')');
      return inner;
    }
    if (is(token, '[')) return { kind: 'array', items: list(pos, ']'), pos };
    return fail(token);
  };
  const parseUnary = (): Expr => {
    if (!is(peek(), '-')) return parsePrimary();
    const { pos } = next();
    return { kind: 'negate', operand: nested(pos, parseUnary), pos };
  };
  const parseAdditive = arithmetic(['+', '-'], arithmetic(['*', '/', '%'], parseUnary));
  const parseComparison = (): Expr => {
    const left = parseAdditive();
    if (!is(peek(), ...COMPARISONS)) return left;
    const op = next();
    const expr: Expr = { kind: 'binary', op: op.text as ComparisonOp, left, right: parseAdditive(), pos: op.pos };
    if (is(peek(), ...COMPARISONS)) {
      const { text, pos } = peek();
      throw new ExpressionError(
        `Unexpected "${text}" at position ${pos}: comparisons cannot be chained, use "and"`,
        pos,
      );
    }
    return expr;
  };
  const parseNot = (): Expr => {
    if (!is(peek(), '!', 'not')) return parseComparison();
    const { pos } = next();
    return { kind: 'not', operand: nested(pos, parseNot), pos };
  };
  const parseOr = logical('or', ['||', 'or'], logical('and', ['&&', 'and'], parseNot));

  const expr = parseOr();
  if (peek().type !== 'end') fail(peek());
  return expr;
};

export const expressionRefs = (expr: Expr): TemplateRef[] => {
  switch (expr.kind) {
    case 'literal':
      return [];
    case 'ref':
      return [expr.ref];
    case 'array':
      return expr.items.flatMap(expressionRefs);
    case 'not':
    case 'negate':
      return expressionRefs(expr.operand);
    case 'call':
      return expressionRefs(expr.arg);
    default:
      return [...expressionRefs(expr.left), ...expressionRefs(expr.right)];
  }
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const typeName = (value: unknown): string => {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
};

export const isTruthy = (value: unknown): boolean => {
  if (Array.isArray(value)) return value.length > 0;
  if (isObject(value)) return Object.keys(value).length > 0;
  return Boolean(value);
};

const deepEqual = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && deepEqual(a[key], b[key]))
  );
};

const contains = (container: unknown, item: unknown): boolean => {
  if (typeof container === 'string') return typeof item === 'string' && container.includes(item);
  if (Array.isArray(container)) return container.some((element) => deepEqual(element, item));
  if (isObject(container)) return typeof item === 'string' && Object.hasOwn(container, item);
  return false;
};

const binary = (op: ComparisonOp | ArithmeticOp, a: unknown, b: unknown, pos: number): unknown => {
  if (op === '==' || op === '!=') return deepEqual(a, b) === (op === '==');
  if (op === 'contains' || op === 'in') return op === 'contains' ? contains(a, b) : contains(b, a);
  if (op === 'starts_with' || op === 'ends_with') {
    if (typeof a !== 'string' || typeof b !== 'string') return false;
    return op === 'starts_with' ? a.startsWith(b) : a.endsWith(b);
  }
  if (op === '<' || op === '<=' || op === '>' || op === '>=') {
    const comparable =
      (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string');
    if (!comparable) throw new ExpressionError(`Cannot compare ${typeName(a)} with ${typeName(b)}`, pos);
    const [x, y] = [a as number | string, b as number | string];
    return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
  }
  if (op === '+' && (typeof a === 'string' || typeof b === 'string')) {
    const text = toText(a) + toText(b);
    if (text.length > EXPRESSION_LIMITS.maxStringLength) {
      throw new ExpressionError(`String is too long: at most ${EXPRESSION_LIMITS.maxStringLength} characters`, pos);
    }
    return text;
  }
  if (typeof a !== 'number' || typeof b !== 'number') {
    throw new ExpressionError(`Cannot apply "${op}" to ${typeName(a)} and ${typeName(b)}`, pos);
  }
  if ((op === '/' || op === '%') && b === 0) throw new ExpressionError('Division by zero', pos);
  const result = op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : op === '/' ? a / b : a % b;
  if (!Number.isFinite(result)) throw new ExpressionError(`The result of "${op}" is too large`, pos);
  return result;
};

const call = (name: FunctionName, value: unknown, pos: number): unknown => {
  switch (name) {
    case 'exists':
      return value !== null && value !== undefined;
    case 'string':
      return toText(value);
    case 'len':
      if (typeof value === 'string') return [...value].length;
      if (Array.isArray(value)) return value.length;
      if (isObject(value)) return Object.keys(value).length;
      if (value === null || value === undefined) return 0;
      throw new ExpressionError(`len() expects a string, an array or an object, got ${typeName(value)}`, pos);
    case 'number':
      if (typeof value === 'number') return value;
      if (typeof value === 'boolean') return value ? 1 : 0;
      if (typeof value === 'string' && DECIMAL.test(value.trim())) return Number(value);
      throw new ExpressionError(
        `number() cannot convert ${typeof value === 'string' ? JSON.stringify(value.slice(0, 50)) : typeName(value)}`,
        pos,
      );
    default:
      if (typeof value !== 'string')
        throw new ExpressionError(`${name}() expects a string, got ${typeName(value)}`, pos);
      return name === 'lower' ? value.toLowerCase() : name === 'upper' ? value.toUpperCase() : value.trim();
  }
};

export const evaluateExpression = (expr: Expr, scope: TemplateScope): unknown => {
  const evaluate = (node: Expr): unknown => evaluateExpression(node, scope);
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'ref':
      return resolveRef(expr.ref, scope) ?? null;
    case 'array':
      return expr.items.map(evaluate);
    case 'not':
      return !isTruthy(evaluate(expr.operand));
    case 'negate': {
      const value = evaluate(expr.operand);
      if (typeof value !== 'number') throw new ExpressionError(`Cannot negate ${typeName(value)}`, expr.pos);
      return -value;
    }
    case 'and':
      return isTruthy(evaluate(expr.left)) && isTruthy(evaluate(expr.right));
    case 'or':
      return isTruthy(evaluate(expr.left)) || isTruthy(evaluate(expr.right));
    case 'binary':
      return binary(expr.op, evaluate(expr.left), evaluate(expr.right), expr.pos);
    case 'call':
      return call(expr.name, evaluate(expr.arg), expr.pos);
  }
};
