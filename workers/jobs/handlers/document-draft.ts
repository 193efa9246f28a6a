/**
 * What the generation job asks the AI for: the system instructions, the user prompt, and the
 * deterministic draft the offline (`local`) provider answers with. The draft is built from the same
 * inputs as the prompt (never free-form markup), so offline documents still carry the caller's text.
 */
import type { Block, DocumentModelInput, Format, Section } from '@flowspark/docgen';
import { formatVariableValue } from '@flowspark/docgen';

export interface GenerationPlan {
  kind: 'document' | 'presentation';
  format: Format;
  title: string;
  description: string;
  /** The caller's prompt. */
  prompt: string | null;
  /** The template's prompt_template with its variables filled. */
  templatePrompt: string | null;
  /** The template's body with its variables filled: the outline the AI keeps. */
  outline: DocumentModelInput | null;
  /** Input data after the template's declarations were applied. */
  values: Record<string, unknown>;
  slideCount: number;
  speakerNotes: boolean;
}

// The outline is replayed to the model; keep that part of the prompt bounded.
const MAX_OUTLINE_CHARS = 30_000;
const MAX_ITEM = 300;
const FORMAT_NAMES: Record<Format, string> = {
  pdf: 'PDF',
  docx: 'Word (DOCX)',
  xlsx: 'Excel (XLSX)',
  pptx: 'PowerPoint',
};

const LANGUAGE_RULE =
  "Write in the language of the user's request unless it asks for another one, and set metadata.language " +
  'to that language (a BCP 47 tag such as "en", "fr" or "ja").';
const PLAIN_TEXT_RULE =
  'Every text field holds plain text: no Markdown, HTML or other markup, and no images (leave out image blocks).';

export const systemInstructions = (plan: GenerationPlan): string => {
  if (plan.kind === 'presentation') {
    return [
      'You write clear, well-organised slide decks.',
      `Answer with a deck as a document model: "title" is the deck title, "subtitle" one short line, and "sections" holds exactly ${plan.slideCount} sections, one per slide.`,
      'Each section: "heading" is the slide title (at most 8 words); "blocks" holds one bullets block of 3 to 6 short items (at most 15 words each), or a small table when the content is tabular.',
      plan.speakerNotes
        ? 'Give every section "speaker_notes": 2 to 4 sentences the presenter says on that slide.'
        : 'Do not write speaker_notes.',
      LANGUAGE_RULE,
      PLAIN_TEXT_RULE,
    ].join('\n');
  }
  const target =
    plan.format === 'xlsx'
      ? 'It becomes a spreadsheet: put the data in tables with clear column names (each table becomes a sheet, named by its sheet_name or caption) and keep prose short.'
      : `It becomes a ${FORMAT_NAMES[plan.format]} document: use headings, paragraphs, bullet lists and tables where the content is tabular.`;
  return [
    'You write clear, well-structured business documents.',
    'Answer with a document model: a title, an optional subtitle, and sections that each have a heading and blocks (paragraphs, bullet lists, tables).',
    target,
    LANGUAGE_RULE,
    PLAIN_TEXT_RULE,
  ].join('\n');
};

const filledValues = (values: Record<string, unknown>) =>
  Object.entries(values).filter(([, value]) => value !== null && value !== undefined && value !== '');

export const composePrompt = (plan: GenerationPlan): string => {
  const parts = [`Title: ${plan.title}`];
  if (plan.description) parts.push(`Description: ${plan.description}`);
  if (plan.templatePrompt) parts.push(plan.templatePrompt);
  if (plan.prompt) parts.push(plan.templatePrompt ? `Additional instructions: ${plan.prompt}` : plan.prompt);
  const values = filledValues(plan.values);
  if (values.length > 0) parts.push(`Input data (JSON): ${JSON.stringify(Object.fromEntries(values))}`);
  if (plan.outline) {
    const outline = JSON.stringify(plan.outline);
    parts.push(
      'Keep the structure and the wording of this outline, completing it where it is thin (a document model, JSON):',
      outline.length > MAX_OUTLINE_CHARS ? `${outline.slice(0, MAX_OUTLINE_CHARS)}…` : outline,
    );
  }
  return parts.join('\n\n');
};

const clip = (text: string, max = MAX_ITEM) => (text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text);

