// Real files for the package's tests, made in the tests themselves (pdf-lib, docx) or written out
// byte by byte where no library can make them (an encrypted PDF, a PNG).
import { expect } from 'vitest';
import type { Chunk, Extraction } from './types';

export const utf8 = (text: string) => new TextEncoder().encode(text);

export interface PdfPageSpec {
  heading?: string;
  paragraphs: string[][];
}

/** A PDF with one heading (24 pt) and paragraphs of lines (12 pt) per page, in Helvetica (WinAnsi). */
export const makePdf = async (pages: PdfPageSpec[], title?: string): Promise<Uint8Array> => {
  const { PDFDocument, StandardFonts } = await import('pdf-lib');
  const doc = await PDFDocument.create();
  if (title) doc.setTitle(title);
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const spec of pages) {
    const page = doc.addPage([595, 842]);
    let y = 780;
    if (spec.heading) {
      page.drawText(spec.heading, { x: 50, y, size: 24, font });
      y -= 44;
    }
    for (const paragraph of spec.paragraphs) {
      for (const line of paragraph) {
        page.drawText(line, { x: 50, y, size: 12, font });
        y -= 15;
      }
      y -= 18;
    }
  }
  return doc.save();
};

/** A one-page PDF with a drawn rectangle and no text at all (what a scan without OCR looks like). */
export const makeImageOnlyPdf = async (): Promise<Uint8Array> => {
  const { PDFDocument, rgb } = await import('pdf-lib');
  const doc = await PDFDocument.create();
  doc.addPage([595, 842]).drawRectangle({ x: 50, y: 50, width: 300, height: 200, color: rgb(0.2, 0.4, 0.8) });
  return doc.save();
};

/** A PDF written object by object with a correct cross-reference table. */
export const rawPdf = (objects: string[], trailer: string): Uint8Array => {
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) out += `${String(offset).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R ${trailer} >>\nstartxref\n${xref}\n%%EOF\n`;
  return utf8(out);
};

/**
 * pdf-lib cannot encrypt, so this PDF is written by hand: a standard security handler (RC4, R2)
 * in the trailer whose user-password check fails for the empty password — what a reader sees for
 * a PDF that needs a password to open.
 */
export const makeEncryptedPdf = (): Uint8Array => {
  const stream = 'BT /F1 12 Tf 50 700 Td (Secret text) Tj ET';
  return rawPdf(
    [
      '<< /Type /Catalog /Pages 2 0 R >>',
      '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
      '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
      `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
      '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
      `<< /Filter /Standard /V 1 /R 2 /O <${'ab'.repeat(32)}> /U <${'cd'.repeat(32)}> /P -4 >>`,
    ],
    `/Encrypt 6 0 R /ID [<${'01'.repeat(16)}> <${'01'.repeat(16)}>]`,
  );
};

/** A real 1×1 PNG. */
export const PNG = Uint8Array.from(
  atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='),
  (c) => c.charCodeAt(0),
);

/** Every chunk is the exact slice its offsets name, within its page's text, in order. */
export const expectChunkInvariants = (extraction: Extraction, chunks: Chunk[], size: number) => {
  chunks.forEach((c, i) => {
    expect(c.index).toBe(i);
    expect(extraction.text.slice(c.start_offset, c.end_offset)).toBe(c.text);
    expect(c.text.length).toBeGreaterThan(0);
    expect(c.text.length).toBeLessThanOrEqual(size);
    expect(c.text).toBe(c.text.trim());
    expect(c.token_count).toBeGreaterThan(0);
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

/** Builds a ZIP with the given text entries (JSZip), e.g. a DOCX with a handwritten document.xml. */
export const makeZip = async (entries: Record<string, string>): Promise<Uint8Array> => {
  const JSZip = (await import('jszip')).default;
  const zip = new JSZip();
  for (const [name, content] of Object.entries(entries)) zip.file(name, content);
  return zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' });
};
