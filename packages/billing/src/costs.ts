/**
 * What billable operations reserve before they start. A chat call reserves its prompt and the longest
 * answer it allows (packages/ai's `chatEstimate`); the jobs reserve here, at the request, so that a
 * request the wallet cannot pay for is refused (402) before anything is queued.
 */
import { DEFAULT_RESERVED_OUTPUT_TOKENS, estimateTokens } from '@flowspark/ai';

/** Tokens one generated image costs (a flat price: image models report no tokens). */
export const IMAGE_TOKENS = 1_000;

/** The structured-output instructions and the document schema sent with every generation prompt. */
const GENERATION_OVERHEAD_TOKENS = 2_000;
/** A generation may ask twice (one repair attempt when the first answer does not parse). */
const GENERATION_ATTEMPTS = 2;

/** The most a document or presentation generation may use: every attempt, each with its longest answer. */
export const generationEstimate = (texts: (string | null | undefined)[]): number =>
  GENERATION_ATTEMPTS *
  (GENERATION_OVERHEAD_TOKENS +
    texts.reduce((sum, text) => sum + estimateTokens(text ?? ''), 0) +
    DEFAULT_RESERVED_OUTPUT_TOKENS);
