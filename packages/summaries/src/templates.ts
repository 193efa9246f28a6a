/**
 * Summary templates (seed 002 Template, template_type summary): a prompt with `{{name}}`
 * placeholders and the typed variables they take, declared as document templates declare theirs.
 * Every placeholder must be declared; a summary checks its values against the declarations.
 */
import { type Actor, newId, notFound, type PageRequest, validationError } from '@flowspark/core';
import { type Database, paginateNewestFirst, schema } from '@flowspark/db';
import { placeholdersInText, type TemplateVariable } from '@flowspark/docgen';
import { and, eq } from 'drizzle-orm';

const { summaryTemplates } = schema;

export type SummaryTemplateRow = typeof summaryTemplates.$inferSelect;

export interface SummaryTemplateInput {
  name: string;
  description?: string;
  prompt_template: string;
  variables?: TemplateVariable[];
}

export const MAX_PROMPT_TEMPLATE_CHARS = 8_000;

export const templateVariablesOf = (row: SummaryTemplateRow) => row.variables as TemplateVariable[];

/** Every `{{placeholder}}` of the prompt must be a declared variable (400 naming the undeclared ones). */
const checkPlaceholders = (input: SummaryTemplateInput) => {
  const declared = new Set((input.variables ?? []).map((v) => v.name));
  const missing = [...placeholdersInText(input.prompt_template)].filter((name) => !declared.has(name));
  if (missing.length > 0) {
    throw validationError('The prompt uses undeclared variables', {
      prompt_template: [`Declare ${missing.map((m) => `"${m}"`).join(', ')} in variables`],
    });
  }
};

export const createSummaryTemplate = async (
  db: Database,
  actor: Pick<Actor, 'orgId' | 'userId'>,
  input: SummaryTemplateInput,
): Promise<SummaryTemplateRow> => {
  checkPlaceholders(input);
  const at = new Date().toISOString();
  const row: SummaryTemplateRow = {
    id: newId('smt'),
    orgId: actor.orgId,
    name: input.name,
    description: input.description ?? '',
    promptTemplate: input.prompt_template,
    variables: input.variables ?? [],
    createdBy: actor.userId,
    createdAt: at,
    updatedAt: at,
  };
  await db.insert(summaryTemplates).values(row);
  return row;
};

export const getSummaryTemplate = async (db: Database, orgId: string, id: string) => {
  const rows = await db
    .select()
    .from(summaryTemplates)
    .where(and(eq(summaryTemplates.id, id), eq(summaryTemplates.orgId, orgId)))
    .limit(1);
  return rows[0] ?? null;
};

export const requireSummaryTemplate = async (db: Database, orgId: string, id: string) => {
  const row = await getSummaryTemplate(db, orgId, id);
  if (!row) throw notFound('Summary template');
  return row;
};

export const listSummaryTemplates = (db: Database, orgId: string, page: PageRequest) =>
  paginateNewestFirst(db, summaryTemplates, eq(summaryTemplates.orgId, orgId), page);

export const updateSummaryTemplate = async (
  db: Database,
  orgId: string,
  id: string,
  input: SummaryTemplateInput,
): Promise<SummaryTemplateRow> => {
  checkPlaceholders(input);
  const [row] = await db
    .update(summaryTemplates)
    .set({
      name: input.name,
      description: input.description ?? '',
      promptTemplate: input.prompt_template,
      variables: input.variables ?? [],
      updatedAt: new Date().toISOString(),
    })
    .where(and(eq(summaryTemplates.id, id), eq(summaryTemplates.orgId, orgId)))
    .returning();
  if (!row) throw notFound('Summary template');
  return row;
};

export const deleteSummaryTemplate = async (db: Database, orgId: string, id: string): Promise<void> => {
  const rows = await db
    .delete(summaryTemplates)
    .where(and(eq(summaryTemplates.id, id), eq(summaryTemplates.orgId, orgId)))
    .returning({ id: summaryTemplates.id });
  if (rows.length === 0) throw notFound('Summary template');
};
