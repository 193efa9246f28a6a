import { describe, expect, it } from 'vitest';
import { type Coverage, clusters, fontsNeeded, normalizeText, resolveRuns } from './fonts';

const set = (text: string) => new Set(Array.from(text, (ch) => ch.codePointAt(0)!));
const LATIN = set(' abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,èéû©\uFFFD');

describe('script runs', () => {
  it('keeps emoji sequences whole and tells CJK from the rest', () => {
    const kinds = (text: string) => clusters(text).map((c) => `${c.kind}:${c.text}`);
    expect(kinds('a你👩‍💻')).toEqual(['base:a', 'cjk:你', 'emoji:👩‍💻']);
    expect(kinds('👍🏽🇫🇷1️⃣❤️')).toEqual(['emoji:👍🏽', 'emoji:🇫🇷', 'emoji:1️⃣', 'emoji:❤️']);
    // Text-style pictographs stay with the text font unless asked for emoji presentation.
    expect(kinds('© ©️')).toEqual(['base:©', 'base: ', 'emoji:©️']);
    expect(kinds('カナ한글，')).toEqual(['cjk:カ', 'cjk:ナ', 'hangul:한', 'hangul:글', 'cjk:，']);
    // Marks and joiners stay with their Arabic or Devanagari letter; the Arabic comma is Arabic.
    expect(kinds('بِ، क्‍ष ｱ')).toEqual([
      'arabic:بِ',
      'arabic:،',
      'base: ',
      'devanagari:क्\u200D',
      'devanagari:ष',
      'base: ',
      'cjk:ｱ',
    ]);
  });

  it('plans fonts: nothing extra for Latin, the CJK font only for CJK or symbols only it has', () => {
    expect(fontsNeeded(['Crème brûlée', 'abc'], LATIN)).toEqual(new Set());
    expect(fontsNeeded(['abc 你好'], LATIN)).toEqual(new Set(['NotoSansSC-Regular']));
    expect(fontsNeeded(['done 🚀'], LATIN)).toEqual(new Set(['NotoEmoji-Regular']));
    expect(fontsNeeded(['a → b'], LATIN)).toEqual(new Set(['NotoEmoji-Regular', 'NotoSansSC-Regular']));
    expect(fontsNeeded(['안녕하세요'], LATIN)).toEqual(new Set(['NotoSansKR-Regular']));
    expect(fontsNeeded(['abc', 'مرحبا بالعالم'], LATIN)).toEqual(new Set(['NotoSansArabic-Regular']));
    // Even with a base font that has the Devanagari letters (NotoSans does).
    expect(fontsNeeded(['नमस्ते'], new Set([...LATIN, ...set('नमस्ते')]))).toEqual(new Set(['NotoSansDevanagari-Regular']));
  });

  it('assigns each run a font that has it and replaces what none has', () => {
    const coverage: Coverage = {
      'NotoSans-Regular': LATIN,
      'NotoSansSC-Regular': set('你好 abc'),
      // Like NotoEmoji: has ZWJ but no skin-tone modifiers.
      'NotoEmoji-Regular': set('👍🚀\u200D\uFE0F'),
    };
    expect(resolveRuns('abc 你好 🚀👍🏽 ภ', coverage, 'NotoSans-Regular')).toEqual([
      { text: 'abc ', font: 'NotoSans-Regular' },
      { text: '你好', font: 'NotoSansSC-Regular' },
      { text: ' ', font: 'NotoSans-Regular' },
      { text: '🚀👍', font: 'NotoEmoji-Regular' },
      { text: ' \uFFFD', font: 'NotoSans-Regular' },
    ]);
    const scripts: Coverage = {
      'NotoSans-Regular': LATIN,
      'NotoSansKR-Regular': set('안녕 '),
      'NotoSansArabic-Regular': set('مرحبا '),
      'NotoSansDevanagari-Regular': set('नमस्ते '),
    };
    expect(resolveRuns('a 안녕 مرحبا नमस्ते', scripts, 'NotoSans-Regular')).toEqual([
      { text: 'a ', font: 'NotoSans-Regular' },
      { text: '안녕', font: 'NotoSansKR-Regular' },
      { text: ' ', font: 'NotoSans-Regular' },
      { text: 'مرحبا', font: 'NotoSansArabic-Regular' },
      { text: ' ', font: 'NotoSans-Regular' },
      { text: 'नमस्ते', font: 'NotoSansDevanagari-Regular' },
    ]);
    // Without U+FFFD in the base font, '?' stands in; invisible selectors are dropped.
    const noFffd = { 'NotoSans-Regular': set('ab') };
    expect(resolveRuns('a\uFE0Fxb', noFffd, 'NotoSans-Regular')).toEqual([{ text: 'a?b', font: 'NotoSans-Regular' }]);
  });

  it('normalizes text before layout', () => {
    expect(normalizeText('e\u0301\r\nx\ty\u0000')).toBe('é\nx    y');
  });
});
