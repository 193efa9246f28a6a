import { AppError } from '@flowspark/core';
import { z } from 'zod';
import { addUsage, emptyUsage } from './tokens';
import type {
  AiProvider,
  ChatMessage,
  InternalChatRequest,
  StructuredRequest,
  StructuredResult,
  TokenUsage,
} from './types';

export interface OutputIssue {
  path: string;
  message: string;
}

const MAX_ISSUES = 20;
// The invalid answer is replayed to the model in the repair turn; keep that turn bounded.
const MAX_REPLAYED_ANSWER = 8_000;

/**
 * The JSON schema sent to providers. Input shape: fields with defaults are optional, so a model
 * may leave them out and zod fills them in.
 */
export const toJsonSchema = (schema: z.ZodType): Record<string, unknown> => {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  return json;
};

const tryParse = (text: string): { ok: true; value: unknown } | undefined => {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return undefined;
  }
};

/** The end index (inclusive) of the balanced JSON value starting at `start`, skipping strings. */
const balancedEnd = (text: string, start: number): number => {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
};

/**
 * The JSON value in a model's answer: the whole text, a ```json fenced block, or the first balanced
 * object/array after some leading prose ("Here is the JSON: {...}").
 */
export const extractJson = (text: string): { ok: true; value: unknown } | { ok: false } => {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  const whole = tryParse(trimmed);
  if (whole) return whole;
  for (const match of trimmed.matchAll(/```[a-zA-Z0-9_-]*[^\S\n]*\n?([\s\S]*?)```/g)) {
    const fenced = tryParse((match[1] ?? '').trim());
    if (fenced) return fenced;
  }
  let tries = 0;
  for (let i = 0; i < trimmed.length && tries < 20; i++) {
    if (trimmed[i] !== '{' && trimmed[i] !== '[') continue;
    tries++;
    const end = balancedEnd(trimmed, i);
    if (end === -1) continue;
    const found = tryParse(trimmed.slice(i, end + 1));
    if (found) return found;
  }
  return { ok: false };
};

const formatPath = (path: readonly PropertyKey[]): string =>
  path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`)).join('') ||
  '(root)';

/** Zod issues as short {path, message} pairs (messages name expectations, never echo the input). */
export const describeIssues = (error: z.ZodError): OutputIssue[] =>
  error.issues.slice(0, MAX_ISSUES).map((issue) => ({ path: formatPath(issue.path), message: issue.message }));

const instructions = (name: string, jsonSchema: Record<string, unknown>): string =>
  [
    `Answer with a single JSON value named "${name}" that matches this JSON schema.`,
    'Output JSON only: no prose before or after it, no markdown code fences, no comments.',
    `JSON schema: ${JSON.stringify(jsonSchema)}`,
  ].join('\n');

const repairPrompt = (issues: OutputIssue[]): string =>
  [
    'Your previous answer did not match the JSON schema. Problems:',
    ...issues.map((i) => `- ${i.path}: ${i.message}`),
    'Answer again with the corrected JSON only.',
  ].join('\n');

/**
 * Asks the provider for JSON matching `schema` (sent as `z.toJSONSchema`, JSON mode where the
 * provider has one), extracts and validates it. An invalid answer gets one repair turn that lists the
 * validation errors; a second invalid answer is AppError UNPROCESSABLE (reason AI_INVALID_OUTPUT).
 * The local provider answers with `req.draft(prompt)` when given.
 */
export const structuredOutput = async <T>(
  provider: AiProvider,
  schema: z.ZodType<T>,
  req: StructuredRequest<T>,
): Promise<StructuredResult<T>> => {
  const jsonSchema = toJsonSchema(schema);
  const system = [req.system?.trim(), instructions(req.name, jsonSchema)].filter(Boolean).join('\n\n');
  let messages: ChatMessage[] = [
    { role: 'system', content: system },
    { role: 'user', content: req.prompt },
  ];
  // Only an offline provider answers with the draft; others never pay for computing it.
  const draft = provider.name === 'local' && req.draft ? req.draft(req.prompt) : undefined;
  let usage: TokenUsage = emptyUsage();
  let issues: OutputIssue[] = [];
  let model = req.model ?? '';

  for (let attempt = 1; attempt <= 2; attempt++) {
    const request: InternalChatRequest = {
      messages,
      model: req.model,
      max_tokens: req.max_tokens,
      json_schema: jsonSchema,
      json_schema_name: req.name,
      local_draft: draft,
    };
    const result = await provider.chat(request);
    usage = addUsage(usage, result.usage);
    model = result.model;
    const parsed = extractJson(result.text);
    if (parsed.ok) {
      const checked = schema.safeParse(parsed.value);
      if (checked.success) {
        return { value: checked.data, model: result.model, provider: result.provider, usage, attempts: attempt };
      }
      issues = describeIssues(checked.error);
    } else {
      issues = [{ path: '(root)', message: 'The answer is not valid JSON' }];
    }
    messages = [
      ...messages,
      { role: 'assistant', content: result.text.slice(0, MAX_REPLAYED_ANSWER) },
      { role: 'user', content: repairPrompt(issues) },
    ];
  }
  throw new AppError('UNPROCESSABLE', 'The AI provider returned invalid structured output twice', {
    details: { reason: 'AI_INVALID_OUTPUT', issues, provider: provider.name, model, usage },
  });
};
