import { AppError } from '@flowspark/core';
import { describe, expect, it } from 'vitest';
import { fillPdfForm, listPdfFormFields } from './pdf-form';
import { pdfFontNames, pdfGlyphs, pdfText, recordingFonts } from './pdf-test-support';

/** A fillable PDF made with pdf-lib: a text field, a checkbox, a dropdown, a radio group, a multiline note. */
const buildForm = async (options: { maxLength?: number } = {}) => {
  const { PDFDocument, StandardFonts } = await import('pdf-lib');
  const doc = await PDFDocument.create();
  const page = doc.addPage([400, 400]);
  const helvetica = await doc.embedFont(StandardFonts.Helvetica);
  page.drawText('Application form', { x: 20, y: 370, size: 14, font: helvetica });
  const form = doc.getForm();
  const name = form.createTextField('applicant.name');
  if (options.maxLength) name.setMaxLength(options.maxLength);
  name.addToPage(page, { x: 20, y: 320, width: 300, height: 24 });
  form.createCheckBox('agree').addToPage(page, { x: 20, y: 280, width: 16, height: 16 });
  const country = form.createDropdown('country');
  country.setOptions(['France', '日本', 'Deutschland']);
  country.addToPage(page, { x: 20, y: 240, width: 200, height: 24 });
  const size = form.createRadioGroup('size');
  size.addOptionToPage('S', page, { x: 20, y: 200, width: 16, height: 16 });
  size.addOptionToPage('M', page, { x: 60, y: 200, width: 16, height: 16 });
  const notes = form.createTextField('notes');
  notes.enableMultiline();
  notes.setText('Pre-filled note');
  notes.addToPage(page, { x: 20, y: 100, width: 300, height: 60 });
  return doc.save();
};

