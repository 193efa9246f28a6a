import { describe, expect, it } from 'vitest';
import { findTerms, foldText, makeSnippet, meaningfulTerms, mentionsTerms } from './text';

/** findTerms by its definition: every character folded on its own, each folded unit mapped back. */
const byDefinition = (text: string, terms: readonly string[]) => {
  let folded = '';
  const map: number[] = [];
  for (let i = 0; i < text.length; ) {
    const ch = String.fromCodePoint(text.codePointAt(i)!);
    const f = foldText(ch);
    for (let k = 0; k < f.length; k++) map.push(i);
    folded += f;
    i += ch.length;
  }
  map.push(text.length);
  const hits: { term: string; start: number; end: number }[] = [];
  for (const term of terms) {
    if (/\p{Script=Han}|\p{Script=Hiragana}|\p{Script=Katakana}|\p{Script=Hangul}/u.test(term)) {
      for (let at = folded.indexOf(term); at !== -1; at = folded.indexOf(term, at + 1)) {
        hits.push({ term, start: map[at]!, end: map[at + term.length]! });
      }
      continue;
    }
    const escaped = term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    for (const match of folded.matchAll(
      new RegExp(`(?<![\\p{L}\\p{N}])${escaped}[\\p{L}\\p{N}]{0,3}(?![\\p{L}\\p{N}])`, 'gu'),
    )) {
      const at = match.index ?? 0;
      hits.push({ term, start: map[at]!, end: map[at + match[0].length]! });
    }
  }
  return hits.sort((a, b) => a.start - b.start);
};

describe('findTerms', () => {
  it('finds whole words with a short ending, folding case and diacritics, at their original positions', () => {
    // "ROUTING" is another word: it does not start with "router".
    const text = 'The Router reboots. Routers and ROUTING tables; a café, Cafés and CAFE.';
    expect(findTerms(text, meaningfulTerms('router cafe'))).toEqual([
      { term: 'router', start: 4, end: 10 },
      { term: 'router', start: 20, end: 27 },
      { term: 'cafe', start: 50, end: 54 },
      { term: 'cafe', start: 56, end: 61 },
      { term: 'cafe', start: 66, end: 70 },
    ]);
    expect(text.slice(56, 61)).toBe('Cafés');
  });

  it('maps positions back across decomposed marks, ligatures, astral characters and CJK bigrams', () => {
    const texts = [
      'plain ascii text about budget and Budgets, budgeting.',
      'Cre\u0301me bru\u0302le\u0301e and crème brûlée, ﬁne ﬁnance',
      'emoji 😀 before budget 😀😀 after BUDGET',
      '東京オフィスは渋谷駅から徒歩五分です 東京',
      'Straße STRASSE straße İstanbul istanbul',
    ];
    const terms = ['budget', 'creme', 'brulee', 'fine', 'finance', '東京', '渋谷', 'strasse', 'straße', 'istanbul'];
    for (const text of texts) {
      expect(findTerms(text, terms), text).toEqual(byDefinition(text, terms));
    }
    expect(findTerms(texts[1]!, ['creme']).map((h) => texts[1]!.slice(h.start, h.end))).toEqual([
      'Cre\u0301me',
      'crème',
    ]);
    expect(findTerms(texts[2]!, ['budget']).map((h) => texts[2]!.slice(h.start, h.end))).toEqual(['budget', 'BUDGET']);
  });
});

describe('mentionsTerms and makeSnippet', () => {
  it('say whether a text mentions a term and centre a long text on the terms', () => {
    expect(mentionsTerms(['nothing here', null, 'Parking BADGES'], ['badge'])).toBe(true);
    expect(mentionsTerms(['nothing here'], ['badge'])).toBe(false);
    const filler = (word: string) => Array.from({ length: 40 }, (_, i) => `${word}${i}`).join(' ');
    const text = `${filler('alpha')}. The secret ingredient is saffron from Valencia. ${filler('omega')}.`;
    const snippet = makeSnippet(text, meaningfulTerms('secret saffron'), 120);
    expect(snippet.length).toBeLessThanOrEqual(120);
    expect(snippet).toContain('The secret ingredient is saffron from Valencia.');
    expect(snippet.startsWith('…') && snippet.endsWith('…')).toBe(true);
  });
});
