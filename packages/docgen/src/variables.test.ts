import { AppError } from '@flowspark/core';
import { describe, expect, it } from 'vitest';
import { DocumentModel, type DocumentModelInput } from './model';
import {
  checkTemplateInput,
  fileFieldValues,
  fillModelVariables,
  fillTextVariables,
  isIsoDate,
  MAX_INPUT_DATA_BYTES,
  placeholdersIn,
  TemplateVariable,
  TemplateVariables,
} from './variables';

const vars = (list: unknown[]) => TemplateVariables.parse(list);

const failure = (fn: () => unknown): AppError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError');
};

describe('TemplateVariable declarations', () => {
  it('applies required: true by default and accepts every type', () => {
    const parsed = vars([
      { name: 'client', type: 'string' },
      { name: 'amount', type: 'number', required: false, default: 1.5 },
      { name: '_count', type: 'integer', default: 3 },
      { name: 'paid', type: 'boolean', default: false },
      { name: 'due', type: 'date', default: '2026-02-28' },
      { name: 'items', type: 'list', default: ['a'] },
      { name: 'meta', type: 'object', default: { a: 1 }, description: 'Anything' },
    ]);
    expect(parsed[0]).toEqual({ name: 'client', type: 'string', required: true });
    expect(parsed).toHaveLength(7);
  });

  it('rejects bad names, unknown types, unknown keys and defaults of the wrong type', () => {
    for (const bad of [
      { name: '1abc', type: 'string' },
      { name: 'has space', type: 'string' },
      { name: 'a'.repeat(65), type: 'string' },
      { name: 'ok', type: 'text' },
      { name: 'ok', type: 'string', secret: true },
      { name: 'ok', type: 'integer', default: 1.5 },
      { name: 'ok', type: 'date', default: '2026-02-30' },
      { name: 'ok', type: 'string', default: null },
      { name: 'ok', type: 'string', description: 'x'.repeat(501) },
    ]) {
      expect(TemplateVariable.safeParse(bad).success, JSON.stringify(bad).slice(0, 80)).toBe(false);
    }
  });

  it('rejects duplicate names, duplicate fields and more than 100 variables', () => {
    const dup = TemplateVariables.safeParse([
      { name: 'a', type: 'string' },
      { name: 'a', type: 'number' },
    ]);
    expect(dup.success).toBe(false);
    expect(dup.error?.issues[0]).toMatchObject({ path: [1, 'name'], message: 'Duplicate variable name "a"' });
    const dupField = TemplateVariables.safeParse([
      { name: 'a', type: 'string', field: 'First name' },
      { name: 'b', type: 'string', field: 'First name' },
    ]);
    expect(dupField.success).toBe(false);
    const many = Array.from({ length: 101 }, (_, i) => ({ name: `v${i}`, type: 'string' }));
    expect(TemplateVariables.safeParse(many).success).toBe(false);
    expect(TemplateVariables.safeParse(many.slice(0, 100)).success).toBe(true);
  });
});

