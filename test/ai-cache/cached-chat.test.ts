import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { billingPlans } from '@flowspark/billing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Env } from '../../workers/env';
import { cacheBypassRequested, cachedChat, semanticCache } from '../../workers/lib/ai-cache';
import { walletView } from '../../workers/lib/wallet';
import type { SemanticCache } from '../../workers/objects/semantic-cache';
import { restoreProvider } from '../chat/helpers';
import { createTenant, env } from '../helpers/harness';
import { ask, chat, countingProvider, paramsFor, SYSTEM, usageEvents } from './helpers';

afterEach(() => {
  vi.useRealTimers();
  restoreProvider();
});

const FREE_ALLOWANCE = billingPlans().free.monthly_tokens;

describe('cachedChat: hits', () => {
  it('the same prompt again is an exact hit: the cached answer, no provider call, no tokens', async () => {
    const tenant = await createTenant();
    const asked = countingProvider();
    const first = await chat(tenant, ask('How do I reset my password?'));
    expect(first).toMatchObject({ cache: 'miss', text: 'Answer 1 to: How do I reset my password?' });
    expect(first.usage.total_tokens).toBe(50);
    const balance = (await walletView(env, tenant.orgId)).balance;
    expect(balance).toBe(FREE_ALLOWANCE - 50);

    const again = await chat(tenant, ask('  How do I reset my password?  '));
    expect(again).toMatchObject({
      cache: 'hit',
      cache_match: 'exact',
      similarity: 1,
      text: first.text,
      model: first.model,
      provider: 'local',
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, estimated: false },
    });
    expect(again.latency_ms).toBeGreaterThanOrEqual(0);
    expect(asked).toHaveLength(1);
    expect(await walletView(env, tenant.orgId)).toMatchObject({ balance, reserved: 0 });
  });

  it('a close rewording is a similar hit with the local hash embeddings; an unrelated question is a miss', async () => {
    const tenant = await createTenant();
    const asked = countingProvider();
    const first = await chat(tenant, ask('How do I reset my password?'));
    const reworded = await chat(tenant, ask('how can I reset my password'));
    expect(reworded).toMatchObject({ cache: 'hit', cache_match: 'similar', text: first.text });
    expect(reworded.similarity).toBeGreaterThanOrEqual(0.95);
    const unrelated = await chat(tenant, ask('What are your opening hours on Saturday?'));
    expect(unrelated).toMatchObject({ cache: 'miss', text: 'Answer 2 to: What are your opening hours on Saturday?' });
    // A near miss: the same words but one (Sunday) is another question.
    expect((await chat(tenant, ask('What are your opening hours on Sunday?'))).cache).toBe('miss');
    expect(asked).toHaveLength(3);
  });

  it('a changed number or an added negation is never a similar hit', async () => {
    const tenant = await createTenant();
    const asked = countingProvider();
    await chat(tenant, ask('Which plans include single sign-on?'));
    // "not" carries no weight in the hash embeddings (cosine 1), so only the guard tells them apart.
    expect((await chat(tenant, ask('Which plans do not include single sign-on?'))).cache).toBe('miss');
    expect((await chat(tenant, ask("Which plans don't include single sign-on?"))).cache).toBe('miss');
    await chat(tenant, ask('What was our revenue in 2023?'));
    expect((await chat(tenant, ask('What was our revenue in 2024?'))).cache).toBe('miss');
    expect((await chat(tenant, ask('what was our revenue in 2023'))).cache).toBe('hit');
    expect(asked).toHaveLength(5);
  });
});

