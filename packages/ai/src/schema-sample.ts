import { truncateUtf16 } from '@flowspark/core';

/**
 * A deterministic instance of a JSON schema (the subset `z.toJSONSchema` emits): what the local
 * provider answers in JSON mode when the caller gave no draft.
 * - objects: their required properties (near the root, the optional ones too);
 * - arrays: two items, or what minItems/maxItems allow; tuples their prefixItems;
 * - const and enum: the (first) value; unions: the first non-null option, except that the items of an
 *   array cycle through the options, so every variant of a discriminated union shows up;
 * - strings: words of the prompt within minLength/maxLength, known formats (email, date-time, uuid…),
 *   a pattern tried against a few candidates; numbers: 1 moved inside minimum/maximum/multipleOf.
 */
type JsonSchema = Record<string, unknown>;

const MAX_DEPTH = 24;
// Below this depth arrays shrink to their minimum and the walk stays small.
const SHALLOW_DEPTH = 8;
const OPTIONAL_DEPTH = 6;

interface Walk {
  root: JsonSchema;
  words: string[];
  cursor: number;
}

const isSchema = (value: unknown): value is JsonSchema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

const fnv1a = (text: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
};

const words = (walk: Walk, count: number): string => {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(walk.words[(walk.cursor + i) % walk.words.length]);
  walk.cursor = (walk.cursor + count) % walk.words.length;
  return out.join(' ');
};

const resolveRef = (walk: Walk, ref: string): JsonSchema => {
  if (ref === '#') return walk.root;
  if (!ref.startsWith('#/')) return {};
  let node: unknown = walk.root;
  for (const part of ref.slice(2).split('/')) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    node = isSchema(node) ? node[key] : undefined;
  }
  return isSchema(node) ? node : {};
};

const mergeAllOf = (schema: JsonSchema): JsonSchema => {
  const parts = (schema.allOf as unknown[]).filter(isSchema);
  const merged: JsonSchema = { ...schema };
  delete merged.allOf;
  const properties: JsonSchema = { ...((schema.properties as JsonSchema) ?? {}) };
  const required = new Set<string>((schema.required as string[]) ?? []);
  for (const part of parts) {
    Object.assign(merged, part);
    Object.assign(properties, (part.properties as JsonSchema) ?? {});
    for (const r of (part.required as string[]) ?? []) required.add(r);
  }
  if (Object.keys(properties).length > 0) merged.properties = properties;
  if (required.size > 0) merged.required = [...required];
  return merged;
};

