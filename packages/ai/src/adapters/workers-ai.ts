import { AiProviderError, safeMessage } from '../errors';
import { withRetry } from '../retry';
import { sseData } from '../sse';
import { usageFrom } from '../tokens';
import type {
  AiProvider,
  ChatRequest,
  ChatResult,
  ChatStreamEvent,
  EmbeddingResult,
  ImageRequest,
  ImageResult,
} from '../types';
import {
  type AdapterOptions,
  checkVectors,
  chunked,
  EMBEDDING_BATCH_SIZE,
  estimateChatUsage,
  estimateEmbeddingUsage,
  imageBytes,
  imageType,
} from './shared';

const PROVIDER = 'workers-ai' as const;

/**
 * Text models default to 256 output tokens on Workers AI, which truncates documents; ask for more
 * unless the caller says otherwise.
 */
export const WORKERS_AI_DEFAULT_MAX_TOKENS = 2048;
/** flux-1-schnell rejects longer prompts. */
const FLUX_PROMPT_LIMIT = 2048;

/** The one method of the AI binding used here, typed loosely: model names come from configuration. */
interface AiRunner {
  run(model: string, inputs: Record<string, unknown>, options?: { signal?: AbortSignal }): Promise<unknown>;
}

// Workers AI internal codes for transient conditions: 3040 capacity exceeded, 3043 internal error,
// 3007/3008 upstream timeouts, 3036 account rate limit.
const RETRYABLE_CODES = new Set(['3007', '3008', '3036', '3040', '3043']);
const TRANSIENT_WORDS =
  /capacity|rate.?limit|too many requests|timed? ?out|timeout|temporar|unavailable|overloaded|internal server error|network|connection|reset|try again/i;

/** `AI.run` throws plain errors; their message carries the status or a "3040: ..." style code. */
export const classifyWorkersAiError = (err: unknown): AiProviderError => {
  const message = safeMessage(err);
  const status = Number(message.match(/\b([45]\d\d)\b/)?.[1]) || undefined;
  const code = message.match(/\b(\d{4})\b/)?.[1];
  const retryable =
    (code !== undefined && RETRYABLE_CODES.has(code)) ||
    status === 429 ||
    (status !== undefined && status >= 500) ||
    TRANSIENT_WORDS.test(message);
  return new AiProviderError(`Workers AI request failed: ${message || 'unknown error'}`, {
    provider: PROVIDER,
    retryable,
    providerStatus: status,
    cause: err,
  });
};

const chatInputs = (req: ChatRequest): Record<string, unknown> => {
  const inputs: Record<string, unknown> = {
    messages: req.messages.map((m) => ({ role: m.role, content: m.content })),
    max_tokens: req.max_tokens ?? WORKERS_AI_DEFAULT_MAX_TOKENS,
  };
  if (req.temperature !== undefined) inputs.temperature = req.temperature;
  // JSON mode: the OpenAI-style response_format, with the schema itself under json_schema.
  if (req.json_schema) inputs.response_format = { type: 'json_schema', json_schema: req.json_schema };
  return inputs;
};

/** `{ response: string | object, usage? }`, or the OpenAI-style `choices` some newer models answer. */
const chatOutput = (raw: unknown): { text: string; usage: unknown } => {
  if (typeof raw === 'string') return { text: raw, usage: undefined };
  if (!raw || typeof raw !== 'object') {
    throw new AiProviderError('Workers AI chat returned an unexpected response', {
      provider: PROVIDER,
      retryable: false,
    });
  }
  const out = raw as { response?: unknown; usage?: unknown; choices?: { message?: { content?: unknown } }[] };
  let text = '';
  if (typeof out.response === 'string') text = out.response;
  else if (out.response && typeof out.response === 'object') text = JSON.stringify(out.response);
  else if (typeof out.choices?.[0]?.message?.content === 'string') text = out.choices[0].message.content as string;
  return { text, usage: out.usage };
};

/** Inputs per image model: flux-1-schnell takes only a prompt (and steps); others take size and seed. */
const imageInputs = (model: string, req: ImageRequest): Record<string, unknown> => {
  if (/flux-1-schnell/.test(model)) return { prompt: req.prompt.slice(0, FLUX_PROMPT_LIMIT) };
  const inputs: Record<string, unknown> = { prompt: req.prompt, width: req.width, height: req.height };
  if (req.negative_prompt) inputs.negative_prompt = req.negative_prompt;
  if (req.seed !== undefined) inputs.seed = req.seed;
  return inputs;
};

