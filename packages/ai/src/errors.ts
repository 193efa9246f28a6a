import { AppError } from '@flowspark/core';

export type AiErrorReason = 'AI_PROVIDER_ERROR' | 'AI_PROVIDER_TIMEOUT' | 'AI_NOT_CONFIGURED';

export interface AiProviderErrorOptions {
  provider: string;
  retryable: boolean;
  /** The provider's HTTP status, when it answered with one. */
  providerStatus?: number;
  reason?: AiErrorReason;
  /** How long the provider asked us to wait (Retry-After), in milliseconds. */
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * A provider failure. `retryable` tells the job runner whether trying again later can help (429, 5xx,
 * timeouts, network) or not (other 4xx, invalid configuration). It is an AppError (503
 * SERVICE_UNAVAILABLE) so an API request that hits it answers with a clear envelope rather than a 500.
 * `status` is the AppError's HTTP status (503); the provider's own status is `providerStatus`.
 * Messages never contain API keys or prompts: build them with `safeMessage`.
 */
export class AiProviderError extends AppError {
  readonly provider: string;
  readonly retryable: boolean;
  readonly providerStatus?: number;
  readonly retryAfterMs?: number;

  constructor(message: string, options: AiProviderErrorOptions) {
    const headers =
      options.retryable && options.retryAfterMs !== undefined
        ? { 'Retry-After': String(Math.max(1, Math.ceil(options.retryAfterMs / 1000))) }
        : undefined;
    super('SERVICE_UNAVAILABLE', message, {
      details: {
        reason: options.reason ?? 'AI_PROVIDER_ERROR',
        provider: options.provider,
        retryable: options.retryable,
        ...(options.providerStatus !== undefined ? { provider_status: options.providerStatus } : {}),
      },
      headers,
      cause: options.cause,
    });
    this.name = 'AiProviderError';
    this.provider = options.provider;
    this.retryable = options.retryable;
    this.providerStatus = options.providerStatus;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export const isAiProviderError = (err: unknown): err is AiProviderError => err instanceof AiProviderError;

const MAX_MESSAGE = 200;
const KEY_PATTERNS = [/Bearer\s+[^\s"',]+/gi, /\bsk-[A-Za-z0-9_-]{6,}/g, /\b(api[_-]?key|token)=\S+/gi];

/**
 * An upstream error text made safe for messages and logs: known secrets and key-looking strings
 * redacted, whitespace collapsed, cut short (upstream errors sometimes echo part of the input).
 */
export const safeMessage = (raw: unknown, secrets: (string | undefined)[] = []): string => {
  let text = raw instanceof Error ? raw.message : typeof raw === 'string' ? raw : '';
  for (const secret of secrets) {
    if (secret && secret.length >= 4) text = text.split(secret).join('[redacted]');
  }
  for (const pattern of KEY_PATTERNS) text = text.replace(pattern, '[redacted]');
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
};

/** A configuration problem: permanent, never retried. */
export const configError = (provider: string, message: string): AiProviderError =>
  new AiProviderError(message, { provider, retryable: false, reason: 'AI_NOT_CONFIGURED' });
