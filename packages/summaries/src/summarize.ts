/**
 * Summarising a document from its chunks. A document that fits one prompt is summarised in one
 * call; a longer one map-reduce: each part (consecutive chunks up to a size) is summarised on its own,
 * then the part summaries are combined, in groups, until one remains. Every passage is numbered
 * `[n]` (its chunk's position in the document, from 1) and the model is asked to cite the numbers it
 * uses; the final text's numbers become the citations, with their pages.
 */
import { type AiProvider, addUsage, type ChatMessage, type TokenUsage } from '@flowspark/ai';

export type SummaryLength = 'short' | 'medium' | 'long';

export interface SummaryChunk {
  id: string;
  /** The chunk's position in the document (0-based); its source number is index + 1. */
  index: number;
  text: string;
  pageNumber: number | null;
}

export interface SummaryOptions {
  length: SummaryLength;
  focus?: string | null;
  /** A template's prompt with its variables filled in: replaces the default instructions. */
  instructions?: string | null;
  title: string;
}

export interface SummaryCitation {
  source: number;
  chunk_id: string;
  page_number: number | null;
  snippet: string;
}

export interface SummaryResult {
  text: string;
  citations: SummaryCitation[];
  pagesUsed: number[];
  passes: number;
  usage: TokenUsage;
  model: string | null;
}

/** Characters of passages in one prompt. */
export const PART_CHARS = 12_000;
/** Part summaries combined in one call. */
export const COMBINE_GROUP = 8;
/** The longest document summarised (characters of its chunks): about 85 parts. */
export const MAX_SUMMARY_CHARS = 1_000_000;

const WORDS: Record<SummaryLength, number> = { short: 100, medium: 250, long: 600 };
const MAX_TOKENS: Record<SummaryLength, number> = { short: 400, medium: 900, long: 1_800 };

const CITE =
  'Cite the passages you use with their numbers in square brackets, like [3] or [4][7]; keep the numbers ' +
  'of the passages exactly as given. Use only what the text says. Write in the language of the text.';

const instructionsOf = (options: SummaryOptions, words: number) =>
  [
    options.instructions?.trim() || `Summarise the document "${options.title}" in about ${words} words.`,
    options.focus ? `Focus on: ${options.focus}.` : null,
    CITE,
  ]
    .filter(Boolean)
    .join(' ');

/** Consecutive chunks in parts of at most PART_CHARS characters (a longer chunk is a part of its own). */
export const planParts = (chunks: SummaryChunk[], maxChars = PART_CHARS): SummaryChunk[][] => {
  const parts: SummaryChunk[][] = [];
  let current: SummaryChunk[] = [];
  let size = 0;
  for (const chunk of chunks) {
    if (current.length > 0 && size + chunk.text.length > maxChars) {
      parts.push(current);
      current = [];
      size = 0;
    }
    current.push(chunk);
    size += chunk.text.length;
  }
  if (current.length > 0) parts.push(current);
  return parts;
};

const passages = (chunks: SummaryChunk[]) =>
  chunks.map((c) => `[${c.index + 1}]${c.pageNumber !== null ? ` (page ${c.pageNumber})` : ''} ${c.text}`).join('\n\n');

/** One part's prompt: its numbered passages, then what to write. */
export const partMessages = (part: SummaryChunk[], options: SummaryOptions, whole: boolean): ChatMessage[] => [
  { role: 'system', content: `Passages of the document "${options.title}":\n\n${passages(part)}` },
  {
    role: 'user',
    content: whole
      ? instructionsOf(options, WORDS[options.length])
      : `Summarise these passages in about ${Math.max(60, Math.round(WORDS[options.length] / 2))} words, as one part ` +
        `of a longer document.${options.focus ? ` Focus on: ${options.focus}.` : ''} ${CITE}`,
  },
];

