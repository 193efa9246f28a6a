import { describe, expect, it } from 'vitest';
import type { Checked } from './checks';
import { type Failure, failure } from './failures';
import { type AgentRunPorts, type Capability, runAgent, type Started } from './graph';
import type { AgentState, RunEnd, RunSnapshot } from './state';

/** Durable steps as the Workflows runtime keeps them: a name that succeeded once returns its value. */
const durableSteps = () => {
  const kept = new Map<string, unknown>();
  const ran: string[] = [];
  return {
    ran,
    steps: {
      async do<T>(name: string, fn: () => Promise<T>): Promise<T> {
        if (kept.has(name)) return kept.get(name) as T;
        ran.push(name);
        const value = await fn();
        kept.set(name, value);
        return value;
      },
    },
  };
};

const snapshot = (overrides: Partial<RunSnapshot> = {}): RunSnapshot => ({
  status: 'queued',
  request: 'Draw a logo for a coffee shop',
  route: null,
  cacheBypass: false,
  createdBy: 'usr_1',
  ...overrides,
});

const done: Checked = {
  ok: true,
  result: { image_ids: ['img_1'], job_id: 'job_1', download_urls: ['/api/v1/images/img_1/download'] },
  tokens_used: 1000,
};
const notReady = (f: Failure): Checked => ({ ok: false, failure: f, tokens_used: 0 });

/** A capability whose attempts start and check as scripted, recording the `previous` failures it was given. */
const scripted = (checks: Checked[], starts: Started[] = []) => {
  const previous: (Failure | null)[] = [];
  let attempt = 0;
  const capability: Capability = {
    async start(_task, prev) {
      previous.push(prev);
      const scriptedStart = starts[attempt];
      attempt += 1;
      return (
        scriptedStart ?? { ok: true, work: { kind: 'job', job_id: `job_${attempt}`, resource_id: `img_${attempt}` } }
      );
    },
    async settle() {},
    async check() {
      return checks.shift()!;
    },
  };
  return { capability, previous };
};

const harness = (capability: Capability, run = snapshot()) => {
  const { steps, ran } = durableSteps();
  const saved: AgentState[] = [];
  const ends: Array<{ state: AgentState; end: RunEnd }> = [];
  const unused: Capability = {
    start: async () => {
      throw new Error('not this route');
    },
    settle: async () => {},
    check: async () => {
      throw new Error('not this route');
    },
  };
  const ports: AgentRunPorts = {
    steps,
    load: async () => run,
    save: async (state) => {
      saved.push(state);
    },
    finish: async (state, end) => {
      ends.push({ state, end });
    },
    intent: async () => ({
      ok: true,
      task: { route: 'image', title: 'Logo', prompt: run.request, format: 'docx' },
      routedBy: 'keywords',
      fallback: null,
      tokens_used: 40,
    }),
    capabilities: { image: capability, document: unused, kb_query: unused },
  };
  return { ports, ran, saved, ends };
};

