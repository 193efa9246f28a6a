/**
 * Uploaded template files: the kind read from the content (a DOCX with `{{placeholders}}` or a
 * fillable PDF form), the variables it can be filled with, and a safe name for its R2 key.
 */
import { looksLikeZip, openArchive } from '@flowspark/archive';
import { AppError, validationError } from '@flowspark/core';
import type { schema } from '@flowspark/db';
import { CONTENT_TYPES, MAX_VARIABLES, type TemplateVariable } from '@flowspark/docgen';

type Row = (typeof schema.templates)['$inferSelect'];
export type TemplateFormat = Row['format'];
export type TemplateKind = Row['kind'];

/** Uploaded template files: larger ones are refused with 413 (the route's body limit matches). */
export const MAX_TEMPLATE_FILE_BYTES = 10 * 1024 * 1024;

export type FileKind = Exclude<TemplateKind, 'model'>;

export const FILE_TYPES: Record<FileKind, { format: TemplateFormat; contentType: string; extension: string }> = {
  docx_file: { format: 'docx', contentType: CONTENT_TYPES.docx, extension: 'docx' },
  pdf_form: { format: 'pdf', contentType: CONTENT_TYPES.pdf, extension: 'pdf' },
};

const unsupported = (message: string) => new AppError('UNSUPPORTED_MEDIA_TYPE', message);

const startsWith = (bytes: Uint8Array, signature: readonly number[]) => signature.every((b, i) => bytes[i] === b);
const PDF_HEADER = [0x25, 0x50, 0x44, 0x46, 0x2d]; // %PDF-

/** A name that can be a variable: `First name` → `First_name`, `f1_01[0]` → `f1_01_0`. */
const toVariableName = (raw: string, taken: Set<string>): string => {
  let base = raw
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 56);
  if (!base) base = 'field';
  if (/^[0-9]/.test(base)) base = `_${base}`;
  let name = base;
  for (let n = 2; taken.has(name); n += 1) name = `${base}_${n}`;
  taken.add(name);
  return name;
};

const deriveVariables = (
  fields: { name: string; type: TemplateVariable['type']; description: string }[],
  required: boolean,
): TemplateVariable[] => {
  if (fields.length > MAX_VARIABLES) {
    throw new AppError(
      'UNPROCESSABLE',
      `The file has ${fields.length} fields; a template declares at most ${MAX_VARIABLES} variables`,
    );
  }
  const taken = new Set<string>();
  return fields.map((field) => {
    const name = toVariableName(field.name, taken);
    return {
      name,
      type: field.type,
      required,
      description: field.description,
      ...(name === field.name ? {} : { field: field.name }),
    };
  });
};

/** Parsers throw their own errors on broken files; the caller gets one clear answer. */
const readWith = async <T>(what: string, read: () => Promise<T>): Promise<T> => {
  try {
    return await read();
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('UNPROCESSABLE', `The ${what} could not be read; it may be damaged or encrypted`);
  }
};

export interface InspectedFile {
  kind: FileKind;
  format: TemplateFormat;
  variables: TemplateVariable[];
}

/**
 * What reads an uploaded template file: `inspectTemplateFile` itself where the parsers may load (the
 * jobs Worker), or a call to it from a Worker that keeps them out of its script (the API Worker).
 */
export type TemplateFileInspector = (bytes: Uint8Array, declared?: TemplateVariable[]) => Promise<InspectedFile>;

/**
 * Decides the kind from the content's magic bytes and lists what the file can be filled with. Given
 * declarations must cover every DOCX placeholder and name only existing PDF fields; without them the
 * variables are derived (DOCX placeholders: required strings; PDF fields: optional strings or
 * booleans for checkboxes).
 */
export const inspectTemplateFile = async (bytes: Uint8Array, declared?: TemplateVariable[]): Promise<InspectedFile> => {
  if (looksLikeZip(bytes)) {
    // The directory is checked against the archive caps first (413/422 for bombs and unsafe archives);
    // reading the placeholders then proves every entry's size by inflating it, streaming.
    if (!openArchive(bytes).has('word/document.xml')) {
      throw unsupported('The file is a ZIP archive but not a Word document (.docx): it has no word/document.xml');
    }
    const { listDocxPlaceholders } = await import('@flowspark/docgen');
    const placeholders = await readWith('DOCX', () => listDocxPlaceholders(bytes));
    if (declared) {
      const covered = new Set(declared.map((v) => v.field ?? v.name));
      const missing = placeholders.filter((p) => !covered.has(p));
      if (missing.length > 0) {
        throw validationError('The document uses placeholders the variables do not declare', {
          variables: [`Undeclared placeholder(s) in the document: ${missing.join(', ')}`],
        });
      }
    }
    const variables =
      declared ??
      deriveVariables(
        placeholders.map((p) => ({ name: p, type: 'string' as const, description: `Placeholder {{${p}}}` })),
        true,
      );
    return { kind: 'docx_file', format: 'docx', variables };
  }
  if (startsWith(bytes, PDF_HEADER)) {
    const { listPdfFormFields } = await import('@flowspark/docgen');
    const fields = await readWith('PDF', () => listPdfFormFields(bytes));
    if (fields.length === 0) {
      throw unsupported('The PDF has no fillable form fields; upload a PDF form (AcroForm) or a .docx template');
    }
    if (declared) {
      const known = new Set(fields.map((f) => f.name));
      const problems: Record<string, string[]> = {};
      declared.forEach((v, index) => {
        const field = v.field ?? v.name;
        if (!known.has(field)) problems[`variables.${index}`] = [`The PDF has no form field named "${field}"`];
      });
      if (Object.keys(problems).length > 0)
        throw validationError('Variables name fields the PDF does not have', problems);
    }
    const variables =
      declared ??
      deriveVariables(
        fields.map((f) => ({
          name: f.name,
          type: f.type === 'checkbox' ? ('boolean' as const) : ('string' as const),
          description: `Form field "${f.name}" (${f.type})`,
        })),
        false,
      );
    return { kind: 'pdf_form', format: 'pdf', variables };
  }
  throw unsupported(
    'Unsupported file: upload a Word document (.docx) with {{placeholders}} or a fillable PDF form. ' +
      'The type is read from the content, not from the file name.',
  );
};

/** The uploaded name reduced to safe characters for an R2 key, with the right extension. */
export const safeFileName = (filename: string, kind: FileKind): string => {
  const { extension } = FILE_TYPES[kind];
  const base = (filename.split(/[\\/]/).pop() ?? '')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+/, '')
    .replace(/\.[A-Za-z0-9]{1,8}$/, '')
    .slice(0, 100);
  return `${base || 'template'}.${extension}`;
};
