import { describe, expect, it } from 'vitest';
import { COMBINE_GROUP, citationsOf, citedNumbers, planParts, type SummaryChunk, summarizeChunks } from './summarize';

const chunk = (index: number, chars = 1_000, page: number | null = Math.floor(index / 3) + 1): SummaryChunk => ({
  id: `chk_${index}`,
  index,
  text: `Passage ${index + 1} ${'x'.repeat(chars)}`,
  pageNumber: page,
});

describe('summarize', () => {
  it('plans parts of consecutive chunks under the size', () => {
    const parts = planParts(
      Array.from({ length: 30 }, (_, i) => chunk(i)),
      5_000,
    );
    expect(parts.map((p) => p.length)).toEqual([4, 4, 4, 4, 4, 4, 4, 2]);
    expect(parts.flat().map((c) => c.index)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(planParts([chunk(0, 20_000)], 5_000)).toHaveLength(1);
  });

  it('reads the cited numbers in order of first use, within range', () => {
    expect(citedNumbers('A [3] b [1][3] c [2, 9] d [40]', 10)).toEqual([3, 1, 2, 9]);
    const { citations, pagesUsed } = citationsOf(
      'x [5] y [1]',
      Array.from({ length: 6 }, (_, i) => chunk(i, 10)),
    );
    expect(citations.map((c) => [c.source, c.chunk_id, c.page_number])).toEqual([
      [5, 'chk_4', 2],
      [1, 'chk_0', 1],
    ]);
    expect(pagesUsed).toEqual([1, 2]);
  });

  it('map-reduces in groups until one summary remains, counting every call', async () => {
    const chunks = Array.from({ length: 10 * 12 }, (_, i) => chunk(i, 1_180));
    const prompts: string[] = [];
    const progress: [number, number][] = [];
    const result = await summarizeChunks(
      {
        chat: async (req) => {
          prompts.push(req.messages[1]!.content);
          const first = /\[(\d+)\]/.exec(req.messages[0]!.content)?.[1];
          return {
            text: `part [${first}]`,
            model: 'm',
            provider: 'local',
            usage: { prompt_tokens: 2, completion_tokens: 1, total_tokens: 3, estimated: false },
          };
        },
      },
      chunks,
      { length: 'medium', title: 'Doc' },
      async (done, planned) => {
        progress.push([done, planned]);
      },
    );
    // 12 parts, then 2 groups of at most COMBINE_GROUP, then 1.
    expect(COMBINE_GROUP).toBe(8);
    expect(result.passes).toBe(12 + 2 + 1);
    expect(progress.at(-1)).toEqual([15, 15]);
    expect(prompts.at(-1)).toMatch(/^Combine these into one summary\./);
    expect(prompts.filter((p) => p.startsWith('Combine these into one summary of about'))).toHaveLength(2);
    expect(result.usage.total_tokens).toBe(45);
    expect(result.citations.map((c) => c.source)).toEqual([1]);
  });
});