describe('PDF forms', () => {
  it('lists the fields with their types', async () => {
    expect(await listPdfFormFields(await buildForm())).toEqual([
      { name: 'applicant.name', type: 'text' },
      { name: 'agree', type: 'checkbox' },
      { name: 'country', type: 'dropdown' },
      { name: 'size', type: 'radio' },
      { name: 'notes', type: 'text' },
    ]);
  });

  it('fills text, checkbox, dropdown and radio fields with Unicode values and flattens the form', async () => {
    const { source, loaded } = recordingFonts();
    const filled = await fillPdfForm(
      await buildForm(),
      { 'applicant.name': 'Zoë Müller 你好', agree: true, country: '日本', size: 'M', unknown_key: 'ignored' },
      { fonts: source },
    );
    const { PDFDocument } = await import('pdf-lib');
    const doc = await PDFDocument.load(filled);
    // Flattened: no fields left, their appearances are part of the page, no dangling widget references.
    expect(doc.getForm().getFields()).toEqual([]);
    // The form's only annotations were its widgets: none is left to point at a removed field.
    expect(doc.getPage(0).node.Annots()?.size() ?? 0).toBe(0);
    const { all } = await pdfText(filled);
    expect(all).toContain('Application form');
    expect(all).toContain('Zoë Müller 你好');
    expect(all).toContain('日本');
    expect(all).toContain('Pre-filled note');
    expect(loaded).toContain('NotoSansSC-Regular');
    const fonts = await pdfFontNames(filled);
    expect(fonts.some((f) => f.includes('NotoSansSC'))).toBe(true);
  });

  it('draws Hangul, Arabic and Devanagari values with the font that has them, Arabic shaped and in visual order', async () => {
    const reversed = (text: string) => [...text].reverse().join('');
    const cases = [
      { value: '안녕하세요', font: 'NotoSansKR-Regular', visual: '안녕하세요' },
      // The words swap places and read right to left; the Latin name stays left to right.
      { value: 'Zoë مرحبا بالعالم', font: 'NotoSansArabic-Regular', visual: `Zoë ${reversed('مرحبا بالعالم')}` },
      { value: 'नमस्ते दुनिया', font: 'NotoSansDevanagari-Regular', visual: 'नमस्ते दुिनया' },
      { value: 'Ελληνικά Русский', font: 'NotoSans-Regular', visual: 'Ελληνικά Русский' },
      { value: '中文', font: 'NotoSansSC-Regular', visual: '中文' },
    ];
    for (const { value, font, visual } of cases) {
      const { source, loaded } = recordingFonts();
      const filled = await fillPdfForm(await buildForm(), { 'applicant.name': value }, { fonts: source });
      expect(loaded).toContain(font);
      // pdf-lib names an embedded font by its PostScript name and a random suffix.
      expect((await pdfFontNames(filled)).some((name) => name.startsWith(`${font}-`))).toBe(true);
      const glyphs = (await pdfGlyphs(filled)).filter((g) => g.font.startsWith(`${font}-`));
      expect(glyphs.filter((g) => g.gid === 0)).toEqual([]);
      // The value's glyphs as drawn, left to right (the pre-filled note uses NotoSans too).
      const drawn = glyphs.map((g) => g.text.replace(/\u034F/g, '')).join('');
      expect(drawn).toContain(visual);
      expect(drawn).not.toMatch(/[\uFFFD?]/);
      // Shaped: initial م in مرحبا, final م in بالعالم, two glyphs for one letter.
      if (font === 'NotoSansArabic-Regular')
        expect(new Set(glyphs.filter((g) => g.text === 'م').map((g) => g.gid)).size).toBe(2);
      const { all } = await pdfText(filled);
      expect(all).not.toMatch(/[\uFFFD?]/);
    }
  });

  it('uses only NotoSans for Latin values, and accepts numbers and loose booleans', async () => {
    const { source, loaded } = recordingFonts();
    const filled = await fillPdfForm(
      await buildForm(),
      { 'applicant.name': 4711, agree: 'yes', country: 'France' },
      { fonts: source },
    );
    expect(loaded).toEqual(['NotoSans-Regular']);
    const { all } = await pdfText(filled);
    expect(all).toContain('4711');
    expect(all).toContain('France');
  });

  it('names the field when a value does not fit it', async () => {
    const fonts = recordingFonts().source;
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        { country: 'Atlantis' },
        /Form field "country": "Atlantis" is not one of its options \(France, 日本, Deutschland\)/,
      ],
      [{ size: 'XL' }, /Form field "size": "XL" is not one of its options \(S, M\)/],
      [{ agree: 'perhaps' }, /Form field "agree": expected true or false/],
    ];
    for (const [data, message] of cases) {
      const err = await fillPdfForm(await buildForm(), data, { fonts }).catch((e) => e);
      expect(err).toBeInstanceOf(AppError);
      expect(err.code).toBe('UNPROCESSABLE');
      expect(err.message).toMatch(message);
      expect(err.details).toMatchObject({ reason: 'INVALID_FIELD_VALUE', field: Object.keys(data)[0] });
    }
    const long = await fillPdfForm(
      await buildForm({ maxLength: 5 }),
      { 'applicant.name': 'far too long' },
      { fonts },
    ).catch((e) => e);
    expect(long.message).toMatch(/Form field "applicant.name": the value is longer than 5 characters/);
  });

  it('rejects broken and encrypted PDFs with a clear error', async () => {
    const fonts = recordingFonts().source;
    const garbage = new TextEncoder().encode('%PDF-1.7\nthis is not really a pdf');
    for (const bytes of [garbage, new Uint8Array([1, 2, 3])]) {
      const err = await listPdfFormFields(bytes).catch((e) => e);
      expect(err).toBeInstanceOf(AppError);
      expect(err.code).toBe('UNPROCESSABLE');
      expect((await fillPdfForm(bytes, {}, { fonts }).catch((e) => e)).code).toBe('UNPROCESSABLE');
    }
    // A document whose trailer declares encryption, as a password-protected PDF does.
    const { PDFDocument } = await import('pdf-lib');
    const doc = await PDFDocument.create();
    doc.addPage();
    doc.context.trailerInfo.Encrypt = doc.context.obj({ Filter: 'Standard', V: 2, R: 3 });
    const encrypted = await doc.save({ useObjectStreams: false });
    const err = await listPdfFormFields(encrypted).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('UNPROCESSABLE');
    expect(err.details).toMatchObject({ reason: 'PDF_ENCRYPTED' });
  });
});
