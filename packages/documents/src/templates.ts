/**
 * Document templates. A template belongs to one tenant; a public one is readable (and usable) by every
 * tenant, changed only by its owner's owners and admins, and copied by others who want their own. Three kinds: `model` (a document model and/or a prompt with
 * `{{variables}}`), `docx_file` (an uploaded DOCX whose placeholders are filled) and `pdf_form` (an
 * uploaded fillable PDF whose form fields are filled). Uploaded files live in R2 under the tenant.
 */
import {
  type Actor,
  AppError,
  newId,
  notFound,
  type PageRequest,
  payloadTooLarge,
  ROLE_RANK,
  type Role,
  validationError,
} from '@flowspark/core';
import { type Database, paginateNewestFirst, schema } from '@flowspark/db';
import { type DocumentModelInput, placeholdersIn, placeholdersInText, type TemplateVariable } from '@flowspark/docgen';
import { and, eq, or, type SQL, sql } from 'drizzle-orm';
import { resourcePrefix } from './files';
import {
  FILE_TYPES,
  type FileKind,
  MAX_TEMPLATE_FILE_BYTES,
  safeFileName,
  type TemplateFileInspector,
  type TemplateFormat,
  type TemplateKind,
} from './template-files';

const { templates } = schema;

type Row = typeof templates.$inferSelect;

/** A stored template with its JSON columns typed. Routes show it through their presenter. */
export interface TemplateRecord extends Omit<Row, 'variables' | 'body'> {
  variables: TemplateVariable[];
  body: DocumentModelInput | null;
}

const record = (row: Row): TemplateRecord => row as unknown as TemplateRecord;

const PUBLISH_ROLE: Role = 'admin';

const mayPublish = (actor: Pick<Actor, 'role'>) => ROLE_RANK[actor.role] >= ROLE_RANK[PUBLISH_ROLE];

const assertMayPublish = (actor: Pick<Actor, 'role'>) => {
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
const writableRow = (actor: Pick<Actor, 'orgId' | 'role'>, id: string): SQL =>
  and(
    eq(templates.id, id),
    eq(templates.orgId, actor.orgId),
    ...(mayPublish(actor) ? [] : [eq(templates.isPublic, false)]),
  )!;

/** The write matched no row: the template was deleted meanwhile (404) or published meanwhile (403). */
const writeMissed = async (db: Database, actor: Pick<Actor, 'orgId'>, id: string, action: 'change' | 'delete') => {
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
export const createTemplate = async (
  db: Database,
  actor: Pick<Actor, 'orgId' | 'userId' | 'role'>,
  input: NewModelTemplate,
) => {
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
  const fileKey = `${resourcePrefix(orgId, 'templates', id)}${fileName}`;
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
/** 413 `{ limit, actual }` for a template file over the cap; the upload route asks before reading it. */
export const assertTemplateFileSize = (bytes: number): void => {
  if (bytes > MAX_TEMPLATE_FILE_BYTES) {
    throw payloadTooLarge(`The file must be at most ${MAX_TEMPLATE_FILE_BYTES / 1024 / 1024} MB`, {
      limit: MAX_TEMPLATE_FILE_BYTES,
      actual: bytes,
    });
  }
};

export const createFileTemplate = async (
  db: Database,
  files: R2Bucket,
  actor: Pick<Actor, 'orgId' | 'userId' | 'role'>,
  input: NewFileTemplate,
  inspect: TemplateFileInspector,
) => {
  if (input.is_public) assertMayPublish(actor);
  assertTemplateFileSize(input.bytes.byteLength);
  const inspected = await inspect(input.bytes, input.variables);
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
  const { items, total } = await paginateNewestFirst(db, templates, and(...conditions), query);
  return { items: items.map(record), total };
};

/**
 * The template the actor may change: another tenant's private template does not exist for them
 * (404); another tenant's public one is visible, so refusing it is an honest 403.
 */
const findWritable = async (db: Database, actor: Pick<Actor, 'orgId'>, id: string): Promise<TemplateRecord> => {
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
  actor: Pick<Actor, 'orgId' | 'role'>,
  id: string,
  patch: TemplatePatch,
  inspect: TemplateFileInspector,
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
      await inspect(new Uint8Array(await object.arrayBuffer()), patch.variables);
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
export const deleteTemplate = async (
  db: Database,
  files: R2Bucket,
  actor: Pick<Actor, 'orgId' | 'role'>,
  id: string,
) => {
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
  actor: Pick<Actor, 'orgId' | 'userId'>,
  id: string,
  input: { name?: string },
  inspect: TemplateFileInspector,
): Promise<TemplateRecord> => {
  const source = await getTemplate(db, actor.orgId, id);
  if (!source) throw notFound('Template');
  const copyId = newId('tpl');
  let fileKey: string | null = null;
  if (source.fileKey && source.kind !== 'model') {
    const object = await files.get(source.fileKey);
    if (!object) throw new AppError('INTERNAL_ERROR', 'The template file is missing');
    const bytes = new Uint8Array(await object.arrayBuffer());
    await inspect(bytes, source.variables);
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