describe('cachedChat: scope', () => {
  it('another model, system prompt, earlier turn, temperature, max_tokens or schema is a miss', async () => {
    const tenant = await createTenant();
    const asked = countingProvider();
    const prompt = 'How do I cancel my subscription?';
    await chat(tenant, ask(prompt));
    const variants = [
      ask(prompt, { model: 'another-model' }),
      ask(prompt, {}, 'You are a pirate. Answer in rhyme.'),
      {
        messages: [
          { role: 'system' as const, content: SYSTEM },
          { role: 'user' as const, content: 'Hello' },
          { role: 'assistant' as const, content: 'Hello! How can I help?' },
          { role: 'user' as const, content: prompt },
        ],
      },
      ask(prompt, { temperature: 0.9 }),
      ask(prompt, { max_tokens: 64 }),
      ask(prompt, { json_schema: { type: 'object', properties: { steps: { type: 'array' } } } }),
    ];
    for (const req of variants) expect((await chat(tenant, req)).cache).toBe('miss');
    expect(asked).toHaveLength(1 + variants.length);
    // Each of those is cached in its own scope now.
    for (const req of variants) expect((await chat(tenant, req)).cache).toBe('hit');
    expect(asked).toHaveLength(1 + variants.length);
  });

  it('the default model counts as the model it resolves to', async () => {
    const tenant = await createTenant();
    const asked = countingProvider();
    await chat(tenant, ask('Which browsers are supported?'));
    expect((await chat(tenant, ask('Which browsers are supported?', { model: 'local-extractive-v1' }))).cache).toBe(
      'hit',
    );
    expect(asked).toHaveLength(1);
  });

  it('never across organizations: the same prompt in another tenant asks the provider', async () => {
    const a = await createTenant();
    const b = await createTenant();
    const asked = countingProvider();
    const first = await chat(a, ask('What is the refund policy for annual plans?'));
    const other = await chat(b, ask('What is the refund policy for annual plans?'));
    expect(other.cache).toBe('miss');
    expect(other.text).not.toBe(first.text);
    expect(asked).toHaveLength(2);
    expect((await walletView(env, b.orgId)).balance).toBe(FREE_ALLOWANCE - 50);
    // And each object refuses the other organization's calls.
    await runInDurableObject(semanticCache(env, a.orgId), async (cache: SemanticCache) => {
      await expect(cache.stats(b.orgId)).rejects.toThrow(/another organization/);
    });
  });
});