const FORMATS: Record<string, (walk: Walk) => string> = {
  email: () => 'user@example.com',
  uri: () => 'https://example.com/',
  url: () => 'https://example.com/',
  'date-time': () => '2024-01-01T00:00:00Z',
  date: () => '2024-01-01',
  time: () => '00:00:00',
  duration: () => 'P1D',
  ipv4: () => '192.0.2.1',
  ipv6: () => '2001:db8::1',
  hostname: () => 'example.com',
  uuid: (walk) => {
    const hex = (fnv1a(walk.words.join(' ')).toString(16) + fnv1a(String(walk.cursor)).toString(16)).padEnd(16, '0');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(12, 15)}-8${hex.slice(0, 3)}-${hex.slice(4, 16)}`;
  },
};

const SHORT_KEYS = /^(title|name|heading|label|caption|subject|sheet_name|header|author|tag|slug)$/i;

const sampleString = (walk: Walk, schema: JsonSchema, key?: string): string => {
  const format = typeof schema.format === 'string' ? FORMATS[schema.format] : undefined;
  const capitalise = (t: string) => t.replace(/^./u, (c) => c.toUpperCase());
  let text = format
    ? format(walk)
    : key && SHORT_KEYS.test(key)
      ? capitalise(words(walk, 4))
      : capitalise(`${words(walk, 12)}.`);
  const min = num(schema.minLength) ?? 0;
  const max = num(schema.maxLength) ?? Number.POSITIVE_INFINITY;
  while (text.length < min) text = `${text} ${words(walk, 8)}`;
  text = truncateUtf16(text, max);
  if (text.trimEnd().length >= min) text = text.trimEnd();
  if (typeof schema.pattern === 'string') {
    let pattern: RegExp | undefined;
    try {
      pattern = new RegExp(schema.pattern, 'u');
    } catch {
      pattern = undefined;
    }
    if (pattern && !pattern.test(text)) {
      const candidates = ['sample', 'a', 'A', '0', 'abc', 'a1', 'sample-1', 'Sample'];
      text = candidates.find((c) => pattern.test(c) && c.length >= min && c.length <= max) ?? text;
    }
  }
  return text;
};

const sampleNumber = (schema: JsonSchema, integer: boolean): number => {
  const step = integer ? 1 : 0.5;
  const exMin = num(schema.exclusiveMinimum);
  const exMax = num(schema.exclusiveMaximum);
  let lo = num(schema.minimum) ?? (exMin !== undefined ? exMin + step : undefined);
  let hi = num(schema.maximum) ?? (exMax !== undefined ? exMax - step : undefined);
  if (integer) {
    if (lo !== undefined) lo = Math.ceil(lo);
    if (hi !== undefined) hi = Math.floor(hi);
  }
  let value = 1;
  if (lo !== undefined && value < lo) value = lo;
  if (hi !== undefined && value > hi) value = hi;
  const multipleOf = num(schema.multipleOf);
  if (multipleOf && multipleOf > 0) {
    value = Math.ceil(value / multipleOf) * multipleOf;
    if (hi !== undefined && value > hi) value = Math.floor(hi / multipleOf) * multipleOf;
  }
  return value;
};

const pickOption = (options: unknown[], variant: number): JsonSchema => {
  const usable = options.filter(isSchema).filter((o) => o.type !== 'null');
  const list = usable.length > 0 ? usable : options.filter(isSchema);
  return list.length === 0 ? {} : list[variant % list.length];
};

const inferType = (schema: JsonSchema): string => {
  if (Array.isArray(schema.type)) {
    const nonNull = schema.type.find((t) => t !== 'null');
    return typeof nonNull === 'string' ? nonNull : 'null';
  }
  if (typeof schema.type === 'string') return schema.type;
  if (isSchema(schema.properties) || isSchema(schema.additionalProperties)) return 'object';
  if (schema.items !== undefined || Array.isArray(schema.prefixItems)) return 'array';
  if (num(schema.minimum) !== undefined || num(schema.maximum) !== undefined) return 'number';
  return 'string';
};

const sampleArray = (walk: Walk, schema: JsonSchema, depth: number): unknown[] => {
  const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems : [];
  const min = num(schema.minItems) ?? 0;
  const max = num(schema.maxItems) ?? Number.POSITIVE_INFINITY;
  // Two items by default (within minItems/maxItems); deep inside a recursive schema, the minimum.
  const preferred = depth >= SHALLOW_DEPTH ? min : Math.min(max, Math.max(min, 2));
  // A tuple (prefixItems) has exactly its items; an array without an items schema holds anything.
  const items = isSchema(schema.items)
    ? schema.items
    : schema.items === undefined && prefix.length === 0
      ? {}
      : undefined;
  const count = items ? Math.max(prefix.length, preferred) : prefix.length;
  if (schema.uniqueItems === true && items && Array.isArray(items.enum) && prefix.length === 0) {
    return items.enum.slice(0, Math.min(count, items.enum.length));
  }
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) {
    const itemSchema = i < prefix.length ? prefix[i] : items;
    out.push(sample(walk, isSchema(itemSchema) ? itemSchema : {}, depth + 1, undefined, i));
  }
  return out;
};

const sampleObject = (walk: Walk, schema: JsonSchema, depth: number): Record<string, unknown> => {
  const properties = isSchema(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
  // Near the top, optional properties are filled in too (a section gets its heading and blocks);
  // deeper down only the required ones, so the instance stays small.
  const keys = depth < OPTIONAL_DEPTH ? [...new Set([...required, ...Object.keys(properties)])] : required;
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const prop = properties[key];
    out[key] = sample(walk, isSchema(prop) ? prop : {}, depth + 1, key, 0);
  }
  return out;
};

const sample = (walk: Walk, input: JsonSchema, depth: number, key: string | undefined, variant: number): unknown => {
  if (depth > MAX_DEPTH) return null;
  let schema = input;
  if (typeof schema.$ref === 'string') {
    const { $ref, ...rest } = schema;
    schema = { ...resolveRef(walk, $ref as string), ...rest };
  }
  if (Array.isArray(schema.allOf)) schema = mergeAllOf(schema);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const union = Array.isArray(schema.oneOf) ? schema.oneOf : Array.isArray(schema.anyOf) ? schema.anyOf : undefined;
  if (union) {
    const { oneOf: _o, anyOf: _a, ...rest } = schema;
    return sample(walk, { ...rest, ...pickOption(union, variant) }, depth + 1, key, variant);
  }
  switch (inferType(schema)) {
    case 'object':
      return sampleObject(walk, schema, depth);
    case 'array':
      return sampleArray(walk, schema, depth);
    case 'integer':
      return sampleNumber(schema, true);
    case 'number':
      return sampleNumber(schema, false);
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return sampleString(walk, schema, key);
  }
};

/** A deterministic instance of `schema` whose strings come from the words of `seedText`. */
export const sampleJsonSchema = (schema: Record<string, unknown>, seedText: string): unknown => {
  const found = seedText.normalize('NFKC').match(/[\p{L}\p{N}][\p{L}\p{N}\p{M}'’-]*/gu) ?? [];
  const walk: Walk = { root: schema, words: found.length > 0 ? found.slice(0, 200) : ['sample'], cursor: 0 };
  return sample(walk, schema, 0, undefined, 0);
};
