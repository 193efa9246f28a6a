/**
 * Templates in workflow step parameters: `{{ path }}` anywhere in a string, spaces inside optional.
 * A path is a root, then `.name`, `.0`, `[0]`, `["any key"]` or `['any key']` segments:
 * `input` (or `input.<name>…`), `steps.<id>.output…`, `workflow.id|version`, `execution.id|trigger`.
 * A string that is one reference alone renders as the value itself (an object stays an object); otherwise
 * values are interpolated as text. A lone `}}` is literal text; `{{` always opens a reference.
 * expression.ts writes the same paths bare, through scanRef.
 */

export type RefRoot = 'input' | 'steps' | 'workflow' | 'execution';

export interface TemplateRef {
  raw: string;
  root: RefRoot;
  stepId?: string;
  /** For `steps`, the path after `output`. */
  path: string[];
}

export class TemplateError extends Error {
  constructor(
    message: string,
    readonly index: number,
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

export interface TemplateScope {
  input: Record<string, unknown>;
  /** The steps that ran: one skipped by a branch is absent, and its references render as null. */
  steps: Record<string, { output: unknown }>;
  workflow?: { id: string; version: number };
  execution?: { id: string; trigger: string };
}

export const TEMPLATE_LIMITS = { maxLength: 100_000, maxRefs: 200 } as const;

const IDENT = /[A-Za-z_][A-Za-z0-9_-]*/y;
const DIGITS = /[0-9]+/y;
const NAME_CHAR = /[A-Za-z0-9_-]/;
const SPACE = /\s/;
const STEP_ID = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const ARRAY_INDEX = /^(?:0|[1-9][0-9]*)$/;
const ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t', r: '\r' };
const FIELDS = { workflow: ['id', 'version'], execution: ['id', 'trigger'] } as const;
const ROOTS_HINT = 'use input.<name>, steps.<id>.output, workflow.id|version or execution.id|trigger';

const sticky = (re: RegExp, text: string, at: number): string | undefined => {
  re.lastIndex = at;
  return re.exec(text)?.[0];
};

const skipSpaces = (text: string, at: number): number => {
  let i = at;
  while (i < text.length && SPACE.test(text[i]!)) i++;
  return i;
};

const found = (text: string, at: number): string => (at < text.length ? `, found "${text[at]}"` : ', found the end');

/** A '…' or "…" string starting at `start`, with \\ \' \" \n \t \r and \uXXXX escapes. */
export const scanQuoted = (text: string, start: number): { value: string; end: number } => {
  const quote = text[start];
  let value = '';
  for (let i = start + 1; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === quote) return { value, end: i + 1 };
    if (ch !== '\\') {
      value += ch;
      continue;
    }
    const code = text[++i] ?? '';
    const hex = text.slice(i + 1, i + 5);
    if (code === 'u' && /^[0-9A-Fa-f]{4}$/.test(hex)) {
      value += String.fromCharCode(Number.parseInt(hex, 16));
      i += 4;
    } else if (code !== 'u' && Object.hasOwn(ESCAPES, code)) value += ESCAPES[code];
    else throw new TemplateError(`Invalid escape "\\${code}" at position ${i - 1}`, i - 1);
  }
  throw new TemplateError(`Unclosed string at position ${start}`, start);
};

const scanSegments = (text: string, start: number): { segments: string[]; end: number } => {
  const root = sticky(IDENT, text, start);
  if (!root) throw new TemplateError(`Expected a reference at position ${start}${found(text, start)}`, start);
  const segments = [root];
  let i = start + root.length;
  for (;;) {
    if (text[i] === '.') {
      const name = sticky(IDENT, text, i + 1) ?? sticky(DIGITS, text, i + 1);
      if (!name)
        throw new TemplateError(
          `Expected a name or an index after "." at position ${i + 1}${found(text, i + 1)}`,
          i + 1,
        );
      // `.0abc` is neither an index nor a name; brackets take any key.
      let tail = i + 1 + name.length;
      while (tail < text.length && NAME_CHAR.test(text[tail]!)) tail++;
      const bad = text.slice(i + 1, tail);
      if (bad !== name)
        throw new TemplateError(`Invalid path segment "${bad}" at position ${i + 1}: write ["${bad}"]`, i + 1);
      segments.push(name);
      i = tail;
    } else if (text[i] === '[') {
      let j = skipSpaces(text, i + 1);
      const digits = sticky(DIGITS, text, j);
      let key: string;
      if (digits) [key, j] = [digits, j + digits.length];
      else if (text[j] === '"' || text[j] === "'") ({ value: key, end: j } = scanQuoted(text, j));
      else throw new TemplateError(`Expected an index or a quoted key at position ${j}${found(text, j)}`, j);
      j = skipSpaces(text, j);
      if (text[j] !== ']') throw new TemplateError(`Expected "]" at position ${j}${found(text, j)}`, j);
      segments.push(key);
      i = j + 1;
    } else return { segments, end: i };
  }
};

const toRef = (raw: string, [root, ...rest]: string[], index: number): TemplateRef => {
  if (root === 'input') return { raw, root, path: rest };
  if (root === 'steps') {
    const [stepId, output, ...path] = rest;
    if (stepId === undefined || output !== 'output') {
      throw new TemplateError(`Invalid reference "${raw}": use steps.<id>.output, then an optional path`, index);
    }
    if (!STEP_ID.test(stepId)) {
      throw new TemplateError(
        `Invalid step id "${stepId}" in "${raw}": a letter, then up to 63 letters, digits, "_" or "-"`,
        index,
      );
    }
    return { raw, root, stepId, path };
  }
  if (root === 'workflow' || root === 'execution') {
    const allowed: readonly string[] = FIELDS[root];
    if (rest.length !== 1 || !allowed.includes(rest[0]!)) {
      throw new TemplateError(
        `Invalid reference "${raw}": use ${allowed.map((f) => `${root}.${f}`).join(' or ')}`,
        index,
      );
    }
    return { raw, root, path: rest };
  }
  throw new TemplateError(`Unknown reference "${raw}": ${ROOTS_HINT}`, index);
};

/** The reference starting at `start` in `text`, and where it ends (the first character that cannot continue it). */
export const scanRef = (text: string, start: number): { ref: TemplateRef; end: number } => {
  const { segments, end } = scanSegments(text, start);
  return { ref: toRef(text.slice(start, end), segments, start), end };
};

export const parseRefPath = (path: string): TemplateRef => {
  const text = path.trimEnd();
  const start = skipSpaces(text, 0);
  if (start === text.length) throw new TemplateError('Empty reference', 0);
  const { ref, end } = scanRef(text, start);
  if (end < text.length) {
    throw new TemplateError(`Unexpected "${text[end]}" at position ${end} in reference "${text.slice(start)}"`, end);
  }
  return ref;
};

export const parseTemplate = (text: string): Array<string | TemplateRef> => {
  const { maxLength, maxRefs } = TEMPLATE_LIMITS;
  if (text.length > maxLength) {
    throw new TemplateError(`Template is too long: ${text.length} characters, at most ${maxLength}`, maxLength);
  }
  const parts: Array<string | TemplateRef> = [];
  let from = 0;
  let refs = 0;
  for (let open = text.indexOf('{{'); open !== -1; open = text.indexOf('{{', from)) {
    if (open > from) parts.push(text.slice(from, open));
    const close = text.indexOf('}}', open + 2);
    if (close === -1) throw new TemplateError(`Unclosed "{{" at position ${open}`, open);
    const start = skipSpaces(text, open + 2);
    if (start === close) {
      throw new TemplateError(`Empty reference "${text.slice(open, close + 2)}" at position ${open}`, open);
    }
    if (++refs > maxRefs) {
      throw new TemplateError(`Too many references: at most ${maxRefs} in one string`, open);
    }
    const { ref, end } = scanRef(text, start);
    const after = skipSpaces(text, end);
    if (!text.startsWith('}}', after)) {
      // The first `}}` may sit inside a quoted key: look again past the path.
      const until = text.indexOf('}}', after);
      if (until === -1) throw new TemplateError(`Unclosed "{{" at position ${open}`, open);
      throw new TemplateError(
        `Unexpected "${text[after]}" at position ${after} in "${text.slice(open, until + 2)}"`,
        after,
      );
    }
    parts.push(ref);
    from = after + 2;
  }
  if (from < text.length) parts.push(text.slice(from));
  return parts;
};

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/** Own keys and array indices only: `__proto__`, `constructor` or `toString` never reach a prototype. */
const child = (value: unknown, key: string): unknown => {
  if (Array.isArray(value)) return ARRAY_INDEX.test(key) ? value[Number(key)] : undefined;
  if (value !== null && typeof value === 'object' && Object.hasOwn(value, key)) {
    return (value as Record<string, unknown>)[key];
  }
  return undefined;
};

/** The referenced value, or undefined when any part of the path is missing. */
export const resolveRef = (ref: TemplateRef, scope: TemplateScope): unknown => {
  const base = ref.root === 'steps' ? child(child(scope.steps, ref.stepId!), 'output') : child(scope, ref.root);
  return ref.path.reduce<unknown>(child, base);
};

/** How a value reads inside text; expression.ts concatenates and converts with it too. */
export const toText = (value: unknown): string => {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
};

export const renderTemplate = (text: string, scope: TemplateScope): unknown => {
  const parts = parseTemplate(text);
  const refs = parts.filter((part): part is TemplateRef => typeof part !== 'string');
  if (refs.length === 1 && parts.every((part) => typeof part !== 'string' || part.trim() === '')) {
    return resolveRef(refs[0]!, scope) ?? null;
  }
  return parts.map((part) => (typeof part === 'string' ? part : toText(resolveRef(part, scope)))).join('');
};

export const renderValue = (value: unknown, scope: TemplateScope): unknown => {
  if (typeof value === 'string') return renderTemplate(value, scope);
  if (Array.isArray(value)) return value.map((item) => renderValue(item, scope));
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, renderValue(item, scope)]));
  }
  return value;
};

export const templateRefs = (value: unknown): TemplateRef[] => {
  if (typeof value === 'string') return parseTemplate(value).filter((part) => typeof part !== 'string');
  if (Array.isArray(value)) return value.flatMap(templateRefs);
  if (isPlainObject(value)) return Object.values(value).flatMap(templateRefs);
  return [];
};
