import { describe, expect, it } from 'vitest';
import { DocumentModel, MAX_CELL_TEXT, MAX_ROW_CELLS, MAX_TABLE_ROWS, parseDocumentModel } from './model';
import { buildSampleModel, buildSampleTable } from './sample';

const withTable = (rows: unknown, extra: Record<string, unknown> = {}) => ({
  title: 'Orders',
  sections: [
    { heading: 'Intro', blocks: [{ type: 'paragraph', text: 'Before the table.' }] },
    {
      blocks: [
        { type: 'heading', text: 'Data' },
        { type: 'table', columns: ['A', 'B'], rows, ...extra },
      ],
    },
  ],
});

const issues = (result: ReturnType<typeof DocumentModel.safeParse>) =>
  result.success ? [] : result.error.issues.map(({ code, path, message }) => ({ code, path, message }));

describe('parseDocumentModel', () => {
  it('gives what DocumentModel.safeParse gives, defaults included', () => {
    for (const input of [
      buildSampleModel({ pages: 9 }),
      withTable(buildSampleTable(300).rows),
      withTable([['x', 1]], { caption: 'Caption', sheet_name: 'Sheet' }),
      { title: 'Empty', sections: [] },
    ]) {
      const fast = parseDocumentModel(input);
      expect(fast.success).toBe(true);
      expect(fast.data).toEqual(DocumentModel.parse(input));
    }
  });

  it("keeps the input's table rows rather than a copy, and leaves the input as it was", () => {
    const table = buildSampleTable(2_000);
    const input = { title: 'Orders', sections: [{ blocks: [table, { ...table, caption: 'Again' }] }] };
    const parsed = parseDocumentModel(input);
    if (!parsed.success) throw parsed.error;
    const [first, second] = parsed.data.sections[0]!.blocks as (typeof table)[];
    expect(first!.rows).toBe(table.rows);
    expect(second!.rows).toBe(table.rows);
    expect(second!.caption).toBe('Again');
    // The input's own blocks still hold their rows.
    expect(input.sections[0]!.blocks[0]!.rows).toBe(table.rows);
    expect(input.sections[0]!.blocks[1]!.rows).toHaveLength(2_000);
    expect(DocumentModel.parse(input).sections[0]!.blocks[0]).toEqual(first);
  });

  it('reports exactly the issues of DocumentModel.safeParse when rows break a rule', () => {
    const long = 'x'.repeat(MAX_CELL_TEXT + 1);
    const sparse: unknown[] = ['a'];
    sparse[2] = 'c';
    const bad = [
      [['ok', long]],
      [['ok', Number.NaN]],
      [[1, Number.POSITIVE_INFINITY]],
      [['ok', undefined]],
      [sparse],
      [Array.from({ length: MAX_ROW_CELLS + 1 }, () => 1)],
      [{ 0: 'not an array' }],
      ['row as text'],
      'rows as text',
      [['ok', { nested: true }]],
    ];
    for (const rows of bad) {
      const input = withTable(rows);
      const fast = parseDocumentModel(input);
      expect(fast.success).toBe(false);
      expect(issues(fast)).toEqual(issues(DocumentModel.safeParse(input)));
      expect(issues(fast).length).toBeGreaterThan(0);
    }
  });

  it('reports the rest of a model with valid rows as safeParse does', () => {
    const input = withTable([['a', 1]], { columns: [], sheet_name: 'x'.repeat(40) });
    const fast = parseDocumentModel(input);
    expect(fast.success).toBe(false);
    expect(issues(fast)).toEqual(issues(DocumentModel.safeParse(input)));
    expect(issues(fast).map((issue) => issue.path.join('.'))).toEqual([
      'sections.1.blocks.1.sheet_name',
      'sections.1.blocks.1.columns',
    ]);
    expect(issues(parseDocumentModel({ title: '', sections: 'none' }))).toEqual(
      issues(DocumentModel.safeParse({ title: '', sections: 'none' })),
    );
  });

  it('takes the largest table the schema allows and refuses one row more', () => {
    const rows = Array.from({ length: MAX_TABLE_ROWS }, () => [1, 'x']);
    expect(parseDocumentModel(withTable(rows)).success).toBe(true);
    rows.push([2, 'y']);
    const fast = parseDocumentModel(withTable(rows));
    expect(fast.success).toBe(false);
    expect(issues(fast)).toEqual(issues(DocumentModel.safeParse(withTable(rows))));
  });
});
