/**
 * Workflows and their versions (seed 004 Workflow, WorkflowVersion, WorkflowTrigger). Creating a
 * workflow writes version 1; every update writes the next version and leaves the old ones as they
 * were, so an execution always knows exactly what it ran. Cron triggers become schedules (one row per
 * trigger, rewritten with each version). Every query is scoped to the tenant.
 */
import { randomToken, sha256Hex, timingSafeEqual } from '@flowspark/auth';
import { type Actor, newId, notFound, type PageRequest } from '@flowspark/core';
import { type Database, paginate, paginateNewestFirst, schema } from '@flowspark/db';
import { and, asc, desc, eq, inArray, lte } from 'drizzle-orm';
import { nextRun, parseCron } from './cron';
import { validateWorkflow, type WorkflowDefinition, type WorkflowTrigger, type WorkflowVariable } from './definition';

const { workflows, workflowVersions, workflowSchedules } = schema;

export type WorkflowRow = typeof workflows.$inferSelect;
export type WorkflowVersionRow = typeof workflowVersions.$inferSelect;
export type WorkflowScheduleRow = typeof workflowSchedules.$inferSelect;

export interface WorkflowInput {
  name: string;
  description?: string | null;
  enabled?: boolean;
  definition: { steps: Record<string, unknown>[] };
  variables?: WorkflowVariable[];
  triggers?: WorkflowTrigger[];
}

export interface WorkflowRecord {
  workflow: WorkflowRow;
  version: WorkflowVersionRow;
  /** Shown once: the webhook trigger's secret when it was just made (first webhook trigger, or rotation). */
  webhookSecret?: string;
}

export const versionDefinition = (version: WorkflowVersionRow) => version.definition as unknown as WorkflowDefinition;
export const versionVariables = (version: WorkflowVersionRow) => version.variables as unknown as WorkflowVariable[];
export const versionTriggers = (version: WorkflowVersionRow) => version.triggers as unknown as WorkflowTrigger[];

export const hasTrigger = (version: WorkflowVersionRow, type: WorkflowTrigger['type']) =>
  versionTriggers(version).some((t) => t.type === type);

/** A webhook secret: `wfh_` and 32 random bytes; only its SHA-256 is stored. */
const newWebhookSecret = () => `wfh_${randomToken(32)}`;

const scheduleRows = (
  orgId: string,
  workflowId: string,
  triggers: WorkflowTrigger[],
  now: Date,
): WorkflowScheduleRow[] =>
  triggers.flatMap((trigger, index) =>
    trigger.type === 'cron'
      ? [
          {
            id: newId('wfs'),
            orgId,
            workflowId,
            triggerIndex: index,
            cron: trigger.schedule,
            input: trigger.input ?? null,
            nextRunAt: nextRun(parseCron(trigger.schedule), now).toISOString(),
            lastRunAt: null,
            createdAt: now.toISOString(),
          },
        ]
      : [],
  );

const versionRow = (
  orgId: string,
  workflowId: string,
  version: number,
  spec: ReturnType<typeof validateWorkflow>,
  createdBy: string | null,
  at: string,
): WorkflowVersionRow => ({
  id: newId('wfv'),
  orgId,
  workflowId,
  version,
  definition: spec.definition as unknown as Record<string, unknown>,
  variables: spec.variables as unknown as Record<string, unknown>[],
  triggers: spec.triggers as unknown as Record<string, unknown>[],
  createdBy,
  createdAt: at,
});

export const createWorkflow = async (
  db: Database,
  actor: Pick<Actor, 'orgId' | 'userId'>,
  input: WorkflowInput,
): Promise<WorkflowRecord> => {
  const spec = validateWorkflow(input);
  const now = new Date();
  const at = now.toISOString();
  const id = newId('wfl');
  const webhookSecret = spec.triggers.some((t) => t.type === 'webhook') ? newWebhookSecret() : undefined;
  const workflow: WorkflowRow = {
    id,
    orgId: actor.orgId,
    name: input.name,
    description: input.description ?? null,
    currentVersion: 1,
    enabled: input.enabled ?? true,
    webhookSecretHash: webhookSecret ? await sha256Hex(webhookSecret) : null,
    createdBy: actor.userId,
    createdAt: at,
    updatedAt: at,
  };
  const version = versionRow(actor.orgId, id, 1, spec, actor.userId, at);
  const schedules = scheduleRows(actor.orgId, id, spec.triggers, now);
  await db.batch([
    db.insert(workflows).values(workflow),
    db.insert(workflowVersions).values(version),
    ...(schedules.length > 0 ? [db.insert(workflowSchedules).values(schedules)] : []),
  ]);
  return { workflow, version, ...(webhookSecret ? { webhookSecret } : {}) };
};

