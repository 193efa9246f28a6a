/**
 * Agent run rows (table `agent_runs`). A request writes the run `queued`; its durable instance moves
 * it through its steps and ends it. Writes are guarded by status: a run that ended (done, error,
 * cancelled) is
 * never changed again, so an instance started twice, or a start that was given up on, cannot undo
 * an end. Every query is scoped to the tenant.
 */
import { type Actor, conflict, newId, notFound, type PageRequest } from '@flowspark/core';
import { type Database, paginateNewestFirst, schema } from '@flowspark/db';
import { and, eq, inArray, type SQL } from 'drizzle-orm';
import type { AgentRoute } from './intent';
import type { AgentRunStatus, AgentState, RunEnd, RunSnapshot } from './state';

const { agentRuns } = schema;

export type AgentRunRow = typeof agentRuns.$inferSelect;

export const AGENT_RUN_STATUSES = [
  'queued',
  'running',
  'done',
  'error',
  'cancelled',
] as const satisfies readonly AgentRunStatus[];

export interface NewAgentRun {
  request: string;
  /** The route the caller chose (no intent step). */
  route?: AgentRoute;
  /** Asked with `Cache-Control: no-cache`: the intent call does not read the semantic cache. */
  cacheBypass: boolean;
}

export const createAgentRun = async (
  db: Database,
  actor: Pick<Actor, 'orgId' | 'userId'>,
  input: NewAgentRun,
): Promise<AgentRunRow> => {
  const now = new Date().toISOString();
  const row: AgentRunRow = {
    id: newId('agr'),
    orgId: actor.orgId,
    request: input.request,
    status: 'queued',
    route: input.route ?? null,
    routedBy: null,
    currentStep: null,
    completedSteps: [],
    errors: [],
    retryCount: 0,
    result: null,
    errorCode: null,
    errorMessage: null,
    cacheBypass: input.cacheBypass,
    tokensUsed: 0,
    createdBy: actor.userId,
    createdAt: now,
    updatedAt: now,
    finishedAt: null,
  };
  await db.insert(agentRuns).values(row);
  return row;
};

export const getAgentRun = async (db: Database, orgId: string, id: string): Promise<AgentRunRow | null> => {
  const [row] = await db
    .select()
    .from(agentRuns)
    .where(and(eq(agentRuns.id, id), eq(agentRuns.orgId, orgId)))
    .limit(1);
  return row ?? null;
};

export const listAgentRuns = (
  db: Database,
  orgId: string,
  query: PageRequest & { status?: AgentRunStatus; route?: AgentRoute },
): Promise<{ items: AgentRunRow[]; total: number }> => {
  const conditions: SQL[] = [eq(agentRuns.orgId, orgId)];
  if (query.status) conditions.push(eq(agentRuns.status, query.status));
  if (query.route) conditions.push(eq(agentRuns.route, query.route));
  return paginateNewestFirst(db, agentRuns, and(...conditions), query);
};

/** What the runner's first step needs of the run (a plain value, kept with the step). */
export const snapshotOf = (row: AgentRunRow): RunSnapshot => ({
  status: row.status,
  request: row.request,
  route: row.route,
  cacheBypass: row.cacheBypass,
  createdBy: row.createdBy,
});

const live = (orgId: string, id: string) =>
  and(eq(agentRuns.id, id), eq(agentRuns.orgId, orgId), inArray(agentRuns.status, ['queued', 'running']));

const stateColumns = (state: AgentState) => ({
  route: state.route,
  routedBy: state.routedBy,
  currentStep: state.currentStep,
  completedSteps: state.completedSteps,
  errors: state.errors,
  retryCount: state.retryCount,
  tokensUsed: state.tokensUsed,
});

/** Writes the state of a run still going (the whole state: a repeated write changes nothing). False when it ended. */
export const saveAgentState = async (db: Database, orgId: string, id: string, state: AgentState): Promise<boolean> => {
  const rows = await db
    .update(agentRuns)
    .set({ ...stateColumns(state), status: 'running', updatedAt: new Date().toISOString() })
    .where(live(orgId, id))
    .returning({ id: agentRuns.id });
  return rows.length > 0;
};

/** Ends a run with its result or failure; null when it had ended already. */
export const finishAgentRun = async (
  db: Database,
  orgId: string,
  id: string,
  state: AgentState,
  end: RunEnd,
): Promise<AgentRunRow | null> => {
  const now = new Date().toISOString();
  const [row] = await db
    .update(agentRuns)
    .set({
      ...stateColumns(state),
      status: end.status,
      result: end.status === 'done' ? (end.result as unknown as Record<string, unknown>) : null,
      errorCode: end.status === 'error' ? end.failure.code : null,
      errorMessage: end.status === 'error' ? end.failure.message : null,
      updatedAt: now,
      finishedAt: now,
    })
    .where(live(orgId, id))
    .returning();
  return row ?? null;
};

/** A run whose instance could not be started: it ends `error` at once rather than waiting forever. */
export const failAgentRunStart = async (
  db: Database,
  orgId: string,
  id: string,
  code: string,
  message: string,
): Promise<AgentRunRow | null> => {
  const now = new Date().toISOString();
  const [row] = await db
    .update(agentRuns)
    .set({ status: 'error', errorCode: code, errorMessage: message, updatedAt: now, finishedAt: now })
    .where(live(orgId, id))
    .returning();
  return row ?? null;
};

/**
 * Cancels a queued or running run: `cancelled` at once (the caller stops its instance; what the
 * instance still writes is refused by the status guard). 409 for a run that already ended.
 */
export const cancelAgentRun = async (db: Database, orgId: string, id: string): Promise<AgentRunRow> => {
  const now = new Date().toISOString();
  const [row] = await db
    .update(agentRuns)
    .set({
      status: 'cancelled',
      errorCode: 'CANCELLED',
      errorMessage: 'The run was cancelled',
      updatedAt: now,
      finishedAt: now,
    })
    .where(live(orgId, id))
    .returning();
  if (row) return row;
  const current = await getAgentRun(db, orgId, id);
  if (!current) throw notFound('Agent run');
  throw conflict(`The run is already ${current.status} and cannot be cancelled`, { status: current.status });
};
