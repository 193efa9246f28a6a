/**
 * Small text helpers of knowledge-base retrieval: the meaningful terms of a question, whether a passage
 * mentions them, a snippet centred on them, and the question's language (for the fixed "nothing
 * found" answer). Matching folds case and diacritics like the keyword index (unicode61,
 * remove_diacritics 2); CJK text is matched by character bigrams, as the index stores it.
 */

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const CJK_RUNS = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+/gu;
const WORD_CHAR = /[\p{L}\p{N}]/u;

// Function words of the languages questions most often come in: they match nearly every passage,
// so a passage that shares only these with a question says nothing about it.
const STOPWORDS = new Set(
  // English
  (
    'a an and are as at be been but by can could did do does for from had has have how i if in into is it its ' +
    'me my no not of on or our so than that the their them then there these they this those to was we were what ' +
    'when where which who whom whose why will with would you your about any all also just more most some such ' +
    'tell please give show explain describe know find list should shall may might must us he she his her him ' +
    // French
    'le la les un une des du de et est sont en dans pour par sur au aux ce ces cette que qui quoi quel quelle ' +
    'quels quelles comment pourquoi où ou je tu il elle nous vous ils elles mon ma mes ton ta tes son sa ses ' +
    'notre votre leur leurs ne pas plus avec sans être avoir fait faire peut dois doit ' +
    // German
    'der die das den dem des ein eine einer eines einem einen und ist sind war wie was wer wo warum welche ' +
    'welcher welches ich du er sie es wir ihr mit für auf aus bei von zu zum zur im am nicht kann muss soll ' +
    // Spanish, Portuguese, Italian
    'el los las es son del al lo como cuál cuáles qué quién dónde cuándo por para con sin una uno se su sus ' +
    'o os as um uma é são do da dos das no na nos nas em com não qual quais onde quando porque você ' +
    'il gli di che è sono come perché dove quando chi non per con della delle degli nel nella'
  ).split(' '),
);

const isCjk = (text: string) => CJK.test(text);

/** Lower case without diacritics, as the keyword index compares text. */
export const foldText = (text: string): string => text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();

/** Plural and verb endings of longer words, so "routers" finds "router" (and the reverse). */
const stem = (word: string): string => (word.length > 4 ? word.replace(/(?:es|s)$/u, '') : word);

/**
 * The meaningful terms of a question: folded words without function words (two characters at least,
 * or a number), and the character bigrams of CJK runs (single characters for one-character runs).
 */
export const meaningfulTerms = (query: string): string[] => {
  const terms = new Set<string>();
  for (const token of foldText(query.normalize('NFKC')).match(/[\p{L}\p{N}]+/gu) ?? []) {
    if (!isCjk(token)) {
      if ((token.length >= 2 || /\p{N}/u.test(token)) && !STOPWORDS.has(token)) terms.add(stem(token));
      continue;
    }
    for (const part of token.split(CJK_RUNS)) {
      if (part.length >= 2 && !STOPWORDS.has(part)) terms.add(stem(part));
    }
    for (const run of token.match(CJK_RUNS) ?? []) {
      const chars = Array.from(run);
      if (chars.length === 1) terms.add(chars[0]!);
      for (let i = 0; i + 1 < chars.length; i++) terms.add(`${chars[i]}${chars[i + 1]}`);
    }
  }
  return [...terms];
};

interface Folded {
  text: string;
  /**
   * For each UTF-16 unit of `text`, the index of the original unit it came from (plus the end); null
   * when that is the unit's own index (text of ASCII characters only).
   */
  map: number[] | null;
}

const NON_ASCII = /[\u0080-\uffff]/;

/**
 * `original` folded (foldText) character by character, with where each folded unit came from. An
 * ASCII character folds to its lower case alone (NFKD and the marks leave it as it is), so ASCII text
 * folds in one call and a mixed text folds only its other characters one by one.
 */
const foldWithMap = (original: string): Folded => {
  if (!NON_ASCII.test(original)) return { text: original.toLowerCase(), map: null };
  const parts: string[] = [];
  const map: number[] = [];
  for (let i = 0; i < original.length; ) {
    const code = original.charCodeAt(i);
    if (code < 0x80) {
      parts.push(code >= 0x41 && code <= 0x5a ? String.fromCharCode(code + 0x20) : original[i]!);
      map.push(i);
      i += 1;
      continue;
    }
    const ch = String.fromCodePoint(original.codePointAt(i)!);
    const folded = foldText(ch);
    for (let k = 0; k < folded.length; k++) map.push(i);
    parts.push(folded);
    i += ch.length;
  }
  map.push(original.length);
  return { text: parts.join(''), map };
};