/** The prompt cut into sentences (Latin and CJK sentence ends, line breaks). */
export const sentencesOf = (text: string): string[] =>
  text
    .split(/(?<=[.!?。！？])\s+|(?<=[。！？])|\n+/u)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

/** A slide or sheet title from a sentence: its first words, without the final punctuation. */
const headingOf = (sentence: string, words = 8) => {
  const parts = sentence.replace(/[.!?。！？:;,]+$/u, '').split(/\s+/);
  return clip(parts.slice(0, words).join(' ') + (parts.length > words ? '…' : ''), 120);
};

const chunk = <T>(items: T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

const valueRows = (values: Record<string, unknown>) =>
  filledValues(values).map(([key, value]) => [clip(key, 200), clip(formatVariableValue(value), 4_000)]);

const documentDraft = (plan: GenerationPlan, sentences: string[]): DocumentModelInput => {
  const sections: Section[] = [];
  const overview: Block[] = chunk(sentences, 3).map((group) => ({ type: 'paragraph', text: group.join(' ') }));
  if (plan.description) overview.unshift({ type: 'paragraph', text: plan.description });
  sections.push({ heading: 'Overview', level: 1, blocks: overview });
  if (sentences.length > 0) {
    sections.push({
      heading: 'Key points',
      level: 1,
      blocks: [{ type: 'bullets', items: sentences.slice(0, 8).map((s) => clip(s)), ordered: false }],
    });
  }
  const rows = valueRows(plan.values);
  if (plan.format === 'xlsx') {
    const blocks: Block[] = [
      {
        type: 'table',
        caption: 'Key points',
        sheet_name: 'Key points',
        columns: ['#', 'Point'],
        rows: sentences.slice(0, 50).map((s, i) => [i + 1, clip(s, 4_000)]),
      },
    ];
    if (rows.length > 0) {
      blocks.push({
        type: 'table',
        caption: 'Input data',
        sheet_name: 'Input data',
        columns: ['Field', 'Value'],
        rows,
      });
    }
    sections.push({ heading: 'Data', level: 1, blocks });
  } else if (rows.length > 0) {
    sections.push({
      heading: 'Details',
      level: 1,
      blocks: [{ type: 'bullets', items: rows.map(([key, value]) => clip(`${key}: ${value}`)), ordered: false }],
    });
  }
  return { title: plan.title, metadata: {}, sections };
};

const deckDraft = (plan: GenerationPlan, sentences: string[]): DocumentModelInput => {
  const rows = valueRows(plan.values).map(([key, value]) => clip(`${key}: ${value}`, 120));
  const pool = sentences.length > 0 ? sentences : [plan.title];
  const sections: Section[] = [];
  for (let i = 0; i < plan.slideCount; i += 1) {
    const lead = pool[i % pool.length]!;
    const items = [clip(lead, 160)];
    if (i === 0 && rows.length > 0) items.push(...rows.slice(0, 4));
    else {
      const next = pool[(i + 1) % pool.length]!;
      if (next !== lead) items.push(clip(next, 160));
    }
    sections.push({
      heading: i === 0 ? 'Overview' : `${i + 1}. ${headingOf(lead)}`,
      level: 1,
      blocks: [{ type: 'bullets', items, ordered: false }],
      ...(plan.speakerNotes ? { speaker_notes: `Slide ${i + 1} of ${plan.slideCount}: ${clip(lead, 1_000)}` } : {}),
    });
  }
  return { title: plan.title, subtitle: plan.description || undefined, metadata: {}, sections };
};

/**
 * The offline provider's answer: the template's outline when there is one (with the caller's prompt
 * as a closing section), else a document or deck made from the prompt's own sentences and the input
 * data. Deterministic: the same plan gives the same model.
 */
export const draftModel = (plan: GenerationPlan): DocumentModelInput => {
  const sentences = sentencesOf([plan.templatePrompt, plan.prompt].filter(Boolean).join('\n'));
  if (plan.outline) {
    if (!plan.prompt) return plan.outline;
    const notes: Section = {
      heading: 'Notes',
      level: 1,
      blocks: sentencesOf(plan.prompt).map((text) => ({ type: 'paragraph', text })),
    };
    return { ...plan.outline, sections: [...(plan.outline.sections ?? []), notes] };
  }
  return plan.kind === 'presentation' ? deckDraft(plan, sentences) : documentDraft(plan, sentences);
};
