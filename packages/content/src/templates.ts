/**
 * Document templates. A template belongs to one tenant; a public one is readable (and usable) by every
 * tenant, changed only by its owner's owners and admins, and copied by others who want their own. Three kinds: `model` (a document model and/or a prompt with
 * `{{variables}}`), `docx_file` (an uploaded DOCX whose placeholders are filled) and `pdf_form` (an
 * uploaded fillable PDF whose form fields are filled). Uploaded files live in R2 under the tenant.
 */
import { looksLikeZip, openArchive } from '@flowspark/archive';
import { AppError, newId, notFound, type PageRequest, ROLE_RANK, type Role, validationError } from '@flowspark/core';
import { type Database, paginate, schema } from '@flowspark/db';
import {
  CONTENT_TYPES,
  type DocumentModelInput,
  MAX_VARIABLES,
  placeholdersIn,
  placeholdersInText,
  type TemplateVariable,
} from '@flowspark/docgen';
import { and, desc, eq, or, type SQL, sql } from 'drizzle-orm';

const { templates } = schema;

export type TemplateFormat = (typeof templates.$inferSelect)['format'];
export type TemplateKind = (typeof templates.$inferSelect)['kind'];
type Row = typeof templates.$inferSelect;

/** A stored template with its JSON columns typed. Internal: routes show it through `presentTemplate`. */
export interface TemplateRecord extends Omit<Row, 'variables' | 'body'> {
  variables: TemplateVariable[];
  body: DocumentModelInput | null;
}

/** Who acts: the tenant from authentication and the caller's role (publishing needs admin). */
export interface TemplateActor {
  orgId: string;
  userId: string;
  role: Role;
}

export interface TemplateView {
  id: string;
  name: string;
  description: string;
  format: TemplateFormat;
  kind: TemplateKind;
  variables: TemplateVariable[];
  body: Record<string, unknown> | null;
  prompt_template: string | null;
  is_public: boolean;
  usage_count: number;
  /** `own`: the caller's organization owns it; `public`: another organization shares it. */
  owner: 'own' | 'public';
  file: { name: string; size_bytes: number } | null;
  created_at: string;
  updated_at: string;
}

/** Uploaded template files: larger ones are refused with 413 (the route's body limit matches). */
export const MAX_TEMPLATE_FILE_BYTES = 10 * 1024 * 1024;

type FileKind = Exclude<TemplateKind, 'model'>;

