import { isAiProviderError } from '@flowspark/ai';
import { generationEstimate } from '@flowspark/billing';
import { AppError } from '@flowspark/core';
import { createDb } from '@flowspark/db';
import { startGeneration } from '@flowspark/documents';
import { enqueueJob } from '@flowspark/jobs';
import { answerKb, KB_DEFAULT_TOP_K, prepareKbAnswer } from '@flowspark/kb';
import { createNotifications, organizationAdmins } from '@flowspark/notifications';
import { checkWebhookUrl } from '@flowspark/webhooks';
import { recordAiRequest } from '@flowspark/workflows/ai-requests';
import { HTTP_METHODS, type WorkflowStep } from '@flowspark/workflows/definition';
import { llmOutput, StepError } from '@flowspark/workflows/run';
import { toText } from '@flowspark/workflows/template';
import type { Env } from '../env';
import { aiProvider } from '../lib/ai';
import { cachedChat } from '../lib/ai-cache';
import { kbPorts, kbSearchOptions } from '../lib/kb-ports';
import { hostResolver, outboundFetch } from '../lib/outbound';
import { billedProvider, withReservedTokens } from '../lib/wallet';

/** Who and what a step runs for. */
export interface StepRun {
  orgId: string;
  executionId: string;
  workflowId: string;
  stepId: string;
  /** Who ran the workflow (null for a cron or webhook run). */
  userId: string | null;
  cacheBypass: boolean;
}

export interface StepResult {
  output: unknown;
  tokens: number;
}

/**
 * A failure as a step error: what money or a fix of the input must settle is final (no tokens, 4xx
 * of the API itself), what time may cure is retried (a provider's transient error, anything unknown).
 */
export const asStepError = (err: unknown): StepError => {
  if (err instanceof StepError) return err;
  if (err instanceof AppError) {
    return new StepError(err.code, err.message, err.status >= 500 || err.status === 429);
  }
  if (isAiProviderError(err)) return new StepError('AI_PROVIDER_ERROR', err.message, err.retryable);
  return new StepError('STEP_FAILED', err instanceof Error ? err.message : String(err), true);
};

const runLlm = async (env: Env, run: StepRun, input: Record<string, unknown>): Promise<StepResult> => {
  const prompt = toText(input.prompt);
  const system = input.system === undefined ? undefined : toText(input.system);
  const result = await cachedChat(
    env,
    {
      orgId: run.orgId,
      feature: 'workflow.step',
      userId: run.userId,
      bypass: run.cacheBypass,
      resourceId: run.executionId,
    },
    {
      messages: [...(system ? [{ role: 'system' as const, content: system }] : []), { role: 'user', content: prompt }],
      ...(typeof input.model === 'string' ? { model: input.model } : {}),
      ...(typeof input.temperature === 'number' ? { temperature: input.temperature } : {}),
      ...(typeof input.max_tokens === 'number' ? { max_tokens: input.max_tokens } : {}),
    },
  );
  const paid = result.cache === 'hit' ? 0 : result.usage.total_tokens;
  await recordAiRequest(createDb(env.DB), {
    orgId: run.orgId,
    purpose: 'llm',
    executionId: run.executionId,
    stepId: run.stepId,
    model: result.model,
    provider: result.provider,
    prompt: system ? `${system}\n\n${prompt}` : prompt,
    inputTokens: result.cache === 'hit' ? 0 : result.usage.prompt_tokens,
    outputTokens: result.cache === 'hit' ? 0 : result.usage.completion_tokens,
    cacheStatus: result.cache,
    latencyMs: result.latency_ms,
  });
  return { output: llmOutput(result.text, input.response_format as 'text' | 'json' | undefined), tokens: paid };
};

const runKbQuery = async (env: Env, run: StepRun, input: Record<string, unknown>): Promise<StepResult> => {
  const ports = kbPorts(env);
  const query = toText(input.query).trim();
  if (!query) throw new StepError('KB_QUERY_EMPTY', 'The query is empty once its templates are filled in', false);
  if (!run.userId) throw new StepError('NO_ACTOR', 'The workflow has no user to ask the knowledge base for', false);
  const actor = { orgId: run.orgId, userId: run.userId };
  const prepared = await prepareKbAnswer(
    ports,
    run.orgId,
    { query: query.slice(0, 2_000), top_k: (input.top_k as number) ?? KB_DEFAULT_TOP_K, mode: 'hybrid', filters: {} },
    kbSearchOptions(env),
  );
  const ai = billedProvider(env, aiProvider(env), {
    orgId: run.orgId,
    feature: 'kb.answer',
    userId: run.userId,
    resourceId: run.executionId,
  });
  const started = Date.now();
  const answer = await answerKb(ports.db, ai, actor, prepared);
  if (answer.model) {
    await recordAiRequest(ports.db, {
      orgId: run.orgId,
      purpose: 'kb_answer',
      executionId: run.executionId,
      stepId: run.stepId,
      model: answer.model,
      provider: aiProvider(env).name,
      prompt: query,
      inputTokens: answer.usage.prompt_tokens,
      outputTokens: answer.usage.completion_tokens,
      cacheStatus: null,
      latencyMs: Date.now() - started,
    });
  }
  return {
    output: { answer: answer.answer, citations: answer.citations, query_id: answer.query_id },
    tokens: answer.usage.total_tokens,
  };
};

