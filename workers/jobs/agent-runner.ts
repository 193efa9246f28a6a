import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep, type WorkflowStepConfig } from 'cloudflare:workers';
import type { AgentRunPorts, AgentState, Capability, RunEnd, Started, StartedWork } from '@flowspark/agents';
import type { AiProvider, ChatRequest, ChatResult } from '@flowspark/ai';
import { describeError, logger } from '@flowspark/core';
import type { Database } from '@flowspark/db';
import type { JobRow } from '@flowspark/jobs';
import type { AiCacheStatus } from '@flowspark/workflows/ai-requests';
import type { Env, WorkflowRunParams } from '../env';

/**
 * What a run needs, loaded with its first event: the entry point exports this class, so anything
 * imported at the top would load with every start of the jobs Worker (documents, the knowledge base,
 * the AI adapters). @hono/zod-openapi comes first, before any package builds a zod schema (see
 * consumer.ts): in a Worker that also serves the API, route contracts call `.openapi()` on them.
 */
const loadModules = async () => {
  await import('@hono/zod-openapi');
  const [agents, billing, db, documents, jobs, kb, aiRequests, ai, aiCache, jobEvents, kbPorts, wallet] =
    await Promise.all([
      import('@flowspark/agents'),
      import('@flowspark/billing'),
      import('@flowspark/db'),
      import('@flowspark/documents'),
      import('@flowspark/jobs'),
      import('@flowspark/kb'),
      import('@flowspark/workflows/ai-requests'),
      import('../lib/ai'),
      import('../lib/ai-cache'),
      import('../lib/job-events'),
      import('../lib/kb-ports'),
      import('../lib/wallet'),
    ]);
  return { agents, billing, db, documents, jobs, kb, aiRequests, ai, aiCache, jobEvents, kbPorts, wallet };
};
type Modules = Awaited<ReturnType<typeof loadModules>>;

/**
 * Steps retry a few times on their own: they catch the failures they expect, so what reaches here is
 * infrastructure (D1, a Durable Object) failing for a moment. Outputs hold tenant content (the
 * request, an answer): they are marked sensitive, kept out of the Workflows dashboard.
 */
const STEP_CONFIG: WorkflowStepConfig = {
  retries: { limit: 2, delay: '1 second', backoff: 'exponential' },
  timeout: '5 minutes',
  sensitive: 'output',
};

/** A second knowledge-base attempt looks further: more passages for the model to answer from. */
const KB_RETRY_TOP_K = 10;

/** One run's context: its bindings, modules, database and ids. */
interface RunContext {
  env: Env;
  m: Modules;
  db: Database;
  orgId: string;
  runId: string;
}

/** Who the run acts for: its creator (a user, or an API key's creator). */
const actorOf = (ctx: RunContext, createdBy: string | null) => {
  if (!createdBy) throw new Error('The run has no creator');
  return { orgId: ctx.orgId, userId: createdBy };
};

type RecordedChat = ChatResult & { cache?: AiCacheStatus; latency_ms?: number };

/** `base`, with its chat calls made by `chat`, each recorded as an AI request of the run (model, tokens, time, cache). */
const recordedProvider = (
  ctx: RunContext,
  purpose: string,
  base: AiProvider,
  chat: (req: ChatRequest) => Promise<RecordedChat>,
  spent: { tokens: number },
): AiProvider => ({
  name: base.name,
  embed: (texts, opts) => base.embed(texts, opts),
  generateImage: (req) => base.generateImage(req),
  chatStream: (req) => base.chatStream(req),
  async chat(req) {
    const started = Date.now();
    const result = await chat(req);
    // A cached answer cost the wallet nothing.
    if (result.cache !== 'hit') spent.tokens += result.usage.total_tokens;
    await ctx.m.aiRequests.recordAiRequest(ctx.db, {
      orgId: ctx.orgId,
      agentRunId: ctx.runId,
      purpose,
      model: result.model,
      provider: result.provider,
      prompt: req.messages.map((message) => `${message.role}: ${message.content}`).join('\n'),
      inputTokens: result.usage.prompt_tokens,
      outputTokens: result.usage.completion_tokens,
      cacheStatus: result.cache ?? null,
      latencyMs: result.latency_ms ?? Date.now() - started,
    });
    return result;
  },
});