describe('the agent graph', () => {
  it('parse_intent → image_agent → validate → end, writing each step before its work', async () => {
    const { capability } = scripted([done]);
    const h = harness(capability);
    expect(await runAgent(h.ports)).toEqual({ status: 'done', route: 'image' });
    expect(h.ran).toEqual(['load', 'parse_intent', 'image_agent', 'validate', 'end']);
    expect(h.saved.map((s) => s.currentStep)).toEqual(['parse_intent', 'image_agent', 'validate']);
    expect(h.saved[2]).toMatchObject({
      route: 'image',
      routedBy: 'keywords',
      completedSteps: ['parse_intent', 'image_agent'],
    });
    expect(h.ends[0]!.state).toMatchObject({
      status: 'done',
      currentStep: 'end',
      completedSteps: ['parse_intent', 'image_agent', 'validate'],
      tokensUsed: 1040,
      retryCount: 0,
      errors: [],
    });
  });

  it('a replay after a restart takes the same path and does nothing twice', async () => {
    const { capability } = scripted([done]);
    const h = harness(capability);
    await runAgent(h.ports);
    const again = await runAgent(h.ports);
    expect(again).toEqual({ status: 'done', route: 'image' });
    expect(h.ran).toEqual(['load', 'parse_intent', 'image_agent', 'validate', 'end']);
  });

  it('a failed validation is retried once with its error; the second attempt passes', async () => {
    const first = failure('AI_PROVIDER_ERROR', 'The provider failed');
    const { capability, previous } = scripted([notReady(first), done]);
    const h = harness(capability);
    expect((await runAgent(h.ports)).status).toBe('done');
    expect(previous).toEqual([null, first]);
    expect(h.ran).toEqual([
      'load',
      'parse_intent',
      'image_agent',
      'validate',
      'image_agent (attempt 2)',
      'validate (attempt 2)',
      'end',
    ]);
    expect(h.ends[0]!.state).toMatchObject({
      retryCount: 1,
      errors: ['validate: AI_PROVIDER_ERROR: The provider failed'],
      completedSteps: ['parse_intent', 'image_agent', 'validate', 'image_agent', 'validate'],
    });
  });

  it('two failures end the run error with the last code', async () => {
    const f = failure('AI_INVALID_OUTPUT', 'Not an image');
    const { capability } = scripted([notReady(f), notReady(f)]);
    const h = harness(capability);
    expect(await runAgent(h.ports)).toEqual({ status: 'error', route: 'image', error_code: 'AI_INVALID_OUTPUT' });
    const { state, end } = h.ends[0]!;
    expect(end).toEqual({
      status: 'error',
      failure: { code: 'AI_INVALID_OUTPUT', message: 'Gave up after 2 attempts: Not an image', retryable: true },
    });
    expect(state).toMatchObject({ status: 'error', currentStep: 'validate', retryCount: 1 });
    expect(state.errors).toHaveLength(2);
  });

  it('a failure a retry cannot mend ends the run at once', async () => {
    const broke = failure('INSUFFICIENT_TOKENS', 'Not enough tokens');
    const { capability, previous } = scripted([], [{ ok: false, failure: broke }]);
    const h = harness(capability);
    expect(await runAgent(h.ports)).toEqual({ status: 'error', route: 'image', error_code: 'INSUFFICIENT_TOKENS' });
    expect(previous).toHaveLength(1);
    expect(h.ends[0]!.state).toMatchObject({
      retryCount: 0,
      currentStep: 'image_agent',
      errors: ['image_agent: INSUFFICIENT_TOKENS: Not enough tokens'],
    });
  });

  it('a route given with the request skips the intent step; an ended run is left alone', async () => {
    const { capability } = scripted([done]);
    const h = harness(capability, snapshot({ route: 'image' }));
    await runAgent(h.ports);
    expect(h.ran).toEqual(['load', 'image_agent', 'validate', 'end']);
    expect(h.ends[0]!.state).toMatchObject({ route: 'image', routedBy: null });

    const ended = harness(scripted([done]).capability, snapshot({ status: 'error' }));
    expect(await runAgent(ended.ports)).toEqual({ status: 'skipped', route: null });
    expect(ended.ran).toEqual(['load']);
  });

  it('a step that keeps throwing ends the run INTERNAL_ERROR instead of leaving it running', async () => {
    const capability: Capability = {
      start: async () => {
        throw new Error('D1 is down at /srv/secret');
      },
      settle: async () => {},
      check: async () => done,
    };
    const h = harness(capability);
    expect(await runAgent(h.ports)).toMatchObject({ status: 'error', error_code: 'INTERNAL_ERROR' });
    expect(h.ends[0]!.end).toEqual({
      status: 'error',
      failure: { code: 'INTERNAL_ERROR', message: 'The run failed because of an internal error', retryable: true },
    });
  });
});
