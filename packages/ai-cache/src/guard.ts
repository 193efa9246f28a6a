import { sha256Hex } from './key';

/**
 * Embeddings place "Which plans include SSO?" and "Which plans do not include SSO?", or "revenue in
 * 2023" and "revenue in 2024", next to each other, yet the answers differ. A prompt's guard is the
 * hash of its numbers and negations (sorted): a similar entry is only a hit when its guard is the
 * same, so a changed figure or an added "not" is always a miss. Exact matches need no guard.
 */

const NEGATIONS = new Set(
  // English, then the few most common words of German, French, Spanish, Portuguese and Italian.
  (
    'not no never none nothing nobody nowhere neither nor cannot ' +
    'nicht kein keine keinen keinem keiner nie niemals ' +
    'pas jamais aucun aucune rien ' +
    'nunca nada ninguno ninguna ningún não nem nenhum nenhuma non nessuno mai'
  ).split(' '),
);

/** The numbers and negation words of a text, normalised and sorted. */
export const guardTokens = (text: string): string[] => {
  const tokens: string[] = [];
  const words =
    text
      .normalize('NFKC')
      .toLowerCase()
      .match(/[\p{L}\p{N}\p{M}'’]+/gu) ?? [];
  for (const word of words) {
    if (NEGATIONS.has(word) || /n['’]t$/u.test(word)) tokens.push('not');
    for (const number of word.match(/\p{N}+/gu) ?? []) tokens.push(`#${number}`);
  }
  // Digit groups split by separators ("1,000", "3.5") are compared as they were written.
  for (const number of text.normalize('NFKC').match(/\p{N}+(?:[.,]\p{N}+)+/gu) ?? []) tokens.push(`#${number}`);
  return tokens.sort();
};

/** The guard of a prompt: a hash, so the object never holds the prompt's figures. */
export const promptGuard = (prompt: string): Promise<string> => sha256Hex(guardTokens(prompt).join(' '));
