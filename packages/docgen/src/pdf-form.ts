import { AppError } from '@flowspark/core';
import type { PDFDocument, PDFField, PDFFont, PDFForm } from 'pdf-lib';
import {
  ARABIC_FONT,
  CJK_FONT,
  DEVANAGARI_FONT,
  type FontName,
  type FontSource,
  fontsNeeded,
  HANGUL_FONT,
  normalizeText,
} from './fonts';
import { loadFontkit } from './render/pdf-text';
import { formatVariableValue } from './variables';

export interface PdfFormField {
  name: string;
  type: 'text' | 'checkbox' | 'dropdown' | 'radio' | 'other';
}

type PdfLib = typeof import('pdf-lib');

const unprocessable = (message: string, reason: string, extra: Record<string, unknown> = {}, cause?: unknown) =>
  new AppError('UNPROCESSABLE', message, { details: { reason, ...extra }, cause });

/** Opens a PDF and its form; encrypted or broken files become a clear 422, never a crash. */
const openForm = async (bytes: Uint8Array) => {
  const pdf = await import('pdf-lib');
  let doc: PDFDocument;
  try {
    // Encryption is checked below: pdf-lib's EncryptedPDFError does not survive `instanceof`.
    doc = await pdf.PDFDocument.load(bytes, { updateMetadata: false, ignoreEncryption: true });
  } catch (err) {
    throw unprocessable('The file is not a readable PDF', 'INVALID_PDF', {}, err);
  }
  if (doc.isEncrypted) {
    throw unprocessable('The PDF is encrypted: upload a copy without a password or restrictions', 'PDF_ENCRYPTED');
  }
  try {
    return { pdf, doc, form: doc.getForm(), fields: doc.getForm().getFields() };
  } catch (err) {
    throw unprocessable('The PDF form is damaged and cannot be read', 'INVALID_PDF_FORM', {}, err);
  }
};

const fieldType = (pdf: PdfLib, field: PDFField): PdfFormField['type'] => {
  if (field instanceof pdf.PDFTextField) return 'text';
  if (field instanceof pdf.PDFCheckBox) return 'checkbox';
  if (field instanceof pdf.PDFDropdown) return 'dropdown';
  if (field instanceof pdf.PDFRadioGroup) return 'radio';
  return 'other';
};

/** The fillable fields of a PDF form (AcroForm), in document order. */
export async function listPdfFormFields(bytes: Uint8Array): Promise<PdfFormField[]> {
  const { pdf, fields } = await openForm(bytes);
  return fields.map((field) => ({ name: field.getName(), type: fieldType(pdf, field) }));
}

const TRUE = new Set(['true', 'yes', 'on', '1', 'x']);
const FALSE = new Set(['false', 'no', 'off', '0', '']);
const asBoolean = (value: unknown): boolean | null => {
  if (typeof value === 'boolean') return value;
  if (value === null) return false;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (TRUE.has(v)) return true;
    if (FALSE.has(v)) return false;
  }
  return null;
};

/** Invisible characters (joiners, selectors) a font may lack: dropped rather than shown as '?'. */
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/u;

/**
 * Fonts for field appearances, embedded on first use: NotoSans, and another font only for a value
 * that asks for it (see fontsNeeded): NotoSansKR for Hangul, NotoSansArabic for Arabic,
 * NotoSansDevanagari for Devanagari, NotoSansSC for CJK and whatever else NotoSans lacks. A field
 * appearance has one font: the first of those that shows the whole value, else the one that shows
 * most of it; characters it lacks become '?'. pdf-lib measures and encodes the value through the
 * font's layout, which shapes Arabic and Devanagari and puts Arabic in visual order (loadFontkit).
 */
class AppearanceFonts {
  private readonly embedded = new Map<FontName, { font: PDFFont; set: Set<number> } | null>();

  constructor(
    private readonly doc: PDFDocument,
    private readonly source: FontSource,
  ) {}

