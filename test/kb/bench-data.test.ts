import { describe, expect, it } from 'vitest';
import corpus from '../../bench/kb/corpus.json';
// @ts-expect-error: a plain ES module without types (the benchmark runs it in Node).
import { mrr, recallAt, summarize } from '../../bench/kb/metrics.mjs';
import questions from '../../bench/kb/questions.json';

describe('knowledge-base benchmark set', () => {
  it('labels every question with a document of the corpus', () => {
    const documents = corpus.documents;
    expect(documents.length).toBeGreaterThanOrEqual(30);
    expect(documents.length).toBeLessThanOrEqual(60);
    expect(questions.questions.length).toBeGreaterThanOrEqual(40);
    expect(new Set(documents.map((d) => d.title)).size).toBe(documents.length);
    const byId = new Map(documents.map((d) => [d.id, d]));
    for (const q of questions.questions) {
      expect(byId.get(q.expected_document_id)?.title, q.id).toBe(q.expected_title);
      expect(q.question.length).toBeGreaterThan(5);
    }
    expect(new Set(documents.map((d) => d.language)).size).toBeGreaterThanOrEqual(5);
    expect(JSON.stringify(corpus).length + JSON.stringify(questions).length).toBeLessThan(150_000);
  });

  it('scores recall@k and MRR over unique documents', () => {
    expect(recallAt(2, ['a', 'a', 'b', 'c'], 'b')).toBe(1);
    expect(recallAt(1, ['a', 'b'], 'b')).toBe(0);
    expect(recallAt(5, [{ document_id: 'a' }, { document_id: 'b' }], ['b', 'z'])).toBe(0.5);
    expect(mrr([{ document_id: 'a' }, { document_id: 'a' }, { document_id: 'c' }], 'c')).toBe(0.5);
    expect(mrr([], 'c')).toBe(0);
    expect(
      summarize([
        { results: ['x', 'y'], expected: 'y' },
        { results: ['z'], expected: 'q' },
      ]),
    ).toEqual({ questions: 2, recall_at_5: 0.5, mrr: 0.25 });
  });
});
