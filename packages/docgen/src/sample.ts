import { type Block, DocumentModel, type Section } from './model';

// Sample data for benchmarks (bench/render-case.ts) and the renderers' tests. Deterministic: the
// same arguments give the same model.

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

// ---------------------------------------------------------------------------------------------
// XLSX: one large table

type TableBlock = Extract<Block, { type: 'table' }>;

const CITIES = ['Paris', 'Zürich', '東京', 'São Paulo', 'Kraków', 'Montréal', 'Nairobi', 'Reykjavík', '서울', 'Berlin'];
const NAMES = ['Ada', 'Björn', 'Chloé', 'Dmitri', 'Eun-ji', 'François', 'Grace', 'Hiroshi', 'Inès', 'José'];
const NOTES = ['Repeat customer', 'Paid by card', 'Gift wrap 🎁', 'Ships next week', 'Priority 🚀', 'Invoice sent'];

/**
 * A realistic, deterministic table (ids, names, Unicode cities, amounts, quantities, booleans,
 * dates, sparse notes) for benchmarks and tests: `rows` × `columns` (extra columns are metrics).
 */
export function buildSampleTable(rows: number, columns = 8): TableBlock {
  const base = ['ID', 'Customer', 'City', 'Amount (€)', 'Quantity', 'Paid', 'Order date', 'Note'];
  const names = Array.from({ length: columns }, (_, i) => base[i] ?? `Metric ${i - base.length + 1}`);
  let seed = 42;
  const next = () => {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    return seed / 0x1_0000_0000;
  };
  const data: TableBlock['rows'] = [];
  for (let r = 0; r < rows; r++) {
    const day = 1 + (r % 28);
    const full: TableBlock['rows'][number] = [
      r + 1,
      `${NAMES[r % NAMES.length]} ${String.fromCharCode(65 + (r % 26))}. #${r + 1}`,
      CITIES[(r * 7) % CITIES.length]!,
      Math.round(next() * 1_000_000) / 100,
      1 + Math.floor(next() * 50),
      next() > 0.3,
      `2025-${String(1 + (r % 12)).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
      r % 3 === 0 ? NOTES[r % NOTES.length]! : null,
    ];
    const row = full.slice(0, columns);
    for (let c = full.length; c < columns; c++) row.push(Math.round(next() * 10_000) / 100);
    data.push(row);
  }
  return { type: 'table', caption: 'Orders', sheet_name: 'Orders', columns: names, rows: data };
}

// ---------------------------------------------------------------------------------------------
// PPTX: a deck

/** A 1×1 PNG. */
export const SAMPLE_PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

/**
 * A realistic deck of exactly `slides` slides (title slide included): each section fits one slide;
 * every fifth carries a small table, every seventh an image, all have speaker notes.
 */
export function buildSampleDeck(slides = 50): DocumentModel {
  const sections = Array.from({ length: Math.max(0, slides - 1) }, (_, i) => {
    const n = i + 1;
    const blocks: Block[] = [
      { type: 'paragraph', text: `Topic ${n}: what changed this quarter and why it matters — naïve café 東京 🚀.` },
    ];
    if (n % 5 === 0) {
      blocks.push({
        type: 'table',
        columns: ['Region', 'Revenue', 'Growth', 'On target'],
        rows: Array.from({ length: 5 }, (_, r) => [
          ['EMEA', 'APAC', 'Americas', '日本', 'Zürich'][r]!,
          1000 * (r + n),
          r / 10,
          r % 2 === 0,
        ]),
      });
    } else if (n % 7 === 0) {
      blocks.push({ type: 'bullets', items: ['Chart of the trend', 'Read left to right'], ordered: false });
      blocks.push({ type: 'image', data_base64: SAMPLE_PNG_BASE64, alt: `Chart ${n}`, width: 300 });
    } else {
      blocks.push({
        type: 'bullets',
        items: [
          `Finding ${n}.1 with enough words to wrap once on a wide slide`,
          `Finding ${n}.2`,
          `Finding ${n}.3`,
          `Finding ${n}.4`,
        ],
        ordered: n % 2 === 0,
      });
    }
    return {
      heading: `Section ${n}`,
      level: 1 as const,
      blocks,
      speaker_notes: `Notes for section ${n}: mention the numbers.`,
    };
  });
  return DocumentModel.parse({
    title: 'Quarterly business review',
    subtitle: 'Sample deck',
    metadata: { author: 'FlowSpark', subject: 'Benchmark' },
    sections,
  });
}
