/**
 * Template variables: what a template declares, how caller input is checked against it, and how the
 * values are put into a document model or a prompt. Pure functions, no I/O.
 */
import { AppError, payloadTooLarge } from '@flowspark/core';
import { z } from 'zod';
import type { DocumentModelInput } from './model';

export const VARIABLE_TYPES = ['string', 'number', 'integer', 'boolean', 'date', 'list', 'object'] as const;
export type VariableType = (typeof VARIABLE_TYPES)[number];

export const MAX_VARIABLES = 100;
/** input_data as a whole, serialized: it is stored with every document version. */
export const MAX_INPUT_DATA_BYTES = 64 * 1024;

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** `{{name}}` or `{{ name }}`; anything else in braces is plain text. */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\}/g;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.\d{1,9})?)?(Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)?$/;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isRealDate = (year: string, month: string, day: string): boolean => {
  const y = Number(year);
  const m = Number(month);
  const d = Number(day);
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
};

/** An ISO-8601 calendar date (`2026-03-01`) or date-time (`2026-03-01T09:30:00Z`, offset optional). */
export const isIsoDate = (value: string): boolean => {
  const match = ISO_DATE.exec(value) ?? ISO_DATE_TIME.exec(value);
  return match !== null && isRealDate(match[1]!, match[2]!, match[3]!);
};

/** Why `value` is not of `type`, or null when it is. */
export const typeProblem = (type: VariableType, value: unknown): string | null => {
  switch (type) {
    case 'string':
      return typeof value === 'string' ? null : 'Expected a string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? null : 'Expected a number';
    case 'integer':
      return Number.isSafeInteger(value) ? null : 'Expected an integer';
    case 'boolean':
      return typeof value === 'boolean' ? null : 'Expected a boolean (true or false)';
    case 'date':
      return typeof value === 'string' && isIsoDate(value)
        ? null
        : 'Expected an ISO-8601 date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM:SSZ)';
    case 'list':
      return Array.isArray(value) ? null : 'Expected a list (JSON array)';
    case 'object':
      return isPlainObject(value) ? null : 'Expected an object';
  }
};

export const TemplateVariable = z
  .strictObject({
    name: z
      .string()
      .regex(NAME_PATTERN, 'Must start with a letter or _ and contain only letters, digits and _ (at most 64)'),
    type: z.enum(VARIABLE_TYPES),
    required: z.boolean().default(true),
    description: z.string().max(500).optional(),
    default: z.unknown().optional(),
    /**
     * File templates: the DOCX placeholder or PDF form field this variable fills, when the file's own
     * name is not a valid variable name (PDF fields are often called "First name" or "f1_01[0]").
     */
    field: z.string().min(1).max(256).optional(),
  })
  .superRefine((variable, ctx) => {
    if (variable.default === undefined) return;
    const problem = variable.default === null ? 'Must not be null' : typeProblem(variable.type, variable.default);
    if (problem)
      ctx.addIssue({ code: 'custom', path: ['default'], message: `Default does not fit ${variable.type}: ${problem}` });
  });
export type TemplateVariable = z.infer<typeof TemplateVariable>;
export type TemplateVariableInput = z.input<typeof TemplateVariable>;

/** A template's declarations: at most 100, names (and file fields) unique. */
export const TemplateVariables = z
  .array(TemplateVariable)
  .max(MAX_VARIABLES, `A template declares at most ${MAX_VARIABLES} variables`)
  .superRefine((variables, ctx) => {
    const names = new Set<string>();
    const fields = new Set<string>();
    variables.forEach((variable, index) => {
      if (names.has(variable.name)) {
        ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `Duplicate variable name "${variable.name}"` });
      }
      names.add(variable.name);
      const field = variable.field ?? variable.name;
      if (variable.field !== undefined && fields.has(field)) {
        ctx.addIssue({
          code: 'custom',
          path: [index, 'field'],
          message: `Field "${field}" is already filled by another variable`,
        });
      }
      fields.add(field);
    });
  });

const tooLarge = (bytes: number) =>
  payloadTooLarge(`input_data is ${bytes} bytes serialized; at most ${MAX_INPUT_DATA_BYTES} are allowed`, {
    limit: MAX_INPUT_DATA_BYTES,
    actual: bytes,
  });

/**
 * Checks caller input against the declarations and returns every input key with the declared ones
 * resolved: a missing value takes its default; an optional one without default becomes null (empty
 * text when filled). Keys nobody declared pass through (a prompt may use them). Every problem is
 * reported at once, keyed `input_data.<name>`.
 */
