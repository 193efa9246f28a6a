import { type ChatRequest, type ChatResult, createLocalProvider } from '@flowspark/ai';
import { expect } from 'vitest';
import { setAiProviderFactory } from '../../workers/lib/ai';
import { setHostResolver, setWebhookFetch } from '../../workers/lib/outbound';
import { expectOk, type TestTenant } from '../helpers/harness';
import { eventually } from '../jobs/helpers';

export const WORKFLOWS = '/api/v1/workflows';
export const EXECUTIONS = '/api/v1/executions';

export const createWorkflow = async (tenant: TestTenant, body: Record<string, unknown>) =>
  expectOk(await tenant.as('POST', WORKFLOWS, { body: { name: 'Flow', ...body } }), 201).body.data as Record<
    string,
    any
  >;

/** POST /workflows/{id}/run; the 202's data. */
export const runWorkflow = async (
  tenant: TestTenant,
  id: string,
  input: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) => expectOk(await tenant.as('POST', `${WORKFLOWS}/${id}/run`, { body: { input }, headers }), 202).body.data;

export const getExecution = async (tenant: TestTenant, id: string) =>
  expectOk(await tenant.as('GET', `${EXECUTIONS}/${id}`)).body.data as Record<string, any>;

/** Polls the execution until it has one of `statuses` (default: any end). */
export const waitForExecution = (
  tenant: TestTenant,
  id: string,
  statuses: string[] = ['done', 'error', 'cancelled'],
  timeoutMs = 15_000,
) =>
  eventually(async () => {
    const execution = await getExecution(tenant, id);
    return statuses.includes(execution.status) ? execution : undefined;
  }, timeoutMs);

export const stepOf = (execution: Record<string, any>, stepId: string) => {
  const step = execution.steps.find((s: any) => s.step_id === stepId);
  expect(step, `step ${stepId}`).toBeDefined();
  return step as Record<string, any>;
};

/** Chat calls answered by `answer` (the rest of the provider stays the local one); the calls are recorded. */
export const withChat = async <T>(
  answer: (req: ChatRequest, index: number) => string | Promise<string>,
  fn: (calls: ChatRequest[]) => Promise<T>,
): Promise<T> => {
  const calls: ChatRequest[] = [];
  const local = createLocalProvider();
  const fake = {
    ...local,
    chat: async (req: ChatRequest): Promise<ChatResult> => {
      calls.push(req);
      const text = await answer(req, calls.length - 1);
      return {
        text,
        model: req.model ?? 'fake-chat',
        provider: 'local',
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, estimated: false },
      };
    },
  };
  setAiProviderFactory(() => fake);
  try {
    return await fn(calls);
  } finally {
    setAiProviderFactory(null);
  }
};

export interface HttpCall {
  url: string;
  method: string;
  body: string;
}

/**
 * Outgoing requests answered by `answer` (api.example.com resolves to a public address,
 * internal.example.com to a private one); restored afterwards.
 */
export const withHttp = async <T>(
  answer: (call: HttpCall, index: number) => Response | Promise<Response>,
  fn: (calls: HttpCall[]) => Promise<T>,
): Promise<T> => {
  const calls: HttpCall[] = [];
  setHostResolver(async (name) => {
    if (name === 'api.example.com') return ['93.184.216.34'];
    if (name === 'internal.example.com') return ['10.0.0.8'];
    throw new Error('NXDOMAIN');
  });
  setWebhookFetch(async (input, init) => {
    const request = new Request(input, init);
    const call = {
      url: request.url,
      method: request.method,
      body: request.method === 'GET' ? '' : await request.text(),
    };
    calls.push(call);
    return answer(call, calls.length - 1);
  });
  try {
    return await fn(calls);
  } finally {
    setHostResolver(null);
    setWebhookFetch(null);
  }
};
