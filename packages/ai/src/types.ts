/**
 * The AI provider port (ARCHITECTURE.md "Ports with a local adapter"). Three adapters implement it:
 * `workers-ai` (the AI binding), `openai` (any OpenAI-compatible base URL) and `local` (offline,
 * deterministic). Every result names the model that produced it and its token usage.
 */

export type ProviderName = 'workers-ai' | 'openai' | 'local';

export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** True when the provider reported no counts and they were estimated (~4 characters per token). */
  estimated: boolean;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  messages: ChatMessage[];
  model?: string;
  temperature?: number;
  max_tokens?: number;
  /** A JSON schema the answer must match (JSON mode); the answer's `text` is then the JSON text. */
  json_schema?: Record<string, unknown>;
  signal?: AbortSignal;
}

/**
 * What `structuredOutput` hands to a provider. Internal to this package: callers use ChatRequest.
 * - `json_schema_name`: the schema's name (OpenAI's `response_format.json_schema.name`).
 * - `local_draft`: the caller's deterministic draft for this prompt; only the local provider answers
 *   with it (other providers ignore it).
 */
export interface InternalChatRequest extends ChatRequest {
  json_schema_name?: string;
  local_draft?: unknown;
}

export interface ChatResult {
  text: string;
  model: string;
  provider: string;
  usage: TokenUsage;
}

export type ChatStreamEvent =
  | { type: 'delta'; text: string }
  | { type: 'done'; model: string; provider: string; usage: TokenUsage };

export interface EmbeddingResult {
  vectors: number[][];
  model: string;
  provider: string;
  dimensions: number;
  usage: TokenUsage;
}

export interface ImageRequest {
  prompt: string;
  negative_prompt?: string;
  width: number;
  height: number;
  seed?: number;
  model?: string;
}

export interface ImageResult {
  bytes: Uint8Array;
  contentType: 'image/png' | 'image/jpeg';
  model: string;
  provider: string;
}

export interface AiProvider {
  readonly name: ProviderName;
  chat(req: ChatRequest): Promise<ChatResult>;
  chatStream(req: ChatRequest): AsyncIterable<ChatStreamEvent>;
  embed(texts: string[], opts?: { model?: string }): Promise<EmbeddingResult>;
  generateImage(req: ImageRequest): Promise<ImageResult>;
}

export interface StructuredRequest<T> {
  /** Schema name shown to the model (and sent as OpenAI's json_schema name). */
  name: string;
  system?: string;
  prompt: string;
  model?: string;
  max_tokens?: number;
  /** What an offline provider answers: a deterministic draft for this prompt. Other providers ignore it. */
  draft?: (prompt: string) => T;
}

export interface StructuredResult<T> {
  value: T;
  model: string;
  provider: string;
  /** Summed over every attempt (a repair retry costs tokens too). */
  usage: TokenUsage;
  attempts: number;
}

export interface AiBindings {
  AI?: Ai;
  fetch?: typeof fetch;
}

/** The configuration variables of workers/env.ts, as strings. */
export interface AiVars {
  AI_PROVIDER?: string;
  OPENAI_BASE_URL?: string;
  OPENAI_API_KEY?: string;
  AI_CHAT_MODEL?: string;
  AI_EMBEDDING_MODEL?: string;
  AI_IMAGE_MODEL?: string;
  AI_TIMEOUT_MS?: string;
  AI_MAX_RETRIES?: string;
  /**
   * Local provider only: `hash` (default) or `bridged` offline embeddings (see lexical-embedding.ts),
   * or `model`, the local embedding model's server (see model-embedding.ts).
   */
  AI_EMBEDDINGS?: string;
  /** With AI_EMBEDDINGS=model: the server's base URL (default http://127.0.0.1:8790). */
  AI_EMBEDDINGS_URL?: string;
}