const FILE_TYPES: Record<FileKind, { format: TemplateFormat; contentType: string; extension: string }> = {
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

interface InspectedFile {
  kind: FileKind;
  format: TemplateFormat;
  variables: TemplateVariable[];
}

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

const record = (row: Row): TemplateRecord => row as unknown as TemplateRecord;

/** Never the file key or the owning organization: a public template is seen by other tenants. */
export const presentTemplate = (row: TemplateRecord, orgId: string): TemplateView => ({
  id: row.id,
  name: row.name,
  description: row.description,
  format: row.format,
  kind: row.kind,
  variables: row.variables,
  body: (row.body as Record<string, unknown> | null) ?? null,
  prompt_template: row.promptTemplate,
  is_public: row.isPublic,
  usage_count: row.usageCount,
  owner: row.orgId === orgId ? 'own' : 'public',
  file: row.fileKey
    ? { name: row.fileKey.slice(row.fileKey.lastIndexOf('/') + 1), size_bytes: row.fileSizeBytes ?? 0 }
    : null,
  created_at: row.createdAt,
  updated_at: row.updatedAt,
});

const PUBLISH_ROLE: Role = 'admin';

const mayPublish = (actor: TemplateActor) => ROLE_RANK[actor.role] >= ROLE_RANK[PUBLISH_ROLE];

const assertMayPublish = (actor: TemplateActor) => {
  if (!mayPublish(actor)) throw new AppError('FORBIDDEN', 'Only owners and admins can make a template public');
};

/** Every organization sees a public template: changing, unpublishing or deleting it is publishing too. */
const publicChangeRefused = (action: 'change' | 'delete') =>
  new AppError(
    'FORBIDDEN',
    action === 'change'
      ? 'Only owners and admins can change a public template: every organization sees it. Copy it to make a private version'
      : 'Only owners and admins can delete a public template: every organization sees it',
  );

/**
 * The write's row condition. For actors who may not publish it also requires the row to be private,
 * so a template published between the check and the write is not changed by them.
 */
const writableRow = (actor: TemplateActor, id: string): SQL =>
  and(
    eq(templates.id, id),
    eq(templates.orgId, actor.orgId),
    ...(mayPublish(actor) ? [] : [eq(templates.isPublic, false)]),
  )!;

/** The write matched no row: the template was deleted meanwhile (404) or published meanwhile (403). */
const writeMissed = async (db: Database, actor: TemplateActor, id: string, action: 'change' | 'delete') => {
  const now = await getTemplate(db, actor.orgId, id);
  return now?.isPublic ? publicChangeRefused(action) : notFound('Template');
};

/** Placeholders the declarations do not cover, keyed by where they were found. */
const undeclared = (
  variables: readonly TemplateVariable[],
  sources: { body?: DocumentModelInput | null; prompt_template?: string | null },
): Record<string, string[]> => {
  const names = new Set(variables.map((v) => v.name));
  const fields: Record<string, string[]> = {};
  const check = (key: string, used: Set<string>) => {
    const missing = [...used].filter((name) => !names.has(name));
    if (missing.length > 0) {
      fields[key] = [`Undeclared variable(s): ${missing.join(', ')}. Declare them in variables.`];
    }
  };
  if (sources.body) check('body', placeholdersIn(sources.body));
  if (sources.prompt_template) check('prompt_template', placeholdersInText(sources.prompt_template));
  return fields;
};

const assertCovered = (fields: Record<string, string[]>) => {
  if (Object.keys(fields).length > 0) throw validationError('The template uses variables it does not declare', fields);
};

export interface NewModelTemplate {
  name: string;
  description?: string;
  format: TemplateFormat;
  variables: TemplateVariable[];
  body?: DocumentModelInput;
  prompt_template?: string;
  is_public?: boolean;
}

/** A `model` template: a document model with placeholders, a prompt template, or both. */
export const createTemplate = async (db: Database, actor: TemplateActor, input: NewModelTemplate) => {
  if (input.is_public) assertMayPublish(actor);
  if (!input.body && !input.prompt_template) {
    throw validationError('A template needs a body or a prompt_template', {
      body: ['Give a body (a document model with {{variables}}) or a prompt_template'],
    });
  }
  assertCovered(undeclared(input.variables, input));
  const now = new Date().toISOString();
  const row: Row = {
    id: newId('tpl'),
    orgId: actor.orgId,
    name: input.name,
    description: input.description ?? '',
    format: input.format,
    kind: 'model',
    variables: input.variables,
    body: (input.body as Record<string, unknown> | undefined) ?? null,
    promptTemplate: input.prompt_template ?? null,
    fileKey: null,
    fileSizeBytes: null,
    isPublic: input.is_public ?? false,
    usageCount: 0,
    createdBy: actor.userId,
    createdAt: now,
    updatedAt: now,
  };
  await db.insert(templates).values(row);
  return record(row);
};

export interface NewFileTemplate {
  name: string;
  description?: string;
  /** Absent: derived from the file (DOCX placeholders, PDF form fields). */
  variables?: TemplateVariable[];
  is_public?: boolean;
  filename: string;
  bytes: Uint8Array;
}

/** Writes a template's file under the template's own key in its tenant; returns the key. */
const storeTemplateFile = async (
  files: R2Bucket,
  orgId: string,
  id: string,
  fileName: string,
  kind: FileKind,
  bytes: Uint8Array,
): Promise<string> => {
  const fileKey = `tenants/${orgId}/templates/${id}/${fileName}`;
  await files.put(fileKey, bytes, { httpMetadata: { contentType: FILE_TYPES[kind].contentType } });
  return fileKey;
};

/** Writes the row after its file; if the row cannot be written the file is removed again. */
const insertWithFile = async (db: Database, files: R2Bucket, row: Row): Promise<TemplateRecord> => {
  try {
    await db.insert(templates).values(row);
  } catch (err) {
    if (row.fileKey) await files.delete(row.fileKey).catch(() => undefined);
    throw err;
  }
  return record(row);
};

/**
 * An uploaded DOCX with `{{placeholders}}` or a fillable PDF. The kind comes from the content, never
 * from the name or the declared type. The file is written before the row, and removed again if the
 * row cannot be written, so no row ever points at a missing file.
 */
export const createFileTemplate = async (
  db: Database,
  files: R2Bucket,
  actor: TemplateActor,
  input: NewFileTemplate,
) => {
  if (input.is_public) assertMayPublish(actor);
  if (input.bytes.byteLength > MAX_TEMPLATE_FILE_BYTES) {
    throw new AppError('PAYLOAD_TOO_LARGE', `The file must be at most ${MAX_TEMPLATE_FILE_BYTES / 1024 / 1024} MB`, {
      details: { max_bytes: MAX_TEMPLATE_FILE_BYTES },
    });
  }
  const inspected = await inspectTemplateFile(input.bytes, input.variables);
  const id = newId('tpl');
  const fileKey = await storeTemplateFile(
    files,
    actor.orgId,
    id,
    safeFileName(input.filename, inspected.kind),
    inspected.kind,
    input.bytes,
  );
  const now = new Date().toISOString();
  const row: Row = {
    id,
    orgId: actor.orgId,
    name: input.name,
    description: input.description ?? '',
    format: inspected.format,
    kind: inspected.kind,
    variables: inspected.variables,
    body: null,
    promptTemplate: null,
    fileKey,
    fileSizeBytes: input.bytes.byteLength,
    isPublic: input.is_public ?? false,
    usageCount: 0,
    createdBy: actor.userId,
    createdAt: now,
    updatedAt: now,
  };
  return insertWithFile(db, files, row);
};

const visibleTo = (orgId: string): SQL => or(eq(templates.orgId, orgId), eq(templates.isPublic, true))!;

/** The tenant's own template or any public one; null otherwise (the route answers 404). */
export const getTemplate = async (db: Database, orgId: string, id: string): Promise<TemplateRecord | null> => {
  const [row] = await db
    .select()
    .from(templates)
    .where(and(eq(templates.id, id), visibleTo(orgId)))
    .limit(1);
  return row ? record(row) : null;
};

export interface TemplateListQuery extends PageRequest {
  format?: TemplateFormat;
  kind?: TemplateKind;
  /** `own`: this tenant's; `public`: every public one (this tenant's included); `all` (default): both. */
  visibility?: 'own' | 'public' | 'all';
  /** Name contains, case-insensitive for ASCII. */
  q?: string;
}

const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Newest first: one page query and one count, in one round trip. */
export const listTemplates = async (
  db: Database,
  orgId: string,
  query: TemplateListQuery,
): Promise<{ items: TemplateRecord[]; total: number }> => {
  const conditions: SQL[] = [];
  const visibility = query.visibility ?? 'all';
  if (visibility === 'own') conditions.push(eq(templates.orgId, orgId));
  else if (visibility === 'public') conditions.push(eq(templates.isPublic, true));
  else conditions.push(visibleTo(orgId));
  if (query.format) conditions.push(eq(templates.format, query.format));
  if (query.kind) conditions.push(eq(templates.kind, query.kind));
  if (query.q) conditions.push(sql`${templates.name} LIKE ${likePattern(query.q)} ESCAPE '\\'`);
  const where = and(...conditions)!;
  const { items, total } = await paginate(
    db,
    db.select().from(templates).where(where).orderBy(desc(templates.createdAt), desc(templates.id)),
    { table: templates, where },
    query,
  );
  return { items: items.map(record), total };
};

/**
 * The template the actor may change: another tenant's private template does not exist for them
 * (404); another tenant's public one is visible, so refusing it is an honest 403.
 */
const findWritable = async (db: Database, actor: TemplateActor, id: string): Promise<TemplateRecord> => {
  const found = await getTemplate(db, actor.orgId, id);
  if (!found) throw notFound('Template');
  if (found.orgId !== actor.orgId) {
    throw new AppError('FORBIDDEN', 'Public templates can only be changed by the organization that owns them');
  }
  return found;
};

export interface TemplatePatch {
  name?: string;
  description?: string;
  variables?: TemplateVariable[];
  body?: DocumentModelInput | null;
  prompt_template?: string | null;
  is_public?: boolean;
}

/** Partial update by the owning tenant; the merged template is checked as a whole. */
export const updateTemplate = async (
  db: Database,
  files: R2Bucket,
  actor: TemplateActor,
  id: string,
  patch: TemplatePatch,
): Promise<TemplateRecord> => {
  const current = await findWritable(db, actor, id);
  if (current.isPublic && !mayPublish(actor)) throw publicChangeRefused('change');
  if (patch.is_public && !current.isPublic) assertMayPublish(actor);
  const body = patch.body === undefined ? current.body : patch.body;
  const promptTemplate = patch.prompt_template === undefined ? current.promptTemplate : patch.prompt_template;
  const variables = patch.variables ?? current.variables;

  if (current.kind === 'model') {
    if (!body && !promptTemplate) {
      throw validationError('A template needs a body or a prompt_template', {
        body: ['A model template keeps a body or a prompt_template; it cannot drop both'],
      });
    }
    assertCovered(undeclared(variables, { body, prompt_template: promptTemplate }));
  } else {
    if (patch.body) {
      throw validationError('File templates have no body', {
        body: [`A ${current.kind} template fills its uploaded file; upload a new template to change the file`],
      });
    }
    assertCovered(undeclared(variables, { prompt_template: promptTemplate }));
    if (patch.variables && current.fileKey) {
      const object = await files.get(current.fileKey);
      if (!object) throw new AppError('INTERNAL_ERROR', 'The template file is missing');
      await inspectTemplateFile(new Uint8Array(await object.arrayBuffer()), patch.variables);
    }
  }

  const changes: Partial<Row> = { updatedAt: new Date().toISOString() };
  if (patch.name !== undefined) changes.name = patch.name;
  if (patch.description !== undefined) changes.description = patch.description;
  if (patch.variables !== undefined) changes.variables = patch.variables;
  if (patch.body !== undefined) changes.body = patch.body as Record<string, unknown> | null;
  if (patch.prompt_template !== undefined) changes.promptTemplate = patch.prompt_template;
  if (patch.is_public !== undefined) changes.isPublic = patch.is_public;
  const [row] = await db.update(templates).set(changes).where(writableRow(actor, id)).returning();
  if (!row) throw await writeMissed(db, actor, id, 'change');
  return record(row);
};

/** Deletes the row, then its file: a failed file delete leaves an orphan object, never a dangling row. */
export const deleteTemplate = async (db: Database, files: R2Bucket, actor: TemplateActor, id: string) => {
  const current = await findWritable(db, actor, id);
  if (current.isPublic && !mayPublish(actor)) throw publicChangeRefused('delete');
  const deleted = await db.delete(templates).where(writableRow(actor, id)).returning({ id: templates.id });
  if (deleted.length === 0) throw await writeMissed(db, actor, id, 'delete');
  if (current.fileKey) await files.delete(current.fileKey);
};

/** Template names, as the API accepts them. */
export const MAX_TEMPLATE_NAME_CHARS = 200;

const COPY_SUFFIX = ' (copy)';

const copyName = (name: string) => `${name.slice(0, MAX_TEMPLATE_NAME_CHARS - COPY_SUFFIX.length)}${COPY_SUFFIX}`;

/**
 * Copies a template the tenant can see (its own or a public one) into the tenant as a private
 * template: public templates are read-only for other organizations, which change a copy instead. A
 * file template's file is checked again like an upload (a file stored before the archive checks is
 * not spread further) and copied to the new template's own key; the file is written before the row
 * and removed again if the row cannot be written.
 */
export const copyTemplate = async (
  db: Database,
  files: R2Bucket,
  actor: TemplateActor,
  id: string,
  input: { name?: string } = {},
): Promise<TemplateRecord> => {
  const source = await getTemplate(db, actor.orgId, id);
  if (!source) throw notFound('Template');
  const copyId = newId('tpl');
  let fileKey: string | null = null;
  if (source.fileKey && source.kind !== 'model') {
    const object = await files.get(source.fileKey);
    if (!object) throw new AppError('INTERNAL_ERROR', 'The template file is missing');
    const bytes = new Uint8Array(await object.arrayBuffer());
    await inspectTemplateFile(bytes, source.variables);
    const fileName = source.fileKey.slice(source.fileKey.lastIndexOf('/') + 1);
    fileKey = await storeTemplateFile(files, actor.orgId, copyId, fileName, source.kind, bytes);
  }
  const now = new Date().toISOString();
  const row: Row = {
    id: copyId,
    orgId: actor.orgId,
    name: input.name ?? copyName(source.name),
    description: source.description,
    format: source.format,
    kind: source.kind,
    variables: source.variables,
    body: (source.body as Record<string, unknown> | null) ?? null,
    promptTemplate: source.promptTemplate,
    fileKey,
    fileSizeBytes: fileKey ? source.fileSizeBytes : null,
    isPublic: false,
    usageCount: 0,
    createdBy: actor.userId,
    createdAt: now,
    updatedAt: now,
  };
  return insertWithFile(db, files, row);
};

/**
 * Counts one use, atomically. Returns the statement unexecuted: `await` it, or put it in a
 * `db.batch([...])` with the write that uses the template.
 */
export const incrementTemplateUsage = (db: Database, id: string) =>
  db
    .update(templates)
    .set({ usageCount: sql`${templates.usageCount} + 1` })
    .where(eq(templates.id, id));