/** Most bytes of a response body a step keeps (its output is stored in D1). */
const MAX_RESPONSE_BYTES = 256 * 1024;
const HTTP_TIMEOUT_MS = 30_000;

const readLimited = async (res: Response): Promise<string> => {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      await reader.cancel();
      throw new StepError('HTTP_RESPONSE_TOO_LARGE', `The response is larger than ${MAX_RESPONSE_BYTES} bytes`, false);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
};

/**
 * An outgoing request under the rules of outgoing webhooks: https to a public address only (every
 * address the name resolves to), no redirect followed, 30 s at most, a bounded response.
 */
const runHttpRequest = async (input: Record<string, unknown>): Promise<StepResult> => {
  const url = toText(input.url);
  const check = await checkWebhookUrl(url, hostResolver());
  if (!check.ok) throw new StepError('HTTP_URL_REFUSED', `The URL is refused: ${check.reason}`, false);
  const method = (HTTP_METHODS as readonly string[]).includes(String(input.method)) ? String(input.method) : 'GET';
  const headers = new Headers((input.headers as Record<string, string> | undefined) ?? {});
  let body: string | undefined;
  if (input.body !== undefined && method !== 'GET') {
    body = typeof input.body === 'string' ? input.body : JSON.stringify(input.body);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  let res: Response;
  try {
    res = await outboundFetch()(check.url.toString(), {
      method,
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });
  } catch (err) {
    throw new StepError('HTTP_REQUEST_FAILED', `The request failed: ${(err as Error).message}`, true);
  }
  const text = await readLimited(res);
  const type = res.headers.get('content-type') ?? '';
  let parsed: unknown = text;
  if (type.includes('json') && text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (!res.ok) {
    const retryable = res.status >= 500 || res.status === 429 || res.status === 408;
    throw new StepError('HTTP_STATUS', `The server answered ${res.status}`, retryable);
  }
  return { output: { status: res.status, content_type: type || null, body: parsed }, tokens: 0 };
};

const runNotify = async (env: Env, run: StepRun, input: Record<string, unknown>): Promise<StepResult> => {
  const db = createDb(env.DB);
  const recipients = input.to === 'admins' ? await organizationAdmins(db, run.orgId) : run.userId ? [run.userId] : [];
  const rows = await createNotifications(db, run.orgId, recipients, {
    type: 'workflow.notify',
    title: toText(input.title).slice(0, 200),
    body: toText(input.body).slice(0, 2_000),
    data: { workflow_id: run.workflowId, execution_id: run.executionId, step_id: run.stepId },
  });
  return { output: { notified: rows.length }, tokens: 0 };
};

/** Runs one attempt of a step that is neither a condition nor a document (those need the instance). */
export const runSimpleStep = async (
  env: Env,
  run: StepRun,
  step: WorkflowStep,
  input: Record<string, unknown>,
): Promise<StepResult> => {
  try {
    switch (step.type) {
      case 'llm':
        return await runLlm(env, run, input);
      case 'kb_query':
        return await runKbQuery(env, run, input);
      case 'http_request':
        return await runHttpRequest(input);
      case 'notify':
        return await runNotify(env, run, input);
      default:
        throw new StepError('STEP_TYPE_UNSUPPORTED', `Step type ${step.type} runs elsewhere`, false);
    }
  } catch (err) {
    throw asStepError(err);
  }
};

/**
 * Starts a document step's generation as `POST /documents/generate` does: the tokens it may use held
 * from the wallet (released if nothing is written), the document and its job written, the job sent.
 * The output names both; the instance then waits for the job.
 */
export const startDocument = async (env: Env, run: StepRun, input: Record<string, unknown>): Promise<StepResult> => {
  const userId = run.userId;
  if (!userId) throw new StepError('NO_ACTOR', 'The workflow has no user to generate the document for', false);
  const optional = (v: unknown) => (v === undefined || v === null ? undefined : toText(v));
  const prompt = optional(input.prompt);
  const request = {
    kind: 'document' as const,
    title: (optional(input.title) ?? 'Document').slice(0, 200),
    format: input.format as 'docx' | 'pdf' | 'xlsx',
    ...(prompt !== undefined ? { prompt } : {}),
    ...(typeof input.template_id === 'string' ? { template_id: input.template_id } : {}),
    ...(input.input_data && typeof input.input_data === 'object'
      ? { input_data: input.input_data as Record<string, unknown> }
      : {}),
  };
  const started = await withReservedTokens(
    env,
    { orgId: run.orgId, feature: 'document.generate' },
    generationEstimate([request.prompt, request.title, JSON.stringify(request.input_data ?? {})]),
    (reservationId) => startGeneration(createDb(env.DB), { orgId: run.orgId, userId }, request, reservationId),
  );
  // A message that is not sent is sent again by stuck-job recovery: the job row is what counts.
  await enqueueJob(env.JOBS, started.job).catch(() => undefined);
  return { output: { document_id: started.document.id, job_id: started.job.id }, tokens: 0 };
};
