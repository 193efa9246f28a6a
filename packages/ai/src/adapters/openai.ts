import { AiProviderError, safeMessage } from '../errors';
import { parseRetryAfter, withRetry } from '../retry';
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
  InternalChatRequest,
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

const PROVIDER = 'openai' as const;

export interface OpenAiEndpoint {
  /** e.g. https://api.openai.com/v1, http://localhost:11434/v1 (Ollama), a vLLM server's /v1. */
  baseUrl: string;
  /** Sent as a Bearer token when set (Ollama needs none). */
  apiKey?: string;
}

const retryableStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500;

/** The message of an OpenAI-style error body (`{error: {message}}`, `{error: "..."}`, `{message}`). */
const errorText = (body: string): string => {
  try {
    const json = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
    if (typeof json.error === 'string') return json.error;
    if (typeof json.error?.message === 'string') return json.error.message;
    if (typeof json.message === 'string') return json.message;
  } catch {
    // not JSON: fall through
  }
  return body;
};

/** OpenAI's json_schema.name allows [a-zA-Z0-9_-]{1,64}. */
const schemaName = (name: string | undefined): string =>
  (name ?? 'response').replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64) || 'response';

/** OpenAI image models accept a few sizes only: the one closest in aspect ratio. Others get WxH. */
const imageSize = (model: string, width: number, height: number): string => {
  const pick = (sizes: [number, number][]) => {
    const ratio = width / height;
    const best = sizes.reduce((a, b) => (Math.abs(b[0] / b[1] - ratio) < Math.abs(a[0] / a[1] - ratio) ? b : a));
    return `${best[0]}x${best[1]}`;
  };
  if (/^gpt-image/.test(model))
    return pick([
      [1024, 1024],
      [1536, 1024],
      [1024, 1536],
    ]);
  if (model === 'dall-e-3')
    return pick([
      [1024, 1024],
      [1792, 1024],
      [1024, 1792],
    ]);
  if (model === 'dall-e-2') {
    const side = Math.max(width, height);
    return side <= 256 ? '256x256' : side <= 512 ? '512x512' : '1024x1024';
  }
  return `${width}x${height}`;
};