export const getWorkflow = async (db: Database, orgId: string, id: string): Promise<WorkflowRow | null> => {
  const rows = await db
    .select()
    .from(workflows)
    .where(and(eq(workflows.id, id), eq(workflows.orgId, orgId)))
    .limit(1);
  return rows[0] ?? null;
};

export const getVersion = async (
  db: Database,
  orgId: string,
  workflowId: string,
  version: number,
): Promise<WorkflowVersionRow | null> => {
  const rows = await db
    .select()
    .from(workflowVersions)
    .where(
      and(
        eq(workflowVersions.workflowId, workflowId),
        eq(workflowVersions.orgId, orgId),
        eq(workflowVersions.version, version),
      ),
    )
    .limit(1);
  return rows[0] ?? null;
};

/** Workflows joined with their current version. */
const withCurrentVersion = (db: Database) =>
  db
    .select({ workflow: workflows, version: workflowVersions })
    .from(workflows)
    .innerJoin(
      workflowVersions,
      and(eq(workflowVersions.workflowId, workflows.id), eq(workflowVersions.version, workflows.currentVersion)),
    );

/** The tenant's workflow with its current version; 404 otherwise. One query. */
export const requireWorkflow = async (db: Database, orgId: string, id: string): Promise<WorkflowRecord> => {
  const rows = await withCurrentVersion(db)
    .where(and(eq(workflows.id, id), eq(workflows.orgId, orgId)))
    .limit(1);
  const row = rows[0];
  if (!row) throw notFound('Workflow');
  return row;
};

/**
 * A page of the tenant's workflows, newest first, each with its current version: the page (with its
 * total, one batch), then their current versions in one query.
 */
export const listWorkflows = async (db: Database, orgId: string, page: PageRequest) => {
  const { items, total } = await paginateNewestFirst(db, workflows, eq(workflows.orgId, orgId), page);
  if (items.length === 0) return { items: [] as WorkflowRecord[], total };
  const versions = await db
    .select({ version: workflowVersions })
    .from(workflowVersions)
    .innerJoin(
      workflows,
      and(eq(workflowVersions.workflowId, workflows.id), eq(workflowVersions.version, workflows.currentVersion)),
    )
    .where(
      and(
        eq(workflows.orgId, orgId),
        inArray(
          workflows.id,
          items.map((w) => w.id),
        ),
      ),
    );
  const byWorkflow = new Map(versions.map(({ version }) => [version.workflowId, version]));
  return {
    items: items.flatMap((workflow) => {
      const version = byWorkflow.get(workflow.id);
      return version ? [{ workflow, version }] : [];
    }),
    total,
  };
};

export const listVersions = async (db: Database, orgId: string, workflowId: string, page: PageRequest) => {
  await requireWorkflow(db, orgId, workflowId);
  const where = and(eq(workflowVersions.workflowId, workflowId), eq(workflowVersions.orgId, orgId));
  const rows = db.select().from(workflowVersions).where(where).orderBy(desc(workflowVersions.version));
  return paginate(db, rows, { table: workflowVersions, where }, page);
};

/**
 * Writes the next version (the whole definition, variables and triggers, validated), the new name,
 * description and enabled flag, and the schedules of its cron triggers. The first webhook trigger of
 * a workflow gets a secret (returned once).
 */
