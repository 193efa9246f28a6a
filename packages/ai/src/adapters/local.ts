import { DEFAULT_MODELS, LOCAL_EMBEDDING_MODELS, type LocalEmbeddings } from '../config';
import { AiProviderError, configError } from '../errors';
import { hashEmbedding, LOCAL_EMBEDDING_DIMENSIONS, lexicalFeatures } from '../lexical-embedding';
import { createModelEmbedder, type ModelEmbeddingEndpoint } from '../model-embedding';
import { drawText, Raster, wrapLabel } from '../png';
import { sampleJsonSchema } from '../schema-sample';
import type {
  AiProvider,
  ChatMessage,
  ChatRequest,
  ChatResult,
  ChatStreamEvent,
  EmbeddingResult,
  ImageRequest,
  ImageResult,
  InternalChatRequest,
} from '../types';
import { estimateChatUsage, estimateEmbeddingUsage } from './shared';

const PROVIDER = 'local' as const;
const MODELS = DEFAULT_MODELS.local;
export const LOCAL_MAX_IMAGE_SIDE = 2048;
const MAX_SENTENCES = 3;
const DEFAULT_ANSWER_TOKENS = 512;

const sentences = (text: string): string[] =>
  text
    .split(/(?<=[.!?])\s+|(?<=[。！？])|\n+/u)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

const lastUserIndex = (messages: ChatMessage[]): number => {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i].role === 'user') return i;
  return -1;
};

/**
 * The offline "model": an extractive answer. The sentences of the rest of the conversation (system
 * context, earlier turns) that share the most words with the last user message, up to three, in their
 * original order; without any overlap, the first sentences of the last user message itself. Capped at
 * about `max_tokens` (4 characters per token).
 */
export const extractiveAnswer = (messages: ChatMessage[], maxTokens = DEFAULT_ANSWER_TOKENS): string => {
  const qi = lastUserIndex(messages);
  const question = qi === -1 ? '' : messages[qi].content;
  const wanted = new Set(lexicalFeatures(question));
  const candidates = messages
    .filter((_, i) => i !== qi)
    .flatMap((m) => sentences(m.content))
    .map((text, position) => ({
      text,
      position,
      score: new Set(lexicalFeatures(text).filter((f) => wanted.has(f))).size,
    }));
  const best = candidates
    .filter((c) => c.score > 0)
    .sort((a, b) => b.score - a.score || a.position - b.position)
    .slice(0, MAX_SENTENCES)
    .sort((a, b) => a.position - b.position)
    .map((c) => c.text);
  const chosen = best.length > 0 ? best : sentences(question).slice(0, MAX_SENTENCES);
  const chars = Array.from(chosen.join(' '));
  const limit = Math.max(1, maxTokens) * 4;
  return chars.length > limit ? `${chars.slice(0, limit).join('').trimEnd()}…` : chars.join('');
};

const answerFor = (req: InternalChatRequest): string => {
  if (req.json_schema) {
    // structuredOutput's draft, when the caller gave one; otherwise an instance of the schema whose
    // strings come from the first user message (the prompt; later ones are repair turns).
    if (req.local_draft !== undefined) return JSON.stringify(req.local_draft);
    const prompt = req.messages.find((m) => m.role === 'user')?.content ?? '';
    return JSON.stringify(sampleJsonSchema(req.json_schema, prompt));
  }
  return extractiveAnswer(req.messages, req.max_tokens);
};

const fnv1a = (text: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
};

const hsl = (h: number, s: number, l: number): [number, number, number] => {
  const k = (n: number) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [Math.round(f(0) * 255), Math.round(f(8) * 255), Math.round(f(4) * 255)];
};

