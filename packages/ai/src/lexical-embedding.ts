import { conceptKey, conceptsOf } from './concepts';

/**
 * Lexical hashing embeddings for the offline provider: texts that share words get a higher cosine
 * similarity. Not semantic (synonyms do not match), but deterministic, fast and language-neutral:
 * words of any script are tokenised with Unicode classes; Chinese, Japanese and Korean runs (no
 * spaces between words) contribute their characters and character bigrams.
 *
 * The `bridged` variant adds two features that reach past identical words: character trigrams of
 * longer words (so "reimbursed" meets "reimbursement", "Mehrstunden" meets "Überstunden"), and the
 * concepts of a small shipped table (concepts.ts: "car park" meets "garage", "laptop" meets
 * "ordinateur", across the eight languages).
 */
export const LOCAL_EMBEDDING_DIMENSIONS = 384;

export interface LexicalOptions {
  /** Character trigrams and shipped concepts besides the words (default false). */
  bridged?: boolean;
}

/** Words from this length contribute character trigrams in the bridged variant. */
const GRAM_MIN_WORD = 5;

const DENSE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const DENSE_RUNS =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+|[^\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+/gu;

// Very common English words carry little meaning and would make unrelated texts look alike.
const STOPWORDS = new Set(
  (
    'a an and are as at be by for from has have in is it its of on or that the this to was were will with ' +
    'what which who how do does did can you your we our i me my he she they them their not but if so than'
  ).split(' '),
);

const stem = (word: string): string => {
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
};

const trigrams = (word: string): string[] => {
  const chars = Array.from(`<${conceptKey(word)}>`);
  const out: string[] = [];
  for (let i = 0; i + 3 <= chars.length; i++) out.push(`g:${chars.slice(i, i + 3).join('')}`);
  return out;
};

/**
 * The features of a text: stemmed words, plus characters and bigrams of CJK runs; bridged, also
 * trigrams of words (`g:`) and concepts (`k:`).
 */
export const lexicalFeatures = (text: string, options: LexicalOptions = {}): string[] => {
  const features: string[] = [];
  const keys: string[] = [];
  const denseRuns: string[] = [];
  const runs =
    text
      .normalize('NFKC')
      .toLowerCase()
      .match(/[\p{L}\p{N}\p{M}]+/gu) ?? [];
  for (const run of runs) {
    if (!DENSE.test(run)) {
      keys.push(conceptKey(run));
      if (run.length < 2 && !/\p{N}/u.test(run)) continue;
      if (STOPWORDS.has(run)) continue;
      features.push(`w:${stem(run)}`);
      if (options.bridged && run.length >= GRAM_MIN_WORD && !/\p{N}/u.test(run)) features.push(...trigrams(run));
      continue;
    }
    denseRuns.push(run);
    for (const part of run.match(DENSE_RUNS) ?? []) {
      if (!DENSE.test(part)) {
        if (part.length >= 2 && !STOPWORDS.has(part)) features.push(`w:${stem(part)}`);
        continue;
      }
      const chars = Array.from(part);
      for (let i = 0; i < chars.length; i++) {
        features.push(`c:${chars[i]}`);
        if (i + 1 < chars.length) features.push(`b:${chars[i]}${chars[i + 1]}`);
      }
    }
  }
  if (options.bridged) for (const concept of conceptsOf(keys, denseRuns)) features.push(`k:${concept}`);
  return features;
};

const fnv1a = (text: string, seed: number): number => {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Final avalanche so nearby strings spread over all buckets.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
};

/** Weights of the bridged features, relative to a word's 1. */
export const GRAM_WEIGHT = 0.25;
export const CONCEPT_WEIGHT = 1;

const featureWeight = (feature: string): number => {
  // Single characters say less than bigrams and words; one trigram says little on its own.
  if (feature.startsWith('c:')) return 0.5;
  if (feature.startsWith('g:')) return GRAM_WEIGHT;
  if (feature.startsWith('k:')) return CONCEPT_WEIGHT;
  return 1;
};

/** Signed feature hashing into `dimensions` buckets, sublinear term frequency, L2-normalised. */
export const hashEmbedding = (
  text: string,
  dimensions = LOCAL_EMBEDDING_DIMENSIONS,
  options: LexicalOptions = {},
): number[] => {
  const counts = new Map<string, number>();
  for (const feature of lexicalFeatures(text, options)) counts.set(feature, (counts.get(feature) ?? 0) + 1);
  const vector = new Array<number>(dimensions).fill(0);
  for (const [feature, tf] of counts) {
    const index = fnv1a(feature, 0x811c9dc5) % dimensions;
    const sign = fnv1a(feature, 0x5bd1e995) & 1 ? 1 : -1;
    const weight = featureWeight(feature) * (1 + Math.log(tf));
    vector[index] += sign * weight;
  }
  const norm = Math.sqrt(vector.reduce((sum, v) => sum + v * v, 0));
  return norm === 0 ? vector : vector.map((v) => v / norm);
};