export const updateWorkflow = async (
  db: Database,
  actor: Pick<Actor, 'orgId' | 'userId'>,
  id: string,
  input: WorkflowInput,
): Promise<WorkflowRecord> => {
  const spec = validateWorkflow(input);
  const current = await requireWorkflow(db, actor.orgId, id);
  const now = new Date();
  const at = now.toISOString();
  const nextVersion = current.workflow.currentVersion + 1;
  const needsSecret = spec.triggers.some((t) => t.type === 'webhook') && !current.workflow.webhookSecretHash;
  const webhookSecret = needsSecret ? newWebhookSecret() : undefined;
  const version = versionRow(actor.orgId, id, nextVersion, spec, actor.userId, at);
  const schedules = scheduleRows(actor.orgId, id, spec.triggers, now);
  const [updated] = await db.batch([
    db
      .update(workflows)
      .set({
        name: input.name,
        description: input.description ?? null,
        enabled: input.enabled ?? current.workflow.enabled,
        currentVersion: nextVersion,
        ...(webhookSecret ? { webhookSecretHash: await sha256Hex(webhookSecret) } : {}),
        updatedAt: at,
      })
      // The version read is still the current one: two updates at once cannot write the same number.
      .where(
        and(
          eq(workflows.id, id),
          eq(workflows.orgId, actor.orgId),
          eq(workflows.currentVersion, current.workflow.currentVersion),
        ),
      )
      .returning(),
    db.insert(workflowVersions).values(version),
    db.delete(workflowSchedules).where(eq(workflowSchedules.workflowId, id)),
    ...(schedules.length > 0 ? [db.insert(workflowSchedules).values(schedules)] : []),
  ]);
  const workflow = updated[0];
  if (!workflow) throw notFound('Workflow');
  return { workflow, version, ...(webhookSecret ? { webhookSecret } : {}) };
};

/** A new webhook secret (the old one stops working at once); returned once. */
export const rotateWebhookSecret = async (db: Database, orgId: string, id: string) => {
  const secret = newWebhookSecret();
  const [row] = await db
    .update(workflows)
    .set({ webhookSecretHash: await sha256Hex(secret), updatedAt: new Date().toISOString() })
    .where(and(eq(workflows.id, id), eq(workflows.orgId, orgId)))
    .returning();
  if (!row) throw notFound('Workflow');
  return { workflow: row, secret };
};

/** Whether `secret` is the workflow's webhook secret (compared as hashes, in constant time). */
export const webhookSecretMatches = async (workflow: WorkflowRow, secret: string | undefined): Promise<boolean> => {
  if (!secret || !workflow.webhookSecretHash) return false;
  return timingSafeEqual(await sha256Hex(secret), workflow.webhookSecretHash);
};

/**
 * A workflow by id alone, with its current version: for the public webhook (the secret proves the caller) and the
 * cron (the schedule names it); the row names the tenant.
 */
export const findWorkflowById = async (db: Database, id: string): Promise<WorkflowRecord | null> => {
  const rows = await withCurrentVersion(db).where(eq(workflows.id, id)).limit(1);
  return rows[0] ?? null;
};

export const deleteWorkflowRow = async (db: Database, orgId: string, id: string): Promise<boolean> => {
  const rows = await db
    .delete(workflows)
    .where(and(eq(workflows.id, id), eq(workflows.orgId, orgId)))
    .returning({ id: workflows.id });
  return rows.length > 0;
};

/**
 * Takes the cron schedules due at `now` (across tenants, a bounded batch), each moved to its next
 * time by a conditional write, so two cron runs at once start a schedule once. A schedule that was
 * due several times while nothing ran starts once, then waits for its next time.
 */
export const claimDueSchedules = async (db: Database, now: Date, limit = 50): Promise<WorkflowScheduleRow[]> => {
  const at = now.toISOString();
  const due = await db
    .select()
    .from(workflowSchedules)
    .where(lte(workflowSchedules.nextRunAt, at))
    .orderBy(asc(workflowSchedules.nextRunAt))
    .limit(limit);
  if (due.length === 0) return [];
  const claims = due.map((s) =>
    db
      .update(workflowSchedules)
      .set({ nextRunAt: nextRun(parseCron(s.cron), now).toISOString(), lastRunAt: at })
      .where(and(eq(workflowSchedules.id, s.id), eq(workflowSchedules.nextRunAt, s.nextRunAt)))
      .returning({ id: workflowSchedules.id }),
  );
  const results = await db.batch(claims as [(typeof claims)[number], ...(typeof claims)[number][]]);
  return due.filter((_, i) => (results[i] ?? []).length > 0);
};
