import type { ChatMessage, TokenUsage } from './types';

// Ideographic and syllabic scripts run about one token per character, not four.
const DENSE_SCRIPT = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/gu;

/** Token estimate when a provider reports none: ~4 characters per token, one per CJK character. */
export const estimateTokens = (text: string): number => {
  if (!text) return 0;
  const dense = text.match(DENSE_SCRIPT)?.length ?? 0;
  const rest = text.length - dense;
  return dense + Math.ceil(rest / 4);
};

/** Chat templates add a few tokens per message. */
export const estimateMessagesTokens = (messages: ChatMessage[]): number =>
  messages.reduce((sum, m) => sum + estimateTokens(m.content) + 4, 0);

export const estimatedUsage = (promptTokens: number, completionTokens: number): TokenUsage => ({
  prompt_tokens: promptTokens,
  completion_tokens: completionTokens,
  total_tokens: promptTokens + completionTokens,
  estimated: true,
});

export const emptyUsage = (): TokenUsage => ({
  prompt_tokens: 0,
  completion_tokens: 0,
  total_tokens: 0,
  estimated: false,
});

const count = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;

/**
 * The provider's usage object (`{prompt_tokens, completion_tokens, total_tokens}`) when it has one,
 * otherwise `fallback()` (an estimate).
 */
export const usageFrom = (raw: unknown, fallback: () => TokenUsage): TokenUsage => {
  if (!raw || typeof raw !== 'object') return fallback();
  const u = raw as Record<string, unknown>;
  const prompt = count(u.prompt_tokens) ?? count(u.input_tokens);
  const completion = count(u.completion_tokens) ?? count(u.output_tokens);
  const total = count(u.total_tokens);
  if (prompt === undefined && completion === undefined && total === undefined) return fallback();
  const p = prompt ?? Math.max(0, (total ?? 0) - (completion ?? 0));
  const c = completion ?? Math.max(0, (total ?? 0) - p);
  return { prompt_tokens: p, completion_tokens: c, total_tokens: total ?? p + c, estimated: false };
};

/** Usage across several calls; estimated if any part was. */
export const addUsage = (a: TokenUsage, b: TokenUsage): TokenUsage => ({
  prompt_tokens: a.prompt_tokens + b.prompt_tokens,
  completion_tokens: a.completion_tokens + b.completion_tokens,
  total_tokens: a.total_tokens + b.total_tokens,
  estimated: a.estimated || b.estimated,
});