  private async embed(name: FontName) {
    if (!this.embedded.has(name)) {
      const bytes = await this.source.load(name);
      const font = bytes ? await this.doc.embedFont(bytes, { subset: true }) : null;
      this.embedded.set(name, font ? { font, set: new Set(font.getCharacterSet()) } : null);
    }
    return this.embedded.get(name)!;
  }

  /** The font for `text` and the text reduced to what that font can show. */
  async forText(raw: string): Promise<{ font: PDFFont; text: string }> {
    const text = normalizeText(raw);
    const sans = await this.embed('NotoSans-Regular');
    if (!sans) {
      throw new AppError(
        'SERVICE_UNAVAILABLE',
        'The PDF font NotoSans-Regular is not installed (run npm run fonts:upload)',
        {
          details: { reason: 'FONT_MISSING', font: 'NotoSans-Regular' },
        },
      );
    }
    const chars = [...text].filter((ch) => ch !== '\n' && !IGNORABLE.test(ch));
    const shown = (set: Set<number>) => chars.filter((ch) => set.has(ch.codePointAt(0)!)).length;
    const needed = fontsNeeded([text], sans.set);
    const scriptFonts = SCRIPT_FONTS.filter((name) => needed.has(name));
    let chosen = sans;
    if (scriptFonts.length || shown(sans.set) < chars.length) {
      // The script fonts first; NotoSansSC also stands in for anything else NotoSans lacks.
      const candidates = scriptFonts.includes(CJK_FONT) ? scriptFonts : [...scriptFonts, CJK_FONT];
      let best: { font: typeof sans; count: number } | null = null;
      for (const name of candidates) {
        const font = await this.embed(name);
        if (!font) continue;
        const count = shown(font.set);
        if (!best || count > best.count) best = { font, count };
        if (count === chars.length) break;
      }
      // NotoSans stays when it shows more (Devanagari while NotoSansDevanagari is not installed).
      if (best && best.count >= shown(sans.set)) chosen = best.font;
    }
    const out = [...text]
      .filter((ch) => !IGNORABLE.test(ch) || chosen.set.has(ch.codePointAt(0)!))
      .map((ch) => (ch === '\n' || chosen.set.has(ch.codePointAt(0)!) ? ch : '?'))
      .join('');
    return { font: chosen.font, text: out };
  }
}

/** The fonts a field value in their script is drawn with, in order of preference. */
const SCRIPT_FONTS: FontName[] = [HANGUL_FONT, ARABIC_FONT, DEVANAGARI_FONT, CJK_FONT];

const textOf = (value: unknown) => (value === null || value === undefined ? '' : formatVariableValue(value));

/** Sets one field from a value; a value that does not fit the field → 422 naming the field. */
const setField = async (pdf: PdfLib, field: PDFField, value: unknown, fonts: AppearanceFonts) => {
  const name = field.getName();
  const invalid = (message: string) =>
    unprocessable(`Form field "${name}": ${message}`, 'INVALID_FIELD_VALUE', { field: name });
  if (field instanceof pdf.PDFTextField) {
    const { font, text } = await fonts.forText(textOf(value));
    const max = field.getMaxLength();
    if (max !== undefined && text.length > max) throw invalid(`the value is longer than ${max} characters`);
    field.setText(field.isMultiline() ? text : text.replace(/\n/g, ' '));
    field.updateAppearances(font);
  } else if (field instanceof pdf.PDFCheckBox) {
    const checked = asBoolean(value);
    if (checked === null) throw invalid('expected true or false');
    if (checked) field.check();
    else field.uncheck();
  } else if (
    (field instanceof pdf.PDFRadioGroup || field instanceof pdf.PDFDropdown || field instanceof pdf.PDFOptionList) &&
    value === null
  ) {
    // null: nothing chosen.
    field.clear();
  } else if (field instanceof pdf.PDFRadioGroup) {
    const option = textOf(value);
    const options = field.getOptions();
    if (!options.includes(option)) throw invalid(`"${option}" is not one of its options (${options.join(', ')})`);
    field.select(option);
  } else if (field instanceof pdf.PDFDropdown || field instanceof pdf.PDFOptionList) {
    const wanted = (Array.isArray(value) ? value : [value]).map(textOf);
    const options = field.getOptions();
    const editable = field instanceof pdf.PDFDropdown && field.isEditable();
    const unknown = wanted.filter((v) => !options.includes(v));
    if (unknown.length && !editable) throw invalid(`"${unknown[0]}" is not one of its options (${options.join(', ')})`);
    if (wanted.length > 1 && !field.isMultiselect()) throw invalid('only one option can be selected');
    field.select(wanted.length > 1 ? wanted : wanted[0]);
    field.updateAppearances((await fonts.forText(wanted.join(' '))).font);
  }
};