/**
 * A job's start that never throws: tokens reserved first (402 before anything is written), the
 * reservation freed when writing fails, the message sent (if sending fails the job stays queued and
 * the scheduled recovery sends it). Failures are returned for the graph to judge.
 */
const startJob = async (
  ctx: RunContext,
  hold: { feature: 'document.generate' | 'image.generate'; amount: number },
  write: (reservationId: string) => Promise<{ job: JobRow; resourceId: string }>,
): Promise<Started> => {
  try {
    const written = await ctx.m.wallet.withReservedTokens(
      ctx.env,
      { orgId: ctx.orgId, feature: hold.feature },
      hold.amount,
      write,
    );
    try {
      await ctx.m.jobs.enqueueJob(ctx.env.JOBS, written.job);
    } catch (err) {
      logger.warn('agent run job not enqueued', { run_id: ctx.runId, job_id: written.job.id, ...describeError(err) });
    }
    return { ok: true, work: { kind: 'job', job_id: written.job.id, resource_id: written.resourceId } };
  } catch (err) {
    return { ok: false, failure: ctx.m.agents.failureOf(err) };
  }
};

const jobOf = (work: StartedWork) => {
  if (work.kind !== 'job') throw new Error('This capability works through a job');
  return work;
};

const documentCapability = (ctx: RunContext, settle: Capability['settle']): Capability => {
  const { m, db, orgId } = ctx;
  return {
    start: (task, previous, run) => {
      const prompt = previous
        ? m.agents.withPreviousError(task.prompt, previous, m.documents.MAX_PROMPT_CHARS)
        : task.prompt;
      return startJob(
        ctx,
        { feature: 'document.generate', amount: m.billing.generationEstimate([prompt, task.title, '', '{}']) },
        async (reservationId) => {
          const { document, job } = await m.documents.startGeneration(
            db,
            actorOf(ctx, run.createdBy),
            { kind: 'document', title: task.title, format: task.format, prompt },
            reservationId,
          );
          return { job, resourceId: document.id };
        },
      );
    },
    settle,
    check: async (work) => {
      const { job_id, resource_id } = jobOf(work);
      const [job, doc] = await Promise.all([
        m.jobs.getJob(db, orgId, job_id),
        m.documents.getDocument(db, orgId, 'document', resource_id),
      ]);
      return m.agents.checkDocument(job, doc);
    },
  };
};

const imageCapability = (ctx: RunContext, settle: Capability['settle']): Capability => {
  const { m, db, orgId } = ctx;
  return {
    start: (task, previous, run) => {
      const prompt = previous
        ? m.agents.withPreviousError(task.prompt, previous, m.documents.MAX_IMAGE_PROMPT)
        : task.prompt;
      return startJob(ctx, { feature: 'image.generate', amount: m.billing.IMAGE_TOKENS }, async (reservationId) => {
        const { image, job } = await m.documents.createImageGeneration(
          db,
          actorOf(ctx, run.createdBy),
          { prompt },
          reservationId,
        );
        return { job, resourceId: image.id };
      });
    },
    settle,
    check: async (work) => {
      const { job_id, resource_id } = jobOf(work);
      const [job, image] = await Promise.all([
        m.jobs.getJob(db, orgId, job_id),
        m.documents.getImage(db, orgId, resource_id),
      ]);
      return m.agents.checkImage(job, image);
    },
  };
};