describe('cachedChat: bypass, off, failures', () => {
  it('bypass (Cache-Control: no-cache) does not read the cache, and its fresh answer replaces the cached one', async () => {
    const tenant = await createTenant();
    const asked = countingProvider();
    const prompt = 'Where can I download my invoices?';
    expect((await chat(tenant, ask(prompt))).text).toBe(`Answer 1 to: ${prompt}`);
    const fresh = await chat(tenant, ask(prompt), { bypass: true });
    expect(fresh).toMatchObject({ cache: 'bypass', text: `Answer 2 to: ${prompt}` });
    expect(asked).toHaveLength(2);
    expect(await chat(tenant, ask(prompt))).toMatchObject({ cache: 'hit', text: `Answer 2 to: ${prompt}` });
    // A bypass of a prompt never asked before fills the cache too.
    await chat(tenant, ask('Does the API support pagination?'), { bypass: true });
    expect((await chat(tenant, ask('Does the API support pagination?'))).cache).toBe('hit');
    expect(asked).toHaveLength(3);
    const events = await usageEvents(tenant.orgId);
    expect(events.map((e) => e.cache_status)).toEqual(['miss', 'bypass', 'hit', 'bypass', 'hit']);
  });

  it('Cache-Control: no-cache, no-store or max-age=0 (or Pragma: no-cache) asks for a bypass', () => {
    const bypass = (init: Record<string, string>) => cacheBypassRequested(new Headers(init));
    expect(bypass({ 'cache-control': 'no-cache' })).toBe(true);
    expect(bypass({ 'Cache-Control': 'private, No-Cache' })).toBe(true);
    expect(bypass({ 'cache-control': 'no-store' })).toBe(true);
    expect(bypass({ 'cache-control': 'max-age = 0' })).toBe(true);
    expect(bypass({ pragma: 'no-cache' })).toBe(true);
    expect(bypass({ 'cache-control': 'max-age=60' })).toBe(false);
    expect(bypass({ 'cache-control': 'no-transform' })).toBe(false);
    expect(bypass({})).toBe(false);
  });

  it('AI_CACHE=off: every call asks the provider, nothing is read or stored', async () => {
    const tenant = await createTenant();
    const asked = countingProvider();
    const off = { ...env, AI_CACHE: 'off' } as Env;
    expect((await chat(tenant, ask('Is my data encrypted at rest?'), {}, off)).cache).toBe('bypass');
    expect((await chat(tenant, ask('Is my data encrypted at rest?'), {}, off)).cache).toBe('bypass');
    expect(asked).toHaveLength(2);
    expect((await semanticCache(env, tenant.orgId).stats(tenant.orgId)).entries).toBe(0);
  });

  it('a cache that cannot be reached never fails the call: the provider answers, paid as usual', async () => {
    const tenant = await createTenant();
    const asked = countingProvider();
    const unreachable = {
      idFromName: (name: string) => env.SEMANTIC_CACHE.idFromName(name),
      get: () => ({
        lookup: async () => {
          throw new Error('Durable Object reset because its code was updated');
        },
        store: async () => {
          throw new Error('unreachable');
        },
      }),
    };
    const broken = { ...env, SEMANTIC_CACHE: unreachable } as unknown as Env;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const result = await chat(tenant, ask('How long does shipping take to Canada?'), {}, broken);
    expect(result).toMatchObject({ cache: 'miss', text: 'Answer 1 to: How long does shipping take to Canada?' });
    expect(asked).toHaveLength(1);
    expect((await walletView(env, tenant.orgId)).balance).toBe(FREE_ALLOWANCE - 50);
    // Logged without the prompt.
    const lines = warn.mock.calls.map((c) => String(c[0]));
    warn.mockRestore();
    expect(lines.some((l) => l.includes('semantic cache unavailable'))).toBe(true);
    expect(lines.some((l) => l.includes('Canada'))).toBe(false);
    // A store that fails after a miss is logged too, and the answer still returned.
    const storeFails = {
      idFromName: unreachable.idFromName,
      get: (id: DurableObjectId) => ({
        lookup: (...args: [string, never]) => env.SEMANTIC_CACHE.get(id).lookup(...args),
        store: unreachable.get().store,
      }),
    };
    const quiet = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const stored = await chat(tenant, ask('How long does shipping take to Canada?'), {}, {
      ...env,
      SEMANTIC_CACHE: storeFails,
    } as unknown as Env);
    quiet.mockRestore();
    expect(stored.cache).toBe('miss');
    expect(asked).toHaveLength(2);
  });

  it('an embedding that fails leaves exact matches working', async () => {
    const tenant = await createTenant();
    const asked = countingProvider({
      embed: async () => {
        throw new Error('embedding model down');
      },
    });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    await chat(tenant, ask('How do I invite a new team member?'));
    expect((await chat(tenant, ask('How do I invite a new team member?'))).cache).toBe('hit');
    expect((await chat(tenant, ask('How can I invite a new team member?'))).cache).toBe('miss');
    warn.mockRestore();
    expect(asked).toHaveLength(2);
  });

  it('a provider failure is the caller’s error, and nothing is cached or charged', async () => {
    const tenant = await createTenant();
    countingProvider({
      chat: async () => {
        throw new Error('provider down');
      },
    });
    await expect(chat(tenant, ask('Can I export my data to CSV?'))).rejects.toThrow('provider down');
    expect((await semanticCache(env, tenant.orgId).stats(tenant.orgId)).entries).toBe(0);
    expect(await walletView(env, tenant.orgId)).toMatchObject({ balance: FREE_ALLOWANCE, reserved: 0 });
  });

  it('an empty answer is not cached', async () => {
    const tenant = await createTenant();
    const asked = countingProvider({
      chat: async () => ({
        text: '  ',
        model: 'local-extractive-v1',
        provider: 'local',
        usage: { prompt_tokens: 5, completion_tokens: 0, total_tokens: 5, estimated: false },
      }),
    });
    await chat(tenant, ask('What payment methods do you accept?'));
    expect((await chat(tenant, ask('What payment methods do you accept?'))).cache).toBe('miss');
    expect(asked).toHaveLength(2);
  });
});