/** A combining prompt: part summaries (with their [n] markers), then the final instructions. */
export const combineMessages = (partials: string[], options: SummaryOptions, final: boolean): ChatMessage[] => [
  {
    role: 'system',
    content: `Summaries of consecutive parts of the document "${options.title}":\n\n${partials
      .map((text, i) => `Part ${i + 1}:\n${text}`)
      .join('\n\n')}`,
  },
  {
    role: 'user',
    content: final
      ? `Combine these into one summary. ${instructionsOf(options, WORDS[options.length])}`
      : `Combine these into one summary of about ${WORDS[options.length]} words, keeping the passage numbers. ${CITE}`,
  },
];

/** The passage numbers a text cites (`[3]`, `[4][7]`, `[2, 5]`), in order of first use. */
export const citedNumbers = (text: string, max: number): number[] => {
  const seen = new Set<number>();
  for (const match of text.matchAll(/\[(\d{1,5}(?:\s*[,;]\s*\d{1,5})*)\]/g)) {
    for (const part of match[1]!.split(/[,;]/)) {
      const n = Number(part.trim());
      if (n >= 1 && n <= max) seen.add(n);
    }
  }
  return [...seen];
};

const snippet = (text: string) => {
  const chars = Array.from(text.replace(/\s+/g, ' ').trim());
  return chars.length > 240 ? `${chars.slice(0, 240).join('')}…` : chars.join('');
};

export const citationsOf = (text: string, chunks: SummaryChunk[]) => {
  const byNumber = new Map(chunks.map((c) => [c.index + 1, c]));
  const max = Math.max(0, ...chunks.map((c) => c.index + 1));
  const citations: SummaryCitation[] = citedNumbers(text, max).flatMap((n) => {
    const chunk = byNumber.get(n);
    return chunk
      ? [{ source: n, chunk_id: chunk.id, page_number: chunk.pageNumber, snippet: snippet(chunk.text) }]
      : [];
  });
  const pagesUsed = [...new Set(citations.flatMap((c) => (c.page_number === null ? [] : [c.page_number])))].sort(
    (a, b) => a - b,
  );
  return { citations, pagesUsed };
};

const NO_USAGE: TokenUsage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, estimated: false };

/**
 * Summarises the chunks (in document order). `progress` is told after each call with the calls done
 * and the calls planned. Calls go through `ai` as given (a billed provider pays each).
 */
export const summarizeChunks = async (
  ai: Pick<AiProvider, 'chat'>,
  chunks: SummaryChunk[],
  options: SummaryOptions,
  progress: (done: number, planned: number) => Promise<void> = async () => {},
): Promise<SummaryResult> => {
  const parts = planParts(chunks);
  let planned = parts.length === 1 ? 1 : parts.length;
  for (let level = parts.length; level > 1; level = Math.ceil(level / COMBINE_GROUP)) {
    planned += Math.ceil(level / COMBINE_GROUP);
  }
  let usage = NO_USAGE;
  let model: string | null = null;
  let done = 0;
  const ask = async (messages: ChatMessage[]) => {
    const result = await ai.chat({ messages, max_tokens: MAX_TOKENS[options.length], temperature: 0.2 });
    usage = addUsage(usage, result.usage);
    model = result.model;
    done += 1;
    await progress(done, planned);
    return result.text.trim();
  };
  let texts: string[] = [];
  for (const part of parts) texts.push(await ask(partMessages(part, options, parts.length === 1)));
  while (texts.length > 1) {
    const groups = Array.from({ length: Math.ceil(texts.length / COMBINE_GROUP) }, (_, i) =>
      texts.slice(i * COMBINE_GROUP, (i + 1) * COMBINE_GROUP),
    );
    const final = groups.length === 1;
    const next: string[] = [];
    for (const group of groups) next.push(await ask(combineMessages(group, options, final)));
    texts = next;
  }
  const text = texts[0] ?? '';
  return { text, ...citationsOf(text, chunks), passes: done, usage, model };
};
