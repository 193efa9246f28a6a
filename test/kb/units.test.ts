import {
  buildKbMessages,
  cleanTags,
  type KbRetrievedHit,
  kbCitations,
  kbMinVectorScore,
  resolveChunking,
  titleFromFilename,
} from '@flowspark/kb';
import {
  citedSourceNumbers,
  detectLanguage,
  makeSnippet,
  meaningfulTerms,
  mentionsTerms,
  nothingFoundAnswer,
} from '@flowspark/rag';
import { describe, expect, it } from 'vitest';

const hit = (n: number, extra: Partial<KbRetrievedHit> = {}): KbRetrievedHit => ({
  document_id: `kbd_${String(n).padStart(32, '0')}`,
  title: `Doc ${n}`,
  chunk_id: `chk_${String(n).padStart(32, '0')}`,
  chunk_index: 0,
  page_number: n,
  heading: null,
  snippet: `snippet ${n}`,
  score: 1 / n,
  text: `Text of source ${n}.`,
  relevant: true,
  ...extra,
});

describe('knowledge-base text helpers', () => {
  it('keeps the meaningful terms of a question, folded, in any script', () => {
    expect(meaningfulTerms('How do I reset the Router?')).toEqual(['reset', 'router']);
    expect(meaningfulTerms('Où sont les congés payés ?')).toEqual(['cong', 'pay']);
    expect(meaningfulTerms('会議室の予約')).toEqual(['会議', '議室', '室の', 'の予', '予約']);
    expect(meaningfulTerms('the of and')).toEqual([]);
    expect(mentionsTerms(['Hold the reset button.'], meaningfulTerms('resetting routers'))).toBe(false);
    expect(mentionsTerms(['Two ROUTERS were reset.'], meaningfulTerms('router reset'))).toBe(true);
    expect(mentionsTerms(['Les congés sont payés en juillet.'], meaningfulTerms('conges'))).toBe(true);
  });

  it('makes snippets of at most 300 characters centred on the terms', () => {
    const text = `${'lorem ipsum '.repeat(60)}the answer is forty-two ${'dolor sit '.repeat(60)}`;
    const snippet = makeSnippet(text, meaningfulTerms('answer forty-two'));
    expect(snippet.length).toBeLessThanOrEqual(300);
    expect(snippet).toContain('the answer is forty-two');
    expect(snippet.startsWith('…') && snippet.endsWith('…')).toBe(true);
    const start = makeSnippet(text, []);
    expect(start.startsWith('lorem ipsum')).toBe(true);
    expect(start.length).toBeLessThanOrEqual(300);
    expect(makeSnippet('  short\n\n text  ', ['x'])).toBe('short text');
    // Never splits a surrogate pair.
    const emoji = makeSnippet('😀'.repeat(400), []);
    expect(emoji.length).toBeLessThanOrEqual(300);
    expect(() => encodeURIComponent(emoji)).not.toThrow();
  });

  it('answers "nothing found" in the question’s language', () => {
    expect(detectLanguage('What is the capital of Mongolia?')).toBe('en');
    expect(detectLanguage('Quelle est la capitale de la Mongolie ?')).toBe('fr');
    expect(detectLanguage('Wie viele Urlaubstage habe ich?')).toBe('de');
    expect(detectLanguage('¿Cuál es la política de vacaciones?')).toBe('es');
    expect(detectLanguage('東京のオフィスはどこですか')).toBe('ja');
    expect(detectLanguage('办公室在哪里')).toBe('zh');
    expect(nothingFoundAnswer('Was ist das?')).toBe('Ich konnte dazu nichts in Ihrer Wissensdatenbank finden.');
  });

  it('builds numbered sources and keeps the citations the answer marks', () => {
    const sources = [hit(1, { heading: 'Intro' }), hit(2), hit(3, { page_number: null })];
    const [system, user] = buildKbMessages('Question?', sources);
    expect(system!.content).toContain('[1] Doc 1, page 1 — Intro\nText of source 1.');
    expect(system!.content).toContain('[3] Doc 3\nText of source 3.');
    expect(user).toEqual({ role: 'user', content: 'Question?' });
    expect(citedSourceNumbers('See [3] and [1, 2]; again [3][9] [0]', 3)).toEqual([3, 1, 2]);
    expect(kbCitations('Only [2].', sources).map((c) => c.source)).toEqual([2]);
    expect(kbCitations('No markers.', sources).map((c) => c.source)).toEqual([1, 2, 3]);
    expect(kbCitations('Only [2].', sources)[0]).toEqual({
      source: 2,
      document_id: sources[1]!.document_id,
      title: 'Doc 2',
      chunk_id: sources[1]!.chunk_id,
      page_number: 2,
      snippet: 'snippet 2',
      score: 0.5,
    });
  });

  it('cleans tags, titles and chunking options', () => {
    expect(cleanTags([' HR ', 'hr', '', 'Benefits'])).toEqual({ tags: ['hr', 'benefits'] });
    expect(cleanTags(Array.from({ length: 21 }, (_, i) => `t${i}`))).toEqual({ error: 'At most 20 tags' });
    expect('error' in cleanTags(['東'.repeat(22)])).toBe(true);
    expect(titleFromFilename('C:\\docs\\Annual report 2026.pdf')).toBe('Annual report 2026');
    expect(titleFromFilename('.pdf')).toBeNull();
    expect(resolveChunking(undefined, null)).toEqual({ chunk_size: 1000, chunk_overlap: 150 });
    expect(resolveChunking({ chunk_size: 200 }, { chunk_size: 1000, chunk_overlap: 150 })).toEqual({
      chunk_size: 200,
      chunk_overlap: 50,
    });
    expect(resolveChunking({}, { chunk_size: 500, chunk_overlap: 10 })).toEqual({ chunk_size: 500, chunk_overlap: 10 });
    expect(kbMinVectorScore('local-hash-384')).toBe(0.5);
    expect(kbMinVectorScore('local-use-lite-512')).toBe(0.5);
    expect(kbMinVectorScore('some-model')).toBe(0.45);
    expect(kbMinVectorScore('local-hash-384', '0.2')).toBe(0.2);
  });
});