/** The knowledge base answers within its step: retrieval, then one billed answer recorded as an AI request. */
const kbCapability = (ctx: RunContext): Capability => {
  const { m, env, db, orgId, runId } = ctx;
  return {
    start: async (task, previous, run) => {
      try {
        const actor = actorOf(ctx, run.createdBy);
        const prepared = await m.kb.prepareKbAnswer(
          { ...m.kbPorts.kbPorts(env), db },
          orgId,
          {
            query: task.prompt.slice(0, m.kb.KB_MAX_QUERY_CHARS),
            top_k: previous ? KB_RETRY_TOP_K : m.kb.KB_DEFAULT_TOP_K,
            mode: 'hybrid',
            filters: {},
          },
          m.kbPorts.kbSearchOptions(env),
        );
        if (previous && prepared.messages)
          prepared.messages = m.agents.withPreviousErrorNote(prepared.messages, previous);
        const billed = m.wallet.billedProvider(env, m.ai.aiProvider(env), {
          orgId,
          feature: 'kb.answer',
          userId: actor.userId,
          resourceId: runId,
        });
        const ai = recordedProvider(ctx, 'kb_answer', billed, (req) => billed.chat(req), { tokens: 0 });
        const answer = await m.kb.answerKb(db, ai, actor, prepared);
        return { ok: true, work: { kind: 'answer', answer: m.agents.kbAnswerOf(answer, prepared.sources.length > 0) } };
      } catch (err) {
        return { ok: false, failure: m.agents.failureOf(err) };
      }
    },
    settle: async () => {},
    check: async (work) => {
      if (work.kind !== 'answer') throw new Error('The knowledge base answers within its step');
      return m.agents.checkKbAnswer(work.answer);
    },
  };
};

/** The graph's ports, from the jobs Worker's bindings and the instance's steps. */
const agentPorts = (ctx: RunContext, step: WorkflowStep): AgentRunPorts => {
  const { m, env, db, orgId, runId } = ctx;
  const publish = (state: AgentState, end?: RunEnd) =>
    m.jobEvents.publishRunEvent(env, orgId, {
      type: 'agent.status',
      run_id: runId,
      ...m.agents.statusEvent(state, end),
    });
  const settleJob: Capability['settle'] = async (work, name) => {
    const { awaitJob } = await import('./await-job');
    await awaitJob(step, env, orgId, jobOf(work).job_id, name);
  };

  return {
    steps: {
      // Values travel as JSON text: the graph's values are plain data, and step.do's own
      // serializability constraint cannot be stated for a generic T.
      do: async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
        const text = await step.do(name, STEP_CONFIG, async () => JSON.stringify({ value: await fn() }));
        return (JSON.parse(text) as { value: T }).value;
      },
    },
    load: async () => {
      const row = await m.agents.getAgentRun(db, orgId, runId);
      return row ? m.agents.snapshotOf(row) : null;
    },
    save: async (state) => {
      if (await m.agents.saveAgentState(db, orgId, runId, state)) await publish(state);
    },
    finish: async (state, end) => {
      if (await m.agents.finishAgentRun(db, orgId, runId, state, end)) await publish(state, end);
    },
    intent: async (run) => {
      const spent = { tokens: 0 };
      const provider = recordedProvider(
        ctx,
        'intent',
        m.ai.aiProvider(env),
        (req) =>
          m.aiCache.cachedChat(
            env,
            { orgId, feature: 'agent.run', userId: run.createdBy, bypass: run.cacheBypass, resourceId: runId },
            req,
          ),
        spent,
      );
      const decision = await m.agents.parseIntent(provider, run.request);
      if (decision.ok && decision.fallback) {
        logger.info('agent intent routed by keywords', { run_id: runId, error_code: decision.fallback.code });
      }
      return { ...decision, tokens_used: spent.tokens };
    },
    capabilities: {
      document: documentCapability(ctx, settleJob),
      image: imageCapability(ctx, settleJob),
      kb_query: kbCapability(ctx),
    },
  };
};

/** Runs one agent run (intent → capability → validation) as a durable Workflow instance. */
export class AgentRunRunner extends WorkflowEntrypoint<Env, WorkflowRunParams> {
  override async run(event: WorkflowEvent<WorkflowRunParams>, step: WorkflowStep): Promise<unknown> {
    const { org_id: orgId, run_id: runId } = event.payload;
    const m = await loadModules();
    const ctx: RunContext = { env: this.env, m, db: m.db.createDb(this.env.DB), orgId, runId };
    return m.agents.runAgent(agentPorts(ctx, step));
  }
}
