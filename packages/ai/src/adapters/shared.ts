import { base64ToBytes, MAX_IMAGE_BYTES, readAllBytes, sniffImageType } from '../bytes';
import type { ModelSet } from '../config';
import { AiProviderError } from '../errors';
import type { RetryOptions } from '../retry';
import { estimatedUsage, estimateMessagesTokens, estimateTokens } from '../tokens';
import type { ChatMessage, ProviderName, TokenUsage } from '../types';

/** What every adapter needs besides its transport. */
export interface AdapterOptions {
  models: ModelSet;
  retry: RetryOptions;
}

/**
 * Embedding inputs per upstream call. Workers AI's bge models accept at most 100 texts per request;
 * the OpenAI adapter uses the same size (well below OpenAI's 2,048) so a request stays small.
 */
export const EMBEDDING_BATCH_SIZE = 100;

export const chunked = <T>(items: T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

export const estimateChatUsage = (messages: ChatMessage[], completion: string): TokenUsage =>
  estimatedUsage(estimateMessagesTokens(messages), estimateTokens(completion));

export const estimateEmbeddingUsage = (texts: string[]): TokenUsage =>
  estimatedUsage(
    texts.reduce((sum, t) => sum + estimateTokens(t), 0),
    0,
  );

const isNumberArray = (value: unknown): value is number[] =>
  Array.isArray(value) && value.every((v) => typeof v === 'number');

/** Checks an upstream batch of vectors: one per text, all of the same length. */
export const checkVectors = (provider: ProviderName, vectors: unknown, expected: number): number[][] => {
  if (!Array.isArray(vectors) || vectors.length !== expected || !vectors.every(isNumberArray)) {
    throw new AiProviderError(
      `${provider} embeddings returned ${Array.isArray(vectors) ? vectors.length : 'no'} vectors for ${expected} texts`,
      { provider, retryable: false },
    );
  }
  return vectors;
};

/** Image bytes from what an image model returned: base64 text, raw bytes or a byte stream. */
export const imageBytes = async (provider: ProviderName, raw: unknown): Promise<Uint8Array> => {
  let bytes: Uint8Array | undefined;
  if (raw instanceof ReadableStream) bytes = await readAllBytes(raw as ReadableStream<Uint8Array>, MAX_IMAGE_BYTES);
  else if (raw instanceof Uint8Array) bytes = raw;
  else if (raw instanceof ArrayBuffer) bytes = new Uint8Array(raw);
  else if (typeof raw === 'string') bytes = base64ToBytes(raw);
  else if (raw && typeof raw === 'object' && typeof (raw as { image?: unknown }).image === 'string') {
    bytes = base64ToBytes((raw as { image: string }).image);
  }
  if (!bytes || bytes.length === 0) {
    throw new AiProviderError(`${provider} image generation returned no image`, { provider, retryable: false });
  }
  return bytes;
};

export const imageType = (provider: ProviderName, bytes: Uint8Array): 'image/png' | 'image/jpeg' => {
  const type = sniffImageType(bytes);
  if (!type) {
    throw new AiProviderError(`${provider} image generation returned an image that is neither PNG nor JPEG`, {
      provider,
      retryable: false,
    });
  }
  return type;
};
