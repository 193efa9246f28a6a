import type { ChatMessage, ChatRequest } from '@flowspark/ai';

/**
 * What makes two chat calls interchangeable. The scope is everything but the last user message:
 * the provider, the resolved model, every other message in its place, temperature, max_tokens and
 * the JSON schema. Only calls with the same scope may share an answer; within a scope the prompt
 * (the last user message) is compared exactly by its hash, or by meaning through its embedding.
 */

/** Bumped when the scope's shape changes, so entries keyed the old way are never matched again. */
export const CACHE_KEY_VERSION = 1;

export interface CacheKey {
  /** SHA-256 (hex) of the canonical scope. */
  scope: string;
  /** SHA-256 (hex) of the scope and the normalised prompt: the exact key. */
  promptHash: string;
  /** The normalised prompt (the last user message); '' when the request has no user message. */
  prompt: string;
}

export interface CacheTarget {
  /** The provider that would answer (`local`, `workers-ai`, `openai`). */
  provider: string;
  /** `req.model`, or the provider's configured default chat model. */
  model: string;
}

const encoder = new TextEncoder();

export const sha256Hex = async (text: string): Promise<string> => {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
  let hex = '';
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0');
  return hex;
};

const sortedKeys = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(record)
        .filter((key) => record[key] !== undefined)
        .sort()
        .map((key) => [key, sortedKeys(record[key])]),
    );
  }
  return value;
};

/** JSON with object keys sorted at every depth: equal values always give the same text (and hash). */
export const canonicalJson = (value: unknown): string => JSON.stringify(sortedKeys(value)) ?? 'null';

/**
 * A prompt as compared: Unicode NFC (the same text typed on two keyboards) and trimmed. Case and
 * inner whitespace are kept: they can change what is asked (code, names, formatting).
 */
export const normalizePrompt = (text: string): string => text.normalize('NFC').trim();

const lastUserIndex = (messages: readonly ChatMessage[]): number => {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]!.role === 'user') return i;
  return -1;
};

/** The scope, the exact key and the prompt of a chat request. */
export const cacheKeyOf = async (req: ChatRequest, target: CacheTarget): Promise<CacheKey> => {
  const at = lastUserIndex(req.messages);
  const prompt = at === -1 ? '' : normalizePrompt(req.messages[at]!.content);
  const scope = await sha256Hex(
    canonicalJson({
      v: CACHE_KEY_VERSION,
      provider: target.provider,
      model: target.model,
      // The prompt's own place stays in the list (as null), so moving it changes the scope.
      messages: req.messages.map((m, i) => (i === at ? null : { role: m.role, content: m.content })),
      temperature: req.temperature ?? null,
      max_tokens: req.max_tokens ?? null,
      json_schema: req.json_schema ?? null,
    }),
  );
  return { scope, promptHash: await sha256Hex(`${scope}\n${prompt}`), prompt };
};