describe('cachedChat: lifetime and size', () => {
  it('an answer older than AI_CACHE_TTL_SECONDS is not returned', async () => {
    const tenant = await createTenant();
    const asked = countingProvider();
    const short = { ...env, AI_CACHE_TTL_SECONDS: '60' } as Env;
    await chat(tenant, ask('What is the warranty period for the laptop?'), {}, short);
    expect((await chat(tenant, ask('What is the warranty period for the laptop?'), {}, short)).cache).toBe('hit');
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 61_000 });
    expect((await chat(tenant, ask('What is the warranty period for the laptop?'), {}, short)).cache).toBe('miss');
    expect((await chat(tenant, ask('What is the warranty period for the laptop?'), {}, short)).cache).toBe('hit');
    expect(asked).toHaveLength(2);
  });

  it('expired answers are deleted by the object’s alarm', async () => {
    const tenant = await createTenant();
    countingProvider();
    await chat(tenant, ask('How do I report a phishing email?'), {}, { ...env, AI_CACHE_TTL_SECONDS: '1' } as Env);
    await chat(tenant, ask('How do I connect my Google Calendar?'));
    const cache = semanticCache(env, tenant.orgId);
    const rows = () =>
      runInDurableObject(
        cache,
        async (_: SemanticCache, state) =>
          state.storage.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM entries').one().n,
      );
    expect(await rows()).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await runDurableObjectAlarm(cache);
    expect(await rows()).toBe(1);
    expect((await cache.stats(tenant.orgId)).entries).toBe(1);
    // The next alarm is the remaining entry's expiry, a week from now.
    const next = await runInDurableObject(cache, (_: SemanticCache, state) => state.storage.getAlarm());
    expect(next).toBeGreaterThan(Date.now() + 6 * 24 * 60 * 60 * 1000);
  });

  it('past AI_CACHE_MAX_ENTRIES the least recently used answer goes', async () => {
    const tenant = await createTenant();
    const asked = countingProvider();
    const small = { ...env, AI_CACHE_MAX_ENTRIES: '2' } as Env;
    const q = (n: string) => ask(`Question ${n}: what is in the ${n} folder?`);
    await chat(tenant, q('alpha'), {}, small);
    await chat(tenant, q('beta'), {}, small);
    // alpha is used again, so beta is the least recently used when gamma comes.
    expect((await chat(tenant, q('alpha'), {}, small)).cache).toBe('hit');
    await chat(tenant, q('gamma'), {}, small);
    expect((await semanticCache(env, tenant.orgId).stats(tenant.orgId)).entries).toBe(2);
    expect((await chat(tenant, q('alpha'), {}, small)).cache).toBe('hit');
    expect((await chat(tenant, q('gamma'), {}, small)).cache).toBe('hit');
    expect((await chat(tenant, q('beta'), {}, small)).cache).toBe('miss');
    expect(asked).toHaveLength(4);
  });

  it('a long prompt is matched exactly only (a template around other data is another question)', async () => {
    const tenant = await createTenant();
    const asked = countingProvider();
    const ticket = (n: number) =>
      `Summarise this support ticket in one sentence. ${'The customer reports that the export page is slow. '.repeat(25)}Ticket ${n}.`;
    const tail = (text: string) => text.replace('Summarise', 'summarise');
    await chat(tenant, ask(ticket(1)));
    expect((await chat(tenant, ask(ticket(1)))).cache).toBe('hit');
    expect((await chat(tenant, ask(tail(ticket(1))))).cache).toBe('miss');
    expect(asked).toHaveLength(2);
  });

  it('with `defer`, the store and the hit’s usage event run after the answer', async () => {
    const tenant = await createTenant();
    const asked = countingProvider();
    const later: Promise<unknown>[] = [];
    const defer = (work: Promise<unknown>) => void later.push(work);
    const timings: Record<string, number> = {};
    await chat(tenant, ask('How do I book a meeting room?'), { defer, timings });
    expect(later).toHaveLength(1);
    await Promise.all(later);
    expect(Object.keys(timings).sort()).toEqual(
      ['cache-embed', 'cache-lookup', 'cache-store', 'wallet-reserve', 'wallet-settle'].sort(),
    );
    expect((await chat(tenant, ask('How do I book a meeting room?'), { defer })).cache).toBe('hit');
    await Promise.all(later);
    expect(later).toHaveLength(2);
    expect(asked).toHaveLength(1);
    expect((await usageEvents(tenant.orgId)).map((e) => e.cache_status)).toEqual(['miss', 'hit']);
  });
});