export const checkTemplateInput = (
  declared: readonly TemplateVariable[],
  input: Record<string, unknown>,
): Record<string, unknown> => {
  if (!isPlainObject(input)) {
    throw new AppError('VALIDATION_ERROR', 'Template input is invalid', {
      details: { fields: { input_data: ['Expected an object'] } },
    });
  }
  let serialized: string | undefined;
  try {
    serialized = JSON.stringify(input);
  } catch {
    serialized = undefined;
  }
  if (serialized === undefined) {
    throw new AppError('VALIDATION_ERROR', 'Template input is invalid', {
      details: { fields: { input_data: ['Must be JSON-serialisable'] } },
    });
  }
  const bytes = new TextEncoder().encode(serialized).byteLength;
  if (bytes > MAX_INPUT_DATA_BYTES) throw tooLarge(bytes);

  const resolved: Record<string, unknown> = { ...input };
  const fields: Record<string, string[]> = {};
  for (const variable of declared) {
    const given = Object.hasOwn(input, variable.name) ? input[variable.name] : undefined;
    if (given === undefined || given === null) {
      if (variable.default !== undefined) resolved[variable.name] = variable.default;
      else if (variable.required) fields[`input_data.${variable.name}`] = ['Required variable is missing'];
      else resolved[variable.name] = null;
      continue;
    }
    const problem = typeProblem(variable.type, given);
    if (problem) fields[`input_data.${variable.name}`] = [problem];
  }
  if (Object.keys(fields).length > 0) {
    throw new AppError('VALIDATION_ERROR', 'Template input is invalid', { details: { fields } });
  }
  return resolved;
};

const inline = (value: unknown): string => {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
};

/** How a value reads in text: lists comma-joined, objects as JSON, null as nothing. */
export const formatVariableValue = (value: unknown): string =>
  Array.isArray(value) ? value.map(inline).join(', ') : inline(value);

/**
 * Replaces `{{ name }}` with its value in one pass: a value that itself contains `{{…}}` is not
 * expanded again. Names without a value stay as written.
 */
export const fillTextVariables = (text: string, values: Record<string, unknown>): string => {
  if (!text.includes('{{')) return text;
  return text.replace(PLACEHOLDER, (whole, name: string) =>
    Object.hasOwn(values, name) ? formatVariableValue(values[name]) : whole,
  );
};

/** The variable names `{{…}}` placeholders in a text refer to. */
export const placeholdersInText = (text: string, into = new Set<string>()): Set<string> => {
  if (!text.includes('{{')) return into;
  for (const match of text.matchAll(PLACEHOLDER)) into.add(match[1]!);
  return into;
};

/** Keys whose strings are not text a reader sees: the block kind and image bytes. */
const NOT_TEXT = new Set(['type', 'data_base64']);

/**
 * `node` with `fn` applied to its texts. What `fn` leaves unchanged is returned as it is rather than
 * copied: a model without placeholders comes back whole, and a 100,000-row table is not copied for a
 * variable in its caption.
 */
const mapStrings = (node: unknown, fn: (text: string) => string): unknown => {
  if (typeof node === 'string') return fn(node);
  if (Array.isArray(node)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < node.length; i++) {
      const item: unknown = node[i];
      const mapped = mapStrings(item, fn);
      if (mapped !== item && !out) out = node.slice(0, i);
      out?.push(mapped);
    }
    return out ?? node;
  }
  if (isPlainObject(node)) {
    let out: Record<string, unknown> | undefined;
    for (const [key, value] of Object.entries(node)) {
      const mapped = NOT_TEXT.has(key) ? value : mapStrings(value, fn);
      if (mapped !== value && !out) out = { ...node };
      if (out) out[key] = mapped;
    }
    return out ?? node;
  }
  return node;
};

/**
 * Fills `{{ name }}` in every text of the model: title, subtitle, metadata, headings, paragraphs,
 * bullet items, table columns, string cells, captions, sheet names, alt texts and speaker notes. The
 * result shares what no placeholder changed with `model` (so neither is changed afterwards); parse
 * it with `DocumentModel` afterwards, since a long value can push a string past its limit.
 */
export const fillModelVariables = <T extends DocumentModelInput>(model: T, values: Record<string, unknown>): T =>
  mapStrings(model, (text) => fillTextVariables(text, values)) as T;

/** The variable names the model's placeholders refer to. */
export const placeholdersIn = (model: DocumentModelInput | Record<string, unknown>): Set<string> => {
  const names = new Set<string>();
  mapStrings(model, (text) => {
    placeholdersInText(text, names);
    return text;
  });
  return names;
};

/**
 * Values keyed the way the uploaded file names them (a variable's `field`, else its name), for
 * `fillDocxTemplate` and `fillPdfForm`. Only declared variables are passed on.
 */
export const fileFieldValues = (
  declared: readonly TemplateVariable[],
  values: Record<string, unknown>,
): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const variable of declared) {
    if (Object.hasOwn(values, variable.name)) out[variable.field ?? variable.name] = values[variable.name];
  }
  return out;
};