/** The `workers-ai` adapter over the AI binding (`env.AI.run(model, inputs, options)`). */
export const createWorkersAiProvider = (ai: Ai, options: AdapterOptions): AiProvider => {
  const runner = ai as unknown as AiRunner;
  const { models, retry } = options;

  const run = (operation: string, model: string, inputs: Record<string, unknown>, outer?: AbortSignal) =>
    withRetry(
      { provider: PROVIDER, operation },
      retry,
      ({ signal }) => runner.run(model, inputs, { signal }),
      classifyWorkersAiError,
      outer,
    );

  return {
    name: PROVIDER,

    async chat(req: ChatRequest): Promise<ChatResult> {
      const model = req.model ?? models.chat;
      let raw: unknown;
      try {
        raw = await run('chat', model, chatInputs(req), req.signal);
      } catch (err) {
        // "JSON Mode couldn't be met": the model could not produce the schema. That is an invalid
        // answer (structuredOutput repairs it once), not a provider outage.
        if (req.json_schema && err instanceof AiProviderError && !err.retryable && /json mode/i.test(err.message)) {
          return { text: '', model, provider: PROVIDER, usage: estimateChatUsage(req.messages, '') };
        }
        throw err;
      }
      const { text, usage } = chatOutput(raw);
      return {
        text,
        model,
        provider: PROVIDER,
        usage: usageFrom(usage, () => estimateChatUsage(req.messages, text)),
      };
    },

    async *chatStream(req: ChatRequest): AsyncGenerator<ChatStreamEvent> {
      const model = req.model ?? models.chat;
      const raw = await run('chat stream', model, { ...chatInputs(req), stream: true }, req.signal);
      let text = '';
      let usage: unknown;
      if (raw instanceof ReadableStream) {
        try {
          for await (const data of sseData(raw as ReadableStream<Uint8Array>, {
            idleTimeoutMs: retry.timeoutMs,
            signal: req.signal,
            onTimeout: () =>
              new AiProviderError(`workers-ai chat stream stalled for ${retry.timeoutMs} ms`, {
                provider: PROVIDER,
                retryable: true,
                reason: 'AI_PROVIDER_TIMEOUT',
              }),
          })) {
            if (data === '[DONE]') break;
            let event: {
              response?: unknown;
              usage?: unknown;
              error?: unknown;
              choices?: { delta?: { content?: unknown } }[];
            };
            try {
              event = JSON.parse(data);
            } catch {
              continue;
            }
            if (event.error) throw classifyWorkersAiError(new Error(String(JSON.stringify(event.error))));
            const delta = typeof event.response === 'string' ? event.response : event.choices?.[0]?.delta?.content;
            if (typeof delta === 'string' && delta.length > 0) {
              text += delta;
              yield { type: 'delta', text: delta };
            }
            if (event.usage) usage = event.usage;
          }
        } catch (err) {
          throw err instanceof AiProviderError ? err : classifyWorkersAiError(err);
        }
      } else {
        // A binding that ignored `stream: true` answered in one piece.
        const out = chatOutput(raw);
        text = out.text;
        usage = out.usage;
        if (text) yield { type: 'delta', text };
      }
      yield {
        type: 'done',
        model,
        provider: PROVIDER,
        usage: usageFrom(usage, () => estimateChatUsage(req.messages, text)),
      };
    },

    async embed(texts: string[], opts?: { model?: string }): Promise<EmbeddingResult> {
      const model = opts?.model ?? models.embedding;
      const vectors: number[][] = [];
      for (const batch of chunked(texts, EMBEDDING_BATCH_SIZE)) {
        const raw = (await run('embeddings', model, { text: batch })) as { data?: unknown } | undefined;
        vectors.push(...checkVectors(PROVIDER, raw?.data, batch.length));
      }
      return {
        vectors,
        model,
        provider: PROVIDER,
        dimensions: vectors[0]?.length ?? 0,
        // Embedding models report no token counts.
        usage: estimateEmbeddingUsage(texts),
      };
    },

    async generateImage(req: ImageRequest): Promise<ImageResult> {
      const model = req.model ?? models.image;
      const inputs = imageInputs(model, req);
      // Reading the bytes is part of the attempt, so the timeout covers a slow image stream too.
      const bytes = await withRetry(
        { provider: PROVIDER, operation: 'image generation' },
        retry,
        async ({ signal }) => imageBytes(PROVIDER, await runner.run(model, inputs, { signal })),
        classifyWorkersAiError,
      );
      return { bytes, contentType: imageType(PROVIDER, bytes), model, provider: PROVIDER };
    },
  };
};