/** The original index of folded index `at`. */
const originalIndex = (folded: Folded, at: number): number => (folded.map ? folded.map[at]! : at);

export interface TermHit {
  term: string;
  start: number;
  end: number;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Where the terms occur in `text` (original indices): whole words (with a short ending) or CJK bigrams. */
export const findTerms = (text: string, terms: readonly string[]): TermHit[] => {
  if (terms.length === 0 || !text) return [];
  const folded = foldWithMap(text);
  const hits: TermHit[] = [];
  for (const term of terms) {
    if (isCjk(term)) {
      for (let at = folded.text.indexOf(term); at !== -1; at = folded.text.indexOf(term, at + 1)) {
        hits.push({ term, start: originalIndex(folded, at), end: originalIndex(folded, at + term.length) });
      }
      continue;
    }
    const pattern = new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(term)}[\\p{L}\\p{N}]{0,3}(?![\\p{L}\\p{N}])`, 'gu');
    for (const match of folded.text.matchAll(pattern)) {
      const at = match.index ?? 0;
      hits.push({ term, start: originalIndex(folded, at), end: originalIndex(folded, at + match[0].length) });
    }
  }
  return hits.sort((a, b) => a.start - b.start);
};

/** Whether any of the texts mentions one of the terms. */
export const mentionsTerms = (texts: readonly (string | null | undefined)[], terms: readonly string[]): boolean =>
  terms.length > 0 && texts.some((text) => !!text && findTerms(text, terms).length > 0);

const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** A cut that never splits a surrogate pair. */
const safeIndex = (text: string, index: number) =>
  index > 0 && index < text.length && isLowSurrogate(text.charCodeAt(index)) ? index - 1 : index;

/**
 * At most `max` characters of `text` (whitespace collapsed): the window with the most distinct terms,
 * centred on them, cut at word boundaries, with "…" where text was left out. Without any term, the start.
 */
export const makeSnippet = (text: string, terms: readonly string[], max = 300): string => {
  const flat = text.replace(/\s+/gu, ' ').trim();
  if (flat.length <= max) return flat;
  const hits = findTerms(flat, terms);
  let from = 0;
  if (hits.length > 0) {
    const span = max - 2;
    let best = { distinct: 0, total: 0, first: hits[0]!, last: hits[0]! };
    for (let i = 0; i < hits.length; i++) {
      const inWindow = [];
      for (let j = i; j < hits.length && hits[j]!.end - hits[i]!.start <= span; j++) inWindow.push(hits[j]!);
      const distinct = new Set(inWindow.map((h) => h.term)).size;
      if (distinct > best.distinct || (distinct === best.distinct && inWindow.length > best.total)) {
        best = { distinct, total: inWindow.length, first: hits[i]!, last: inWindow[inWindow.length - 1]! };
      }
    }
    const middle = (best.first.start + best.last.end) / 2;
    from = Math.max(0, Math.min(flat.length - span, Math.round(middle - span / 2)));
  }
  const atStart = from === 0;
  const budget = max - (atStart ? 1 : 2);
  let start = from;
  let end = Math.min(flat.length, start + budget);
  if (!atStart) {
    // Begin at the next word when the cut falls inside one (unless that loses much).
    const space = flat.indexOf(' ', start);
    if (space !== -1 && space - start < 25 && WORD_CHAR.test(flat[start - 1] ?? '')) start = space + 1;
  }
  if (end < flat.length) {
    const space = flat.lastIndexOf(' ', end);
    if (space > start && end - space < 25) end = space;
  }
  start = safeIndex(flat, start);
  end = safeIndex(flat, end);
  const body = flat.slice(start, end).trim();
  return `${start > 0 ? '…' : ''}${body}${end < flat.length ? '…' : ''}`;
};

export type AnswerLanguage = 'en' | 'fr' | 'de' | 'es' | 'pt' | 'it' | 'zh' | 'ja' | 'ko' | 'ru' | 'ar';

const MARKERS: Record<'fr' | 'de' | 'es' | 'pt' | 'it', string[]> = {
  fr: [
    'le',
    'la',
    'les',
    'est',
    'quel',
    'quelle',
    'comment',
    'pourquoi',
    'où',
    'des',
    'une',
    'du',
    'que',
    'qui',
    'dans',
    'pour',
    'je',
    'nous',
    'vous',
    'sont',
    'avec',
  ],
  de: [
    'der',
    'die',
    'das',
    'ist',
    'wie',
    'was',
    'wo',
    'warum',
    'welche',
    'und',
    'nicht',
    'ich',
    'wir',
    'ein',
    'eine',
    'für',
    'mit',
    'sind',
    'kann',
  ],
  es: [
    'el',
    'los',
    'las',
    'es',
    'qué',
    'cómo',
    'cuál',
    'dónde',
    'por',
    'para',
    'una',
    'del',
    'puedo',
    'son',
    'con',
    'cuándo',
    'quién',
  ],
  pt: ['os', 'é', 'como', 'qual', 'onde', 'uma', 'não', 'do', 'da', 'você', 'são', 'com', 'posso', 'quando', 'quem'],
  it: [
    'il',
    'gli',
    'è',
    'come',
    'quale',
    'perché',
    'dove',
    'una',
    'della',
    'che',
    'non',
    'sono',
    'posso',
    'quando',
    'chi',
  ],
};

/** The question's language, from its script and, for Latin text, its function words. English by default. */
export const detectLanguage = (text: string): AnswerLanguage => {
  if (/[\p{Script=Hiragana}\p{Script=Katakana}]/u.test(text)) return 'ja';
  if (/\p{Script=Hangul}/u.test(text)) return 'ko';
  if (/\p{Script=Han}/u.test(text)) return 'zh';
  if (/\p{Script=Cyrillic}/u.test(text)) return 'ru';
  if (/\p{Script=Arabic}/u.test(text)) return 'ar';
  const words = text.toLowerCase().match(/[\p{L}]+/gu) ?? [];
  let best: AnswerLanguage = 'en';
  let bestScore = 0;
  let tie = false;
  for (const [language, markers] of Object.entries(MARKERS) as [keyof typeof MARKERS, string[]][]) {
    const set = new Set(markers);
    const score = words.filter((w) => set.has(w)).length;
    if (score > bestScore) {
      best = language;
      bestScore = score;
      tie = false;
    } else if (score === bestScore && score > 0) tie = true;
  }
  return bestScore > 0 && !tie ? best : 'en';
};

/** The answer when the knowledge base holds nothing relevant (no model is asked). */
export const NOTHING_FOUND_ANSWERS: Record<AnswerLanguage, string> = {
  en: "I couldn't find anything about this in your knowledge base.",
  fr: "Je n'ai rien trouvé à ce sujet dans votre base de connaissances.",
  de: 'Ich konnte dazu nichts in Ihrer Wissensdatenbank finden.',
  es: 'No encontré nada sobre esto en tu base de conocimientos.',
  pt: 'Não encontrei nada sobre isso na sua base de conhecimento.',
  it: 'Non ho trovato nulla su questo nella tua base di conoscenza.',
  zh: '我在您的知识库中没有找到与此相关的内容。',
  ja: 'ナレッジベースにはこれに関する情報が見つかりませんでした。',
  ko: '지식 베이스에서 이에 관한 내용을 찾을 수 없습니다.',
  ru: 'Я не нашёл ничего об этом в вашей базе знаний.',
  ar: 'لم أجد أي شيء عن هذا في قاعدة المعرفة الخاصة بك.',
};

export const nothingFoundAnswer = (query: string): string => NOTHING_FOUND_ANSWERS[detectLanguage(query)];

/** The source numbers an answer cites ([1], [2][3], [1, 2]), valid ones only, in order of first mention. */
export const citedSourceNumbers = (answer: string, sourceCount: number): number[] => {
  const seen = new Set<number>();
  for (const match of answer.matchAll(/\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]/g)) {
    for (const part of match[1]!.split(/[,;]/)) {
      const n = Number(part.trim());
      if (n >= 1 && n <= sourceCount) seen.add(n);
    }
  }
  return [...seen];
};