/** Text a field shows now, to pick the font of an appearance we must redraw. */
const currentText = (pdf: PdfLib, field: PDFField) => {
  if (field instanceof pdf.PDFTextField) return field.getText() ?? '';
  if (field instanceof pdf.PDFDropdown || field instanceof pdf.PDFOptionList) return field.getSelected().join(' ');
  return '';
};

/**
 * Draws every widget into its page and removes the form. Fields whose appearance cannot be found
 * (an unsigned signature field, a widget without a page) are removed without drawing, rather than
 * failing the whole document as pdf-lib's flatten() would.
 */
const flatten = (pdf: PdfLib, doc: PDFDocument, form: PDFForm) => {
  const internals = form as unknown as { findWidgetAppearanceRef(field: PDFField, widget: unknown): unknown };
  for (const field of form.getFields()) {
    const drawable = field.acroField.getWidgets().every((widget) => {
      try {
        internals.findWidgetAppearanceRef(field, widget);
        return true;
      } catch {
        return false;
      }
    });
    if (!drawable) {
      try {
        form.removeField(field);
      } catch {
        // A widget without a page: nothing is drawn for it either way.
      }
    }
  }
  form.flatten({ updateFieldAppearances: false });
  // pdf-lib deletes the widgets but can leave their references in the pages' /Annots, which
  // readers then report as broken cross-references.
  for (const page of doc.getPages()) {
    const annots = page.node.Annots();
    if (!annots) continue;
    for (let i = annots.size() - 1; i >= 0; i -= 1) {
      const ref = annots.get(i);
      if (ref instanceof pdf.PDFRef && !doc.context.lookup(ref)) annots.remove(i);
    }
  }
};

/**
 * Fills a PDF form: text fields from strings and numbers, checkboxes from booleans, dropdowns and
 * radio groups from one of their options (anything else → 422 naming the field). Appearances are
 * drawn with embedded Noto fonts (any script), then the form is flattened into the pages.
 * Data keys that name no field are ignored: the caller checks the variables first.
 */
export async function fillPdfForm(
  bytes: Uint8Array,
  data: Record<string, unknown>,
  deps: { fonts: FontSource },
): Promise<Uint8Array> {
  const { pdf, doc, form, fields } = await openForm(bytes);
  doc.registerFontkit(await loadFontkit());
  const fonts = new AppearanceFonts(doc, deps.fonts);
  const byName = new Map(fields.map((field) => [field.getName(), field]));
  for (const [name, value] of Object.entries(data)) {
    const field = byName.get(name);
    if (!field || value === undefined) continue;
    try {
      await setField(pdf, field, value, fonts);
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw unprocessable(
        `Form field "${name}" could not be filled: ${(err as Error).message}`,
        'INVALID_FIELD_VALUE',
        { field: name },
        err,
      );
    }
  }
  try {
    // XFA data would take precedence over the AcroForm in some viewers.
    form.deleteXFA();
    for (const field of form.getFields()) {
      if (!field.needsAppearancesUpdate()) continue;
      const { font } = await fonts.forText(currentText(pdf, field));
      field.defaultUpdateAppearances(font);
    }
    flatten(pdf, doc, form);
    return await doc.save();
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw unprocessable('The PDF form could not be filled: its structure is damaged', 'INVALID_PDF_FORM', {}, err);
  }
}
