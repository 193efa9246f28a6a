/**
 * Metering of chat calls: a provider whose every chat call reserves its estimate first (from a token
 * wallet, through the `TokenMeter` port) and settles its actual usage after. A reservation that is
 * refused throws before the provider is asked, so nothing not paid for is ever generated; a call that
 * fails releases its reservation; a stream abandoned part-way (a stop, a client that left) settles
 * what it generated, estimated.
 */
import { estimatedUsage, estimateMessagesTokens, estimateTokens } from './tokens';
import type { AiProvider, ChatRequest, ChatStreamEvent, TokenUsage } from './types';

/** Output tokens reserved for a call that sets no `max_tokens`. */
export const DEFAULT_RESERVED_OUTPUT_TOKENS = 4_096;

export interface MeteredCall {
  settle(usage: TokenUsage, model: string | null, latencyMs: number): Promise<void>;
  release(): Promise<void>;
}

export interface TokenMeter {
  /** Holds `estimate` tokens for one call; throws (402 INSUFFICIENT_TOKENS) when they are not available. */
  reserve(estimate: number): Promise<MeteredCall>;
}

/** What a chat request may cost at most: its prompt and the longest answer it allows. */
export const chatEstimate = (req: ChatRequest): number =>
  estimateMessagesTokens(req.messages) + (req.max_tokens ?? DEFAULT_RESERVED_OUTPUT_TOKENS);

export const meteredProvider = (provider: AiProvider, meter: TokenMeter): AiProvider => ({
  name: provider.name,
  embed: (texts, opts) => provider.embed(texts, opts),
  generateImage: (req) => provider.generateImage(req),

  async chat(req) {
    const call = await meter.reserve(chatEstimate(req));
    const started = Date.now();
    let result: Awaited<ReturnType<AiProvider['chat']>>;
    try {
      result = await provider.chat(req);
    } catch (err) {
      await call.release();
      throw err;
    }
    await call.settle(result.usage, result.model, Date.now() - started);
    return result;
  },

  async *chatStream(req): AsyncGenerator<ChatStreamEvent> {
    const call = await meter.reserve(chatEstimate(req));
    const started = Date.now();
    let text = '';
    let ended = false;
    try {
      for await (const event of provider.chatStream(req)) {
        if (event.type === 'delta') text += event.text;
        else {
          ended = true;
          await call.settle(event.usage, event.model, Date.now() - started);
        }
        yield event;
      }
    } catch (err) {
      if (!ended) {
        ended = true;
        // What was generated before the failure was generated: it is charged only if any was.
        if (text) await call.settle(partialUsage(req, text), null, Date.now() - started);
        else await call.release();
      }
      throw err;
    } finally {
      // Left part-way (return() at a yield): what was generated until then, estimated.
      if (!ended) {
        if (text) await call.settle(partialUsage(req, text), null, Date.now() - started);
        else await call.release();
      }
    }
  },
});

const partialUsage = (req: ChatRequest, text: string): TokenUsage =>
  estimatedUsage(estimateMessagesTokens(req.messages), estimateTokens(text));