/** The `openai` adapter: any OpenAI-compatible HTTP API (OpenAI, Ollama's /v1, vLLM). */
export const createOpenAiProvider = (
  endpoint: OpenAiEndpoint,
  fetchFn: typeof fetch,
  options: AdapterOptions,
): AiProvider => {
  const { models, retry } = options;
  const base = endpoint.baseUrl.replace(/\/+$/, '');
  const secrets = [endpoint.apiKey];

  const headers = (accept: string): Record<string, string> => ({
    'content-type': 'application/json',
    accept,
    ...(endpoint.apiKey ? { authorization: `Bearer ${endpoint.apiKey}` } : {}),
  });

  const failure = (
    message: string,
    retryable: boolean,
    extra: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) =>
    new AiProviderError(message, {
      provider: PROVIDER,
      retryable,
      providerStatus: extra.status,
      retryAfterMs: extra.retryAfterMs,
      cause: extra.cause,
    });

  const normalize = (err: unknown): AiProviderError =>
    err instanceof AiProviderError
      ? err
      : // fetch rejects on network failures (DNS, reset, refused): worth another try.
        failure(`OpenAI-compatible request failed: ${safeMessage(err, secrets) || 'network error'}`, true, {
          cause: err,
        });

  const post = async (path: string, body: unknown, signal: AbortSignal, accept = 'application/json') => {
    const res = await fetchFn(`${base}${path}`, {
      method: 'POST',
      headers: headers(accept),
      body: JSON.stringify(body),
      signal,
    });
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      throw failure(
        `OpenAI-compatible API answered ${res.status} on ${path}: ${safeMessage(errorText(text), secrets) || res.statusText}`,
        retryableStatus(res.status),
        { status: res.status, retryAfterMs: parseRetryAfter(res.headers) },
      );
    }
    return res;
  };

  const readJson = async <T>(res: Response, path: string): Promise<T> => {
    try {
      return (await res.json()) as T;
    } catch (err) {
      throw failure(`OpenAI-compatible API answered invalid JSON on ${path}`, false, { cause: err });
    }
  };

  const chatBody = (req: InternalChatRequest, model: string): Record<string, unknown> => {
    const body: Record<string, unknown> = {
      model,
      messages: req.messages.map((m) => ({ role: m.role, content: m.content })),
    };
    if (req.temperature !== undefined) body.temperature = req.temperature;
    if (req.max_tokens !== undefined) body.max_tokens = req.max_tokens;
    if (req.json_schema) {
      body.response_format = {
        type: 'json_schema',
        json_schema: { name: schemaName(req.json_schema_name), schema: req.json_schema },
      };
    }
    return body;
  };

  return {
    name: PROVIDER,

    async chat(req: ChatRequest): Promise<ChatResult> {
      const requested = req.model ?? models.chat;
      type Completion = { model?: string; usage?: unknown; choices?: { message?: { content?: unknown } }[] };
      const json = await withRetry(
        { provider: PROVIDER, operation: 'chat' },
        retry,
        async ({ signal }) =>
          readJson<Completion>(await post('/chat/completions', chatBody(req, requested), signal), '/chat/completions'),
        normalize,
        req.signal,
      );
      const content = json.choices?.[0]?.message?.content;
      const text = typeof content === 'string' ? content : '';
      return {
        text,
        model: typeof json.model === 'string' && json.model ? json.model : requested,
        provider: PROVIDER,
        usage: usageFrom(json.usage, () => estimateChatUsage(req.messages, text)),
      };
    },

    async *chatStream(req: ChatRequest): AsyncGenerator<ChatStreamEvent> {
      const requested = req.model ?? models.chat;
      const body = { ...chatBody(req, requested), stream: true, stream_options: { include_usage: true } };
      const res = await withRetry(
        { provider: PROVIDER, operation: 'chat stream' },
        retry,
        ({ signal }) => post('/chat/completions', body, signal, 'text/event-stream'),
        normalize,
        req.signal,
      );
      if (!res.body) throw failure('OpenAI-compatible API answered an empty stream', true);
      let text = '';
      let model = requested;
      let usage: unknown;
      try {
        for await (const data of sseData(res.body, {
          idleTimeoutMs: retry.timeoutMs,
          signal: req.signal,
          onTimeout: () => failure(`openai chat stream stalled for ${retry.timeoutMs} ms`, true),
        })) {
          if (data === '[DONE]') break;
          let chunk: {
            model?: unknown;
            usage?: unknown;
            error?: unknown;
            choices?: { delta?: { content?: unknown } }[];
          };
          try {
            chunk = JSON.parse(data);
          } catch {
            continue;
          }
          if (chunk.error)
            throw failure(`OpenAI-compatible stream failed: ${safeMessage(errorText(data), secrets)}`, true);
          if (typeof chunk.model === 'string' && chunk.model) model = chunk.model;
          const delta = chunk.choices?.[0]?.delta?.content;
          if (typeof delta === 'string' && delta.length > 0) {
            text += delta;
            yield { type: 'delta', text: delta };
          }
          if (chunk.usage) usage = chunk.usage;
        }
      } catch (err) {
        throw normalize(err);
      }
      yield {
        type: 'done',
        model,
        provider: PROVIDER,
        usage: usageFrom(usage, () => estimateChatUsage(req.messages, text)),
      };
    },

    async embed(texts: string[], opts?: { model?: string }): Promise<EmbeddingResult> {
      const requested = opts?.model ?? models.embedding;
      type Embeddings = { model?: string; usage?: unknown; data?: { index?: number; embedding?: unknown }[] };
      const vectors: number[][] = [];
      let model = requested;
      let promptTokens = 0;
      let estimated = false;
      for (const batch of chunked(texts, EMBEDDING_BATCH_SIZE)) {
        const json = await withRetry(
          { provider: PROVIDER, operation: 'embeddings' },
          retry,
          async ({ signal }) =>
            readJson<Embeddings>(
              await post('/embeddings', { model: requested, input: batch, encoding_format: 'float' }, signal),
              '/embeddings',
            ),
          normalize,
        );
        const items = Array.isArray(json.data) ? [...json.data] : [];
        items.sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
        vectors.push(
          ...checkVectors(
            PROVIDER,
            items.map((d) => d.embedding),
            batch.length,
          ),
        );
        if (typeof json.model === 'string' && json.model) model = json.model;
        // A batch without counts is estimated, and then so is the total.
        const reported = usageFrom(json.usage, () => estimateEmbeddingUsage(batch));
        promptTokens += reported.prompt_tokens;
        estimated ||= reported.estimated;
      }
      return {
        vectors,
        model,
        provider: PROVIDER,
        dimensions: vectors[0]?.length ?? 0,
        usage: { prompt_tokens: promptTokens, completion_tokens: 0, total_tokens: promptTokens, estimated },
      };
    },

    async generateImage(req: ImageRequest): Promise<ImageResult> {
      const model = req.model ?? models.image;
      const body: Record<string, unknown> = {
        model,
        prompt: req.prompt,
        n: 1,
        size: imageSize(model, req.width, req.height),
      };
      // gpt-image models always answer base64 and reject the parameter; older ones need it.
      if (!/^gpt-image/.test(model)) body.response_format = 'b64_json';
      type Images = { data?: { b64_json?: unknown; url?: unknown }[] };
      const bytes = await withRetry(
        { provider: PROVIDER, operation: 'image generation' },
        retry,
        async ({ signal }) => {
          const json = await readJson<Images>(await post('/images/generations', body, signal), '/images/generations');
          const first = json.data?.[0];
          if (typeof first?.b64_json === 'string') return imageBytes(PROVIDER, first.b64_json);
          if (typeof first?.url === 'string') {
            const res = await fetchFn(first.url, { signal });
            if (!res.ok) throw failure(`Image download answered ${res.status}`, retryableStatus(res.status));
            return imageBytes(PROVIDER, res.body ?? new Uint8Array(0));
          }
          throw failure('OpenAI-compatible image generation returned no image', false);
        },
        normalize,
      );
      return { bytes, contentType: imageType(PROVIDER, bytes), model, provider: PROVIDER };
    },
  };
};
