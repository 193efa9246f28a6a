import type { Block, DocumentModel, Section } from './model';

/**
 * A realistic N-page document for benchmarks and limit tests: a section per page with headings,
 * paragraphs, lists, a table every third page, and mixed scripts (accented Latin, CJK, emoji)
 * unless `latinOnly`. Deterministic: the same options give the same model.
 */
export interface SampleOptions {
  pages: number;
  /** Only Latin text: measures the renderer without the CJK and emoji fonts. */
  latinOnly?: boolean;
}

const WORDS = (
  'the quarterly report shows steady growth across regions while operating costs remained flat ' +
  'customers adopted the new workflow faster than planned and support volume dropped sharply ' +
  'we recommend expanding the pilot to three more teams before the end of the fiscal year ' +
  'risks include supplier delays currency swings and a tight hiring market for engineers'
).split(' ');
const ACCENTED = ['Crème brûlée à Zürich', 'São Paulo', 'Ærøskøbing', 'naïve café', 'Łódź', 'Ελλάδα', 'Москва'];
const CJK = ['你好，世界', '季度报告显示各地区稳定增长', '東京の会議', 'データ分析'];
const EMOJI = ['🚀', '✅', '📈', '👍🏽', '👩‍💻'];

/** A small linear congruential generator: deterministic without a dependency. */
const random = (seed: number) => {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
};

export const buildSampleModel = ({ pages, latinOnly = false }: SampleOptions): DocumentModel => {
  const next = random(pages * 7919 + (latinOnly ? 1 : 0));
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)];
  const sentence = () => {
    const words = Array.from({ length: 10 + Math.floor(next() * 12) }, () => pick(WORDS));
    if (next() < 0.3) words.splice(3, 0, pick(ACCENTED));
    if (!latinOnly && next() < 0.15) words.splice(5, 0, pick(CJK));
    if (!latinOnly && next() < 0.1) words.push(pick(EMOJI));
    const text = words.join(' ');
    return `${text[0].toUpperCase()}${text.slice(1)}.`;
  };
  const paragraph = (sentences: number) => Array.from({ length: sentences }, sentence).join(' ');

  const sections: Section[] = [];
  for (let page = 1; page <= pages; page += 1) {
    const blocks: Block[] = [
      { type: 'paragraph', text: paragraph(6) },
      { type: 'heading', text: `Findings ${page}.1`, level: 2 },
      { type: 'paragraph', text: paragraph(7) },
      { type: 'bullets', items: Array.from({ length: 4 }, () => sentence()), ordered: page % 2 === 0 },
      { type: 'paragraph', text: paragraph(6) },
    ];
    if (page % 3 === 0) {
      blocks.push({
        type: 'table',
        caption: `Table ${page / 3}: regional figures`,
        columns: ['Region', 'Quarter', 'Revenue', 'Growth', 'Notes'],
        rows: Array.from({ length: 12 }, (_, r) => [
          pick(latinOnly ? ACCENTED : [...ACCENTED, ...CJK]),
          `Q${(r % 4) + 1}`,
          Math.round(next() * 1_000_000) / 100,
          `${(next() * 20 - 5).toFixed(1)} %`,
          r % 5 === 0 ? null : sentence().slice(0, 60),
        ]),
      });
    } else {
      blocks.push({ type: 'paragraph', text: paragraph(5) });
    }
    sections.push({ heading: `Section ${page}: ${pick(ACCENTED)}`, level: 1, blocks });
  }
  return {
    title: latinOnly ? 'Quarterly report' : 'Quarterly report — Crème brûlée à Zürich 你好 🚀',
    subtitle: `${pages}-page sample`,
    metadata: { author: 'FlowSpark', subject: 'Sample document', keywords: ['sample', 'benchmark'], language: 'en' },
    sections,
  };
};
