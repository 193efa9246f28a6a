// What the package's tests share beyond the project's file makers (test/helpers/files.ts): the
// chunk invariants and a DOCX with every construct the extractor handles.
import { expect } from 'vitest';
import { estimateTokens } from './chunk';
import type { Chunk, Extraction } from './types';

export {
  makeEncryptedPdf,
  makeImageOnlyPdf,
  makePdf,
  makeZip,
  type PdfPageSpec,
  PNG,
  rawPdf,
  utf8,
} from '../../../test/helpers/files';

/** Every chunk is the exact slice its offsets name, within its page's text, in order. */
export const expectChunkInvariants = (extraction: Extraction, chunks: Chunk[], size: number) => {
  chunks.forEach((c, i) => {
    expect(c.index).toBe(i);
    expect(extraction.text.slice(c.start_offset, c.end_offset)).toBe(c.text);
    expect(c.text).toMatch(/^\S/);
    expect(c.text.length).toBeLessThanOrEqual(size);
    expect(c.text).toBe(c.text.trim());
    expect(c.token_count).toBe(estimateTokens(c.text));
    if (i > 0) expect(c.start_offset).toBeGreaterThan(chunks[i - 1]!.start_offset);
    if (c.page_number !== null) {
      const page = extraction.pages.find((p) => p.page_number === c.page_number)!;
      expect(page.text).toContain(c.text);
    }
  });
  // Nothing of the text is lost: every non-space character is inside some chunk.
  const covered = new Uint8Array(extraction.text.length);
  for (const c of chunks) covered.fill(1, c.start_offset, c.end_offset);
  for (let i = 0; i < extraction.text.length; i++) {
    if (!covered[i]) expect(extraction.text[i]).toMatch(/\s/);
  }
};

/**
 * A DOCX made with the `docx` package: Title, Heading 1/2, body paragraphs (one with a line break,
 * a tab and a deleted revision), bullets (two levels), a numbered list and a 3-column table.
 */
export const makeDocx = async (): Promise<Uint8Array> => {
  const d = await import('docx');
  const doc = new d.Document({
    title: 'Quarterly Handbook',
    numbering: {
      config: [
        {
          reference: 'steps',
          levels: [{ level: 0, format: d.LevelFormat.DECIMAL, text: '%1.', alignment: d.AlignmentType.START }],
        },
      ],
    },
    sections: [
      {
        children: [
          new d.Paragraph({ text: 'Employee Handbook', heading: d.HeadingLevel.TITLE }),
          new d.Paragraph({ text: 'Onboarding', heading: d.HeadingLevel.HEADING_1 }),
          new d.Paragraph({
            children: [
              new d.TextRun('Welcome to the '),
              new d.TextRun({ text: 'team', bold: true }),
              new d.TextRun('. Read this first.'),
              new d.DeletedTextRun({
                text: ' REMOVED DRAFT SENTENCE.',
                id: 1,
                author: 'Ed',
                date: '2024-01-01T00:00:00Z',
              }),
              new d.InsertedTextRun({ text: ' Added later.', id: 2, author: 'Ed', date: '2024-01-01T00:00:00Z' }),
            ],
          }),
          new d.Paragraph({
            children: [
              new d.TextRun('Name'),
              new d.TextRun({ children: [new d.Tab(), 'Value'] }),
              new d.TextRun({ text: 'Second line', break: 1 }),
            ],
          }),
          new d.Paragraph({ text: 'Equipment', heading: d.HeadingLevel.HEADING_2 }),
          new d.Paragraph({ text: 'Laptop', bullet: { level: 0 } }),
          new d.Paragraph({ text: 'Charger and bag', bullet: { level: 1 } }),
          new d.Paragraph({ text: 'Badge', bullet: { level: 0 } }),
          new d.Paragraph({ text: 'Sign the contract', numbering: { reference: 'steps', level: 0 } }),
          new d.Paragraph({ text: 'Meet the team', numbering: { reference: 'steps', level: 0 } }),
          new d.Paragraph({ text: 'Schedule', heading: d.HeadingLevel.HEADING_1 }),
          new d.Table({
            rows: [
              ['Day', 'Activity', 'Room'],
              ['Monday', 'Welcome breakfast', 'A1'],
              ['Tuesday', 'Security training', ''],
            ].map(
              (cells) =>
                new d.TableRow({
                  children: cells.map((text) => new d.TableCell({ children: [new d.Paragraph(text)] })),
                }),
            ),
          }),
          new d.Paragraph('Questions go to the HR desk.'),
        ],
      },
    ],
  });
  return new Uint8Array(await d.Packer.toArrayBuffer(doc));
};