describe('cachedChat: usage events and analytics', () => {
  it('a miss is charged and recorded as `miss`; a hit records 0 tokens, the cached model and who asked', async () => {
    const tenant = await createTenant();
    countingProvider();
    const params = { jobId: 'job_0a1b2c3d4e5f40718293a4b5c6d7e8f9' };
    const miss = await cachedChat(
      env,
      paramsFor(tenant, params),
      ask('What time is the daily standup meeting?', { model: 'm-1' }),
    );
    await cachedChat(env, paramsFor(tenant, params), ask('What time is the daily standup meeting?', { model: 'm-1' }));
    const [missEvent, hitEvent] = await usageEvents(tenant.orgId);
    const common = {
      org_id: tenant.orgId,
      user_id: tenant.userId,
      feature: 'workflow.step',
      model: miss.model,
      job_id: params.jobId,
      resource_id: paramsFor(tenant).resourceId,
    };
    expect(missEvent).toMatchObject({ ...common, cache_status: 'miss', total_tokens: 50, charged_tokens: 50 });
    expect(hitEvent).toMatchObject({
      ...common,
      cache_status: 'hit',
      input_tokens: 0,
      output_tokens: 0,
      total_tokens: 0,
      charged_tokens: 0,
      estimated: 0,
    });
    expect(hitEvent!.latency_ms).toBeGreaterThanOrEqual(0);
    // The ledger has the one debit of the miss.
    const ledger = await env.DB.prepare("SELECT amount FROM token_ledger WHERE org_id = ? AND kind = 'debit'")
      .bind(tenant.orgId)
      .all<{ amount: number }>();
    expect(ledger.results).toEqual([{ amount: -50 }]);
  });

  it('usage analytics count hits, misses and bypasses per bucket and in the summary', async () => {
    const tenant = await createTenant();
    countingProvider();
    await chat(tenant, ask('How do I generate an API key?'));
    await chat(tenant, ask('How do I generate an API key?'));
    await chat(tenant, ask('how can I generate an API key'));
    await chat(tenant, ask('How do I generate an API key?'), { bypass: true });
    const byFeature = (await tenant.as('GET', '/api/v1/analytics/usage?group_by=feature')).body.data;
    expect(byFeature.buckets).toEqual([
      {
        key: 'workflow.step',
        events: 4,
        input_tokens: 80,
        output_tokens: 20,
        total_tokens: 100,
        charged_tokens: 100,
        avg_latency_ms: expect.any(Number),
        cache_hits: 2,
        cache_misses: 1,
        cache_bypasses: 1,
      },
    ]);
    const summary = (await tenant.as('GET', '/api/v1/analytics/summary')).body.data;
    expect(summary.period).toMatchObject({ events: 4, cache_hits: 2, cache_misses: 1, cache_bypasses: 1 });
    expect(summary.balance).toBe(FREE_ALLOWANCE - 100);
  });
});
