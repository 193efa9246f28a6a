import { estimateEmbeddingUsage } from './adapters/shared';
import { LOCAL_EMBEDDING_MODELS } from './config';
import { AiProviderError, safeMessage } from './errors';
import { parseRetryAfter, type RetryOptions, withRetry } from './retry';
import type { EmbeddingResult } from './types';

/**
 * The local provider's opt-in embedding model (AI_EMBEDDINGS=model): a small sentence encoder that
 * runs offline in a Node process beside `npm run dev` (scripts/embeddings-server.mjs), since its
 * weights (~28 MB) cannot live in a Worker bundle. The provider calls it over HTTP:
 * `POST {AI_EMBEDDINGS_URL}/embed` with `{"texts": [...]}` answers
 * `{"model", "dimensions", "vectors"}`. The model's name and dimensions are fixed here and checked
 * on every answer, so vectors recorded under this name always come from this model.
 */
export const LOCAL_MODEL_EMBEDDING = { model: LOCAL_EMBEDDING_MODELS.model, dimensions: 512 } as const;

/**
 * What one request carries. The server refuses more than 64 texts or texts over 16,384 characters;
 * the adapter stays well inside that, so one request is a few hundred milliseconds of work.
 */
export const MODEL_EMBEDDING_LIMITS = { batchTexts: 32, textChars: 8_192 } as const;

const PROVIDER = 'local' as const;

export interface ModelEmbeddingEndpoint {
  /** The server's base URL, e.g. http://127.0.0.1:8790. */
  url: string;
  fetch: typeof fetch;
  retry: RetryOptions;
}

/** A text cut to the limit (like hosted models, which truncate at their token limit), never mid-pair. */
const bounded = (text: string): string => {
  const max = MODEL_EMBEDDING_LIMITS.textChars;
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
};

const retryableStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500;

const errorText = (body: string): string => {
  try {
    const json = JSON.parse(body) as { error?: unknown };
    if (typeof json.error === 'string') return json.error;
  } catch {
    // not JSON: fall through
  }
  return body;
};

const isVector = (value: unknown, dimensions: number): value is number[] =>
  Array.isArray(value) &&
  value.length === dimensions &&
  value.every((v) => typeof v === 'number' && Number.isFinite(v));

/** Embeds texts through the local embedding model's server, in batches, in order. */
export const createModelEmbedder = (endpoint: ModelEmbeddingEndpoint) => {
  const base = endpoint.url.replace(/\/+$/, '');
  const { model, dimensions } = LOCAL_MODEL_EMBEDDING;
  const failure = (message: string, retryable: boolean, extra: { status?: number; retryAfterMs?: number } = {}) =>
    new AiProviderError(message, {
      provider: PROVIDER,
      retryable,
      providerStatus: extra.status,
      retryAfterMs: extra.retryAfterMs,
    });
  // fetch rejects when nothing listens there (connection refused) or the connection drops: the server
  // may still be starting, so this is worth another try, and the message says how to start it.
  const normalize = (err: unknown): AiProviderError =>
    err instanceof AiProviderError
      ? err
      : new AiProviderError(
          `The local embedding model server at ${base} is not reachable (${safeMessage(err) || 'network error'}): ` +
            'start it with `AI_EMBEDDINGS=model npm run dev` or `node scripts/embeddings-server.mjs`',
          { provider: PROVIDER, retryable: true, cause: err },
        );

  const embedBatch = async (batch: string[], signal: AbortSignal): Promise<number[][]> => {
    const res = await endpoint.fetch(`${base}/embed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ texts: batch }),
      signal,
    });
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      throw failure(
        `The local embedding model server answered ${res.status}: ${safeMessage(errorText(text)) || res.statusText}`,
        retryableStatus(res.status),
        { status: res.status, retryAfterMs: parseRetryAfter(res.headers) },
      );
    }
    let json: { model?: unknown; dimensions?: unknown; vectors?: unknown };
    try {
      json = (await res.json()) as typeof json;
    } catch {
      throw failure('The local embedding model server answered invalid JSON', false);
    }
    if (json.model !== model || json.dimensions !== dimensions) {
      throw failure(
        `The local embedding model server serves ${safeMessage(String(json.model))} with ${safeMessage(String(json.dimensions))} dimensions; expected ${model} with ${dimensions}`,
        false,
      );
    }
    const vectors = json.vectors;
    if (!Array.isArray(vectors) || vectors.length !== batch.length) {
      throw failure(
        `The local embedding model server returned ${Array.isArray(vectors) ? vectors.length : 'no'} vectors for ${batch.length} texts`,
        false,
      );
    }
    const bad = vectors.findIndex((v) => !isVector(v, dimensions));
    if (bad >= 0) {
      throw failure(
        `The local embedding model server returned vector ${bad} without ${dimensions} finite numbers`,
        false,
      );
    }
    return vectors as number[][];
  };

  return async (texts: string[]): Promise<EmbeddingResult> => {
    const inputs = texts.map(bounded);
    const vectors: number[][] = [];
    for (let i = 0; i < inputs.length; i += MODEL_EMBEDDING_LIMITS.batchTexts) {
      const batch = inputs.slice(i, i + MODEL_EMBEDDING_LIMITS.batchTexts);
      vectors.push(
        ...(await withRetry(
          { provider: PROVIDER, operation: 'embeddings' },
          endpoint.retry,
          ({ signal }) => embedBatch(batch, signal),
          normalize,
        )),
      );
    }
    return { vectors, model, provider: PROVIDER, dimensions, usage: estimateEmbeddingUsage(texts) };
  };
};