/** A deterministic labelled PNG: background hue from the prompt's hash, colour bands, a text label. */
const renderLabelledPng = async (req: ImageRequest): Promise<Uint8Array> => {
  const { width, height } = req;
  const hash = fnv1a(`${req.prompt}\u0000${req.seed ?? ''}`);
  const hue = hash % 360;
  const raster = new Raster(width, height);
  raster.fillRect(0, 0, width, height, hsl(hue, 0.45, 0.62));
  const band = Math.max(1, Math.floor(height / 12));
  for (let i = 0; i < 3; i++) {
    raster.fillRect(0, height - band * (3 - i), width, band, hsl((hue + 40 * (i + 1)) % 360, 0.5, 0.45));
  }
  const label = req.prompt.split(/\s+/).filter(Boolean).slice(0, 12).join(' ').toUpperCase();
  const scale = Math.max(1, Math.min(8, Math.floor(Math.min(width / 120, height / 60))));
  const pad = 3 * scale;
  const lines = wrapLabel(label, Math.floor((width - 4 * pad) / (6 * scale)), 3);
  const longest = Math.max(0, ...lines.map((l) => Array.from(l).length));
  const panelW = longest * 6 * scale + 2 * pad;
  const panelH = lines.length * 9 * scale + 2 * pad;
  if (lines.length > 0 && panelH <= height - 3 * band) {
    const x = Math.floor((width - panelW) / 2);
    const y = Math.floor((height - 3 * band - panelH) / 2);
    raster.fillRect(x, y, panelW, panelH, [245, 245, 240]);
    lines.forEach((line, i) => {
      drawText(raster, line, x + pad, y + pad + i * 9 * scale, scale, [30, 30, 30]);
    });
  }
  return raster.toPng();
};

export interface LocalProviderOptions {
  /**
   * `hash` (default): word hashing; `bridged`: also character trigrams and shipped concepts; `model`:
   * the local embedding model's server at `modelEndpoint`.
   */
  embeddings?: LocalEmbeddings;
  /** Required with `embeddings: 'model'`. */
  modelEndpoint?: ModelEmbeddingEndpoint;
}

/**
 * The `local` adapter: offline and deterministic (same input, same output). Usage is always estimated.
 * Its embeddings are computed in the Worker, except with `model`, which asks the local model's server.
 */
export const createLocalProvider = (options: LocalProviderOptions = {}): AiProvider => {
  const embeddings = options.embeddings ?? 'hash';
  const embeddingModel = LOCAL_EMBEDDING_MODELS[embeddings];
  const lexical = { bridged: embeddings === 'bridged' };
  if (embeddings === 'model' && !options.modelEndpoint) {
    throw configError(PROVIDER, 'AI_EMBEDDINGS is "model" but no embedding model server was given');
  }
  const modelEmbed =
    options.modelEndpoint && embeddings === 'model' ? createModelEmbedder(options.modelEndpoint) : null;
  return {
    name: PROVIDER,

    async chat(req: ChatRequest): Promise<ChatResult> {
      const text = answerFor(req as InternalChatRequest);
      return { text, model: MODELS.chat, provider: PROVIDER, usage: estimateChatUsage(req.messages, text) };
    },

    async *chatStream(req: ChatRequest): AsyncGenerator<ChatStreamEvent> {
      const text = answerFor(req as InternalChatRequest);
      // Word deltas (each with the whitespace before it) that concatenate back to the text.
      let emitted = 0;
      for (const match of text.matchAll(/\s*\S+/g)) {
        emitted += match[0].length;
        yield { type: 'delta', text: match[0] };
      }
      if (emitted < text.length) yield { type: 'delta', text: text.slice(emitted) };
      yield { type: 'done', model: MODELS.chat, provider: PROVIDER, usage: estimateChatUsage(req.messages, text) };
    },

    async embed(texts: string[]): Promise<EmbeddingResult> {
      if (modelEmbed) return modelEmbed(texts);
      return {
        vectors: texts.map((t) => hashEmbedding(t, LOCAL_EMBEDDING_DIMENSIONS, lexical)),
        model: embeddingModel,
        provider: PROVIDER,
        dimensions: LOCAL_EMBEDDING_DIMENSIONS,
        usage: estimateEmbeddingUsage(texts),
      };
    },

    async generateImage(req: ImageRequest): Promise<ImageResult> {
      const valid = (n: number) => Number.isInteger(n) && n >= 1 && n <= LOCAL_MAX_IMAGE_SIDE;
      if (!valid(req.width) || !valid(req.height)) {
        throw new AiProviderError(`Image width and height must be integers from 1 to ${LOCAL_MAX_IMAGE_SIDE}`, {
          provider: PROVIDER,
          retryable: false,
        });
      }
      return { bytes: await renderLabelledPng(req), contentType: 'image/png', model: MODELS.image, provider: PROVIDER };
    },
  };
};
