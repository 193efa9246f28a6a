// FTS5's unicode61 tokenizer splits on spaces and punctuation, which Chinese and Japanese do not
// use between words: a whole CJK run would become one token. Indexing overlapping character
// bigrams instead (東京都 → 東京 京都), and querying the same way, finds words inside runs —
// the approach of Lucene's CJK analyzer. NFKC first, so full-width Latin and half-width katakana
// match their usual forms.

const CJK_CHAR =
  '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}\\u3005\\u3006\\u30FC\\uFF70';
const CJK_RUN = new RegExp(`[${CJK_CHAR}]+`, 'gu');
const CJK_ONLY = new RegExp(`^[${CJK_CHAR}]+$`, 'u');
// What unicode61 keeps in tokens: letters, numbers, marks (diacritics), private use.
const TOKEN = /[\p{L}\p{N}\p{M}\p{Co}]+/gu;

/** Most terms kept from one query (FTS5 evaluates each; a pasted page should not become 5,000). */
export const MAX_QUERY_TERMS = 64;

const bigrams = (run: string): string[] => {
  const chars = Array.from(run);
  if (chars.length < 2) return chars;
  const out: string[] = [];
  for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
  return out;
};

/** Text for the keyword index (FTS5, unicode61): CJK runs as space-separated bigrams, other text as it is. */
export const ftsText = (text: string): string =>
  text
    .normalize('NFKC')
    .replace(CJK_RUN, (run) => ` ${bigrams(run).join(' ')} `)
    .replace(/\s+/g, ' ')
    .trim();

/** The query's terms as indexed: words, and bigrams of CJK runs (a lone CJK character as itself). */
export const queryTerms = (query: string): string[] => {
  const terms: string[] = [];
  const seen = new Set<string>();
  const add = (term: string) => {
    const key = term.toLowerCase();
    if (!seen.has(key) && terms.length < MAX_QUERY_TERMS) {
      seen.add(key);
      terms.push(term);
    }
  };
  for (const [token] of query.normalize('NFKC').matchAll(TOKEN)) {
    // "東京Tower" → 東京 and Tower: split at script changes between CJK and the rest.
    for (const part of token.split(new RegExp(`([${CJK_CHAR}]+)`, 'u'))) {
      if (!part) continue;
      if (CJK_ONLY.test(part)) for (const b of bigrams(part)) add(b);
      else add(part);
    }
  }
  return terms;
};

/**
 * A safe FTS5 MATCH expression for a user's query: every term in double quotes (so operators,
 * column filters and syntax characters are inert), joined by `operator`: AND (every term, the precise
 * query tried first) or OR (any term, the fallback). A single CJK character becomes a prefix term
 * ("京"*), matching the bigrams that start with it. Null when nothing is searchable.
 */
export const ftsQuery = (query: string, operator: 'AND' | 'OR' = 'OR'): string | null =>
  ftsExpression(queryTerms(query), operator);

/** Whether ftsQuery makes a prefix term of this query term (a single CJK character). */
export const isPrefixTerm = (term: string): boolean => Array.from(term).length === 1 && CJK_ONLY.test(term);

/** ftsQuery's MATCH expression for terms as queryTerms makes them; null when there are none. */
export const ftsExpression = (terms: readonly string[], operator: 'AND' | 'OR'): string | null => {
  if (!terms.length) return null;
  return terms
    .map((term) => {
      const quoted = `"${term.replace(/"/g, '""')}"`;
      return isPrefixTerm(term) ? `${quoted}*` : quoted;
    })
    .join(` ${operator} `);
};