describe('checkTemplateInput', () => {
  const declared = vars([
    { name: 'client', type: 'string' },
    { name: 'amount', type: 'number' },
    { name: 'count', type: 'integer', required: false },
    { name: 'paid', type: 'boolean', default: false },
    { name: 'due', type: 'date', required: false },
    { name: 'items', type: 'list', required: false },
    { name: 'meta', type: 'object', required: false },
  ]);

  it('returns the input with defaults applied, optional values as null and extra keys kept', () => {
    const values = checkTemplateInput(declared, { client: 'Zoë', amount: 12.5, extra: { tone: 'formal' } });
    expect(values).toEqual({
      client: 'Zoë',
      amount: 12.5,
      count: null,
      paid: false,
      due: null,
      items: null,
      meta: null,
      extra: { tone: 'formal' },
    });
  });

  it('reports every missing and wrong-typed variable, each by name', () => {
    const err = failure(() =>
      checkTemplateInput(declared, {
        amount: '12',
        count: 2.5,
        paid: 'yes',
        due: '31/12/2026',
        items: 'a,b',
        meta: [1],
      }),
    );
    expect(err.code).toBe('VALIDATION_ERROR');
    expect(err.status).toBe(400);
    expect(err.details).toEqual({
      fields: {
        'input_data.client': ['Required variable is missing'],
        'input_data.amount': ['Expected a number'],
        'input_data.count': ['Expected an integer'],
        'input_data.paid': ['Expected a boolean (true or false)'],
        'input_data.due': [expect.stringContaining('ISO-8601')],
        'input_data.items': ['Expected a list (JSON array)'],
        'input_data.meta': ['Expected an object'],
      },
    });
  });

  it('treats null as missing', () => {
    const err = failure(() => checkTemplateInput(declared, { client: null, amount: 1 }));
    expect(err.details).toEqual({ fields: { 'input_data.client': ['Required variable is missing'] } });
  });

  it('accepts ISO-8601 dates and date-times, and only real dates', () => {
    for (const ok of [
      '2026-02-28',
      '2024-02-29',
      '2026-03-01T09:30:00Z',
      '2026-03-01T09:30:00.123+02:00',
      '2026-03-01T09:30',
    ])
      expect(isIsoDate(ok), ok).toBe(true);
    for (const bad of [
      '2026-02-29',
      '2026-13-01',
      '2026-1-1',
      '01/03/2026',
      '2026-03-01T25:00:00Z',
      '2026-03-01 09:30',
      '',
    ])
      expect(isIsoDate(bad), bad).toBe(false);
    expect(checkTemplateInput(declared, { client: 'a', amount: 0, due: '2026-03-01T09:30:00Z' }).due).toBe(
      '2026-03-01T09:30:00Z',
    );
  });

  it('accepts lists and objects of any JSON content', () => {
    const values = checkTemplateInput(declared, {
      client: 'a',
      amount: -3,
      items: [1, 'two', { three: 3 }],
      meta: { nested: { deep: [true] } },
    });
    expect(values.items).toEqual([1, 'two', { three: 3 }]);
    expect(values.meta).toEqual({ nested: { deep: [true] } });
  });

  it('refuses input_data over 64 KB serialized with 413, before checking types', () => {
    const err = failure(() => checkTemplateInput(declared, { blob: 'x'.repeat(MAX_INPUT_DATA_BYTES) }));
    expect(err.code).toBe('PAYLOAD_TOO_LARGE');
    expect(err.status).toBe(413);
    // {"blob":"…"}: 9 + 65,536 + 2 bytes.
    expect(err.details).toEqual({ limit: MAX_INPUT_DATA_BYTES, actual: MAX_INPUT_DATA_BYTES + 11 });
    // Multi-byte characters count as bytes, not characters.
    expect(() => checkTemplateInput([], { s: '😀'.repeat(17_000) })).toThrow(/at most 65536/);
    expect(checkTemplateInput([], { s: 'x'.repeat(60_000) }).s).toHaveLength(60_000);
  });

  it('refuses input that is not JSON-serialisable', () => {
    const err = failure(() => checkTemplateInput([], { n: 10n }));
    expect(err.details).toEqual({ fields: { input_data: ['Must be JSON-serialisable'] } });
  });
});

describe('fillTextVariables', () => {
  it('fills {{name}} and {{ name }}, leaves unknown placeholders, never expands values twice', () => {
    const text = 'Dear {{ client }}, {{client}}! Items: {{items}}. {{unknown}} {{ paid}} {{amount }} {{nothing}}';
    expect(
      fillTextVariables(text, {
        client: '{{amount}} $& 東京',
        items: ['a', 2, { b: 1 }],
        paid: true,
        amount: 3,
        nothing: null,
      }),
    ).toBe('Dear {{amount}} $& 東京, {{amount}} $& 東京! Items: a, 2, {"b":1}. {{unknown}} true 3 ');
  });

  it('leaves text without placeholders untouched', () => {
    expect(fillTextVariables('{ not } {{ 1bad }} {{a b}}', { a: 'x' })).toBe('{ not } {{ 1bad }} {{a b}}');
  });
});

