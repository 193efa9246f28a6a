import { type AiProvider, createLocalProvider } from '@flowspark/ai';
import { setAiProviderFactory } from '../../workers/lib/ai';
import { env, expectOk, type TestTenant } from '../helpers/harness';
import { eventually } from '../jobs/helpers';

/**
 * A run that renders a document waits for its job with durable sleeps that double (0.5 s, 1 s, 2 s…),
 * and the first PDF of a runtime loads its fonts: such tests get more than the default 20 s.
 */
export const DOCUMENT_RUN_TIMEOUT_MS = 45_000;

export const AGENTS = '/api/v1/agents';

/** POST /agents/run as the tenant's owner; the 202's run. */
export const startRun = async (
  tenant: Pick<TestTenant, 'as'>,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
) => expectOk(await tenant.as('POST', `${AGENTS}/run`, { body, headers }), 202).body.data as Record<string, any>;

/**
 * Waits until the run has ended (reading its row: polling the API would spend the tenant's rate
 * limit), then answers GET /agents/runs/{id}.
 */
export const runEnded = async (tenant: Pick<TestTenant, 'as'>, id: string, timeoutMs = 40_000) => {
  await eventually(async () => {
    const row = await env.DB.prepare('SELECT status FROM agent_runs WHERE id = ?').bind(id).first<{ status: string }>();
    return row?.status === 'done' || row?.status === 'error' ? true : undefined;
  }, timeoutMs);
  return expectOk(await tenant.as('GET', `${AGENTS}/runs/${id}`)).body.data as Record<string, any>;
};

/** Starts a run and waits for its end. */
export const runToEnd = async (tenant: Pick<TestTenant, 'as'>, body: Record<string, unknown>) =>
  runEnded(tenant, (await startRun(tenant, body)).id);

/**
 * Runs `fn` with the local provider, some of whose operations are replaced, through the documented
 * override of workers/lib/ai.ts (the runs' durable steps run in this isolate, so they use it too);
 * restored afterwards.
 */
export const withProvider = async <T>(overrides: Partial<AiProvider>, fn: () => Promise<T>): Promise<T> => {
  const fake: AiProvider = { ...createLocalProvider(), ...overrides };
  setAiProviderFactory(() => fake);
  try {
    return await fn();
  } finally {
    setAiProviderFactory(null);
  }
};

const walletOf = (orgId: string) => env.TOKEN_WALLET.get(env.TOKEN_WALLET.idFromName(orgId));

/** Holds all but `keep` of the available tokens in a long reservation. */
export const leaveAvailable = async (orgId: string, keep: number) => {
  const view = await walletOf(orgId).view(orgId);
  const outcome = await walletOf(orgId).reserve(orgId, {
    amount: view.available - keep,
    feature: 'test.hold',
    ttl_ms: 60 * 60 * 1000,
  });
  if (!outcome.ok) throw new Error('hold refused');
};

export const readRow = (table: 'documents' | 'images' | 'jobs', id: string) =>
  env.DB.prepare(`SELECT * FROM ${table} WHERE id = ?`).bind(id).first<Record<string, any>>();
