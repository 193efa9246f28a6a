import { AppError } from '@flowspark/core';
import { describe, expect, it } from 'vitest';
import { fillDocxTemplate, listDocxPlaceholders } from './docx-template';

/**
 * A DOCX made with the docx library, as Word would split it: `{{ customer_name }}` spread over three
 * runs (the "name" part bold), others whole, one in the header and one in the footer.
 */
const buildTemplate = async () => {
  const d = await import('docx');
  const doc = new d.Document({
    sections: [
      {
        headers: { default: new d.Header({ children: [new d.Paragraph({ text: 'Issued by {{company}}' })] }) },
        footers: { default: new d.Footer({ children: [new d.Paragraph({ text: 'Ref {{ order.id }}' })] }) },
        children: [
          new d.Paragraph({
            children: [
              new d.TextRun('Dear {{ customer_'),
              new d.TextRun({ text: 'name', bold: true }),
              new d.TextRun(' }}, your order ships on {{ship_date}}.'),
            ],
          }),
          new d.Paragraph({
            children: [
              new d.TextRun('Items: {{items}}'),
              new d.TextRun({ text: ' — note: {{ note }}', italics: true }),
            ],
          }),
          new d.Paragraph({ text: 'Again {{company}} and {{missing}}; not a {placeholder} or {{ 9bad }}.' }),
          new d.Paragraph({ children: [new d.TextRun('{'), new d.TextRun('{address}'), new d.TextRun('}')] }),
        ],
      },
    ],
  });
  return new Uint8Array(await d.Packer.toArrayBuffer(doc));
};

const partsText = async (bytes: Uint8Array) => {
  const JSZip = (await import('jszip')).default;
  const zip = await JSZip.loadAsync(bytes);
  const out: Record<string, string> = {};
  for (const name of Object.keys(zip.files).filter((n) => /^word\/(document|header\d*|footer\d*)\.xml$/.test(n))) {
    const xml = await zip.file(name)!.async('string');
    out[name.replace(/\d*\.xml$/, '').replace('word/', '')] = xml;
  }
  return out;
};

/** Paragraph texts of a WordprocessingML part, runs joined, entities decoded, <w:br/> as \n. */
const paragraphTexts = (xml: string) =>
  [...xml.matchAll(/<w:p[ >][\s\S]*?<\/w:p>/g)].map((p) =>
    [...p[0].matchAll(/<w:t(?:\s[^>]*)?>([^<]*)<\/w:t>|<w:br\/>/g)]
      .map((m) => (m[0] === '<w:br/>' ? '\n' : m[1]))
      .join('')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&'),
  );

describe('DOCX templates', () => {
  it('lists placeholders across runs, headers and footers, once each, body first', async () => {
    const names = await listDocxPlaceholders(await buildTemplate());
    expect(names).toEqual(['customer_name', 'ship_date', 'items', 'note', 'company', 'missing', 'address', 'order.id']);
  });

  it('fills placeholders, including one split across runs, escaping values', async () => {
    const filled = await fillDocxTemplate(await buildTemplate(), {
      customer_name: 'Zoë <Müller> & “Co”',
      ship_date: '2026-03-01',
      items: ['tea', 'coffee', 3],
      note: 'line one\nline two',
      company: '株式会社 Acme',
      address: 'Main St',
      order: { id: 42 },
    });
    expect(await listDocxPlaceholders(filled)).toEqual([]);
    const parts = await partsText(filled);
    const body = paragraphTexts(parts.document);
    expect(body[0]).toBe('Dear Zoë <Müller> & “Co”, your order ships on 2026-03-01.');
    expect(body[1]).toBe('Items: tea, coffee, 3 — note: line one\nline two');
    expect(body[2]).toBe('Again 株式会社 Acme and ; not a {placeholder} or {{ 9bad }}.');
    // Even the braces may sit in runs of their own.
    expect(body[3]).toBe('Main St');
    expect(paragraphTexts(parts.header)).toContain('Issued by 株式会社 Acme');
    expect(paragraphTexts(parts.footer)).toContain('Ref 42');
    // The value went into the first run of the split placeholder; the bold run lost its part of it.
    expect(parts.document).toContain('<w:t xml:space="preserve">Dear Zoë &lt;Müller&gt; &amp; “Co”</w:t>');
    expect(parts.document).not.toMatch(/<w:b\/>[\s\S]{0,200}<w:t[^>]*>name<\/w:t>/);
    // Spaces at the edges of replaced text are kept.
    expect(parts.document).toMatch(/<w:t xml:space="preserve">, your order ships on 2026-03-01\.<\/w:t>/);
  });

  it('rejects a file that is not a DOCX', async () => {
    for (const bytes of [new TextEncoder().encode('not a zip'), await zipWithout()]) {
      const err = await listDocxPlaceholders(bytes).catch((e) => e);
      expect(err).toBeInstanceOf(AppError);
      expect(err.code).toBe('UNPROCESSABLE');
      expect(err.details).toMatchObject({ reason: 'INVALID_DOCX' });
      expect((await fillDocxTemplate(bytes, {}).catch((e) => e)).code).toBe('UNPROCESSABLE');
    }
  });
});

/** A valid ZIP that is not a Word document. */
const zipWithout = async () => {
  const JSZip = (await import('jszip')).default;
  const zip = new JSZip();
  zip.file('hello.txt', 'hi');
  return zip.generateAsync({ type: 'uint8array' });
};