describe('fillModelVariables and placeholdersIn', () => {
  const model: DocumentModelInput = {
    title: 'Invoice for {{client}}',
    subtitle: '{{ due }}',
    metadata: { author: '{{author}}', keywords: ['{{client}}'] },
    sections: [
      {
        heading: 'Hello {{client}} 👋',
        speaker_notes: 'Say {{greeting}}',
        blocks: [
          { type: 'paragraph', text: 'Items: {{items}}' },
          { type: 'heading', text: '{{client}}', level: 2 },
          { type: 'bullets', items: ['{{first}}', 'plain'] },
          {
            type: 'table',
            caption: 'Table for {{client}}',
            sheet_name: '{{sheet}}',
            columns: ['Name', '{{col}}'],
            rows: [
              ['{{client}}', 12, null, true],
              ['x {{ amount }} y', '{{missing}}', 0, false],
            ],
          },
          { type: 'image', data_base64: 'iVBORw0KGgo=', alt: 'Logo of {{client}}' },
          { type: 'page_break' },
        ],
      },
    ],
  };

  it('lists every placeholder name in the model', () => {
    expect([...placeholdersIn(model)].sort()).toEqual(
      ['amount', 'author', 'client', 'col', 'due', 'first', 'greeting', 'items', 'missing', 'sheet'].sort(),
    );
    expect(placeholdersIn({ title: 'none', sections: [] }).size).toBe(0);
  });

  it('fills every string, including nested table cells, with Unicode intact', () => {
    const values = {
      client: 'Zoë 東京 😀',
      due: '2026-03-01',
      author: 'Ana',
      greeting: 'olá',
      items: ['α', 'β', 'γ'],
      first: 'één',
      sheet: 'Données',
      col: 'Montant',
      amount: 42.5,
    };
    const filled = fillModelVariables(model, values);
    expect(filled.title).toBe('Invoice for Zoë 東京 😀');
    expect(filled.subtitle).toBe('2026-03-01');
    expect(filled.metadata).toEqual({ author: 'Ana', keywords: ['Zoë 東京 😀'] });
    const section = filled.sections[0]!;
    expect(section.heading).toBe('Hello Zoë 東京 😀 👋');
    expect(section.speaker_notes).toBe('Say olá');
    expect(section.blocks![0]).toEqual({ type: 'paragraph', text: 'Items: α, β, γ' });
    expect(section.blocks![1]).toEqual({ type: 'heading', text: 'Zoë 東京 😀', level: 2 });
    expect(section.blocks![2]).toEqual({ type: 'bullets', items: ['één', 'plain'] });
    expect(section.blocks![3]).toEqual({
      type: 'table',
      caption: 'Table for Zoë 東京 😀',
      sheet_name: 'Données',
      columns: ['Name', 'Montant'],
      rows: [
        ['Zoë 東京 😀', 12, null, true],
        ['x 42.5 y', '{{missing}}', 0, false],
      ],
    });
    expect(section.blocks![4]).toEqual({ type: 'image', data_base64: 'iVBORw0KGgo=', alt: 'Logo of Zoë 東京 😀' });
    expect(section.blocks![5]).toEqual({ type: 'page_break' });
    // The filled model is still a valid document model, and the template is untouched.
    expect(DocumentModel.safeParse(filled).success).toBe(true);
    expect(model.title).toBe('Invoice for {{client}}');
  });

  it('returns what no placeholder changed as it is, copying only the path to a change', () => {
    const rows = Array.from({ length: 1_000 }, (_, i) => [`row ${i}`, i, i % 2 === 0, null]);
    const table = { type: 'table' as const, caption: 'For {{client}}', columns: ['Name', 'N', 'Even', 'X'], rows };
    const plain = { type: 'paragraph' as const, text: 'No placeholder here' };
    const untouched = { heading: 'Appendix', blocks: [plain] };
    const input: DocumentModelInput = {
      title: 'Report',
      metadata: { author: 'Ana' },
      sections: [{ heading: 'Data', blocks: [table, plain] }, untouched],
    };
    const filled = fillModelVariables(input, { client: 'Zoë' });
    const block = filled.sections[0]!.blocks![0] as typeof table;
    expect(block.caption).toBe('For Zoë');
    // The table's rows, the unchanged blocks and section, and the metadata are the input's own.
    expect(block.rows).toBe(rows);
    expect(block.columns).toBe(table.columns);
    expect(filled.sections[0]!.blocks![1]).toBe(plain);
    expect(filled.sections[1]).toBe(untouched);
    expect(filled.metadata).toBe(input.metadata);
    // The path to the change is new; the input is untouched.
    expect(block).not.toBe(table);
    expect(filled.sections).not.toBe(input.sections);
    expect(table.caption).toBe('For {{client}}');
    // Nothing filled (no value for the placeholder, or no placeholder): the model itself comes back.
    expect(fillModelVariables(input, {})).toBe(input);
    const noPlaceholders: DocumentModelInput = { title: 'Plain', sections: [untouched] };
    expect(fillModelVariables(noPlaceholders, { client: 'Zoë' })).toBe(noPlaceholders);
  });
});

describe('fileFieldValues', () => {
  it('keys declared values by their file field, else their name', () => {
    const declared = vars([
      { name: 'first_name', type: 'string', field: 'First name' },
      { name: 'agree', type: 'boolean' },
      { name: 'unused', type: 'string', required: false },
    ]);
    expect(fileFieldValues(declared, { first_name: 'Ana', agree: true, extra: 1 })).toEqual({
      'First name': 'Ana',
      agree: true,
    });
  });
});
