// Files that tests make themselves: with the libraries (pdf-lib, JSZip) or written out byte by byte
// where no library makes them (an encrypted PDF, a PNG, a JPEG header). Nothing here needs the
// Workers runtime, so package tests that run in Node use these too.

export const utf8 = (text: string) => new TextEncoder().encode(text);

/** A File for a multipart upload. */
export const fileOf = (bytes: Uint8Array | string, name: string, type = 'application/octet-stream') =>
  new File([typeof bytes === 'string' ? utf8(bytes) : bytes], name, { type });

export interface PdfPageSpec {
  heading?: string;
  /** Lines of text, one after another. */
  lines?: string[];
  /** Paragraphs of lines, with a gap after each paragraph. */
  paragraphs?: string[][];
}

/** A PDF with a heading (24 pt) and text (12 pt) per page, in Helvetica (WinAnsi). */
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
    const gap = spec.paragraphs ? 18 : 0;
    for (const paragraph of spec.paragraphs ?? [spec.lines ?? []]) {
      for (const line of paragraph) {
        page.drawText(line, { x: 50, y, size: 12, font });
        y -= 15;
      }
      y -= gap;
    }
  }
  return doc.save();
};

/** One page with a drawn rectangle and no text at all: what a scan without OCR looks like. */
export const makeImageOnlyPdf = async (): Promise<Uint8Array> => {
  const { PDFDocument, rgb } = await import('pdf-lib');
  const doc = await PDFDocument.create();
  doc.addPage([595, 842]).drawRectangle({ x: 50, y: 50, width: 300, height: 200, color: rgb(0.2, 0.4, 0.8) });
  return doc.save();
};

/** A PDF written object by object, with a correct cross-reference table. */
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
 * pdf-lib cannot encrypt, so this PDF is written by hand: a standard security handler (RC4, R2) in
 * the trailer whose user-password check fails for the empty password — what a reader sees for a PDF
 * that needs a password to open.
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

/** A minimal JPEG header (SOI, APP0, SOF0 with the given size, EOI): enough for content sniffing. */
export const tinyJpeg = (width: number, height: number) =>
  new Uint8Array([
    ...[0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01],
    ...[0x00, 0x00, 0xff, 0xc0, 0x00, 0x11, 0x08, height >> 8, height & 0xff, width >> 8, width & 0xff],
    ...[0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xff, 0xd9],
  ]);

/** A ZIP with the given text entries (JSZip), e.g. a DOCX with a handwritten document.xml. */
export const makeZip = async (
  entries: Record<string, string>,
  options: { compression?: 'DEFLATE' | 'STORE' } = {},
): Promise<Uint8Array> => {
  const JSZip = (await import('jszip')).default;
  const zip = new JSZip();
  for (const [name, content] of Object.entries(entries)) zip.file(name, content);
  return zip.generateAsync({ type: 'uint8array', compression: options.compression ?? 'DEFLATE' });
};

/** A ZIP's entry names and a reader of its text entries ('' for a missing one). */
export const openZip = async (bytes: Uint8Array) => {
  const JSZip = (await import('jszip')).default;
  const zip = await JSZip.loadAsync(bytes);
  const names = Object.keys(zip.files);
  const read = async (name: string): Promise<string> => zip.file(name)?.async('string') ?? '';
  return { names, read };
};
