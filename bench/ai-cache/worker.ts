// A Worker that runs the semantic cache's bench inside workerd, for bench/ai-cache/run.mjs: the same
// key, guard, embedding and object lookup as cachedChat (workers/lib/ai-cache.ts), without the wallet
// and D1 around them. Not part of the API.
import type { ChatRequest } from '@flowspark/ai';
import { aiCacheSettings, cacheKeyOf, promptGuard, similarityThreshold, unitVector } from '@flowspark/ai-cache';
import type { Env } from '../../workers/env';
import { aiProvider } from '../../workers/lib/ai';
import {
  type CachePrompt,
  lookupCachedAnswer,
  prepareCachePrompt,
  storeCachedAnswer,
} from '../../workers/lib/ai-cache';
import set from './paraphrases.json';

export { SemanticCache } from '../../workers/objects/semantic-cache';

const request = (prompt: string): ChatRequest => ({
  messages: [
    { role: 'system', content: set.system },
    { role: 'user', content: prompt },
  ],
});

const USAGE = { prompt_tokens: 60, completion_tokens: 40, total_tokens: 100, estimated: false };

/** Filler questions for the full-cache figure: the set's vocabulary, recombined. */
const fillerPrompts = (count: number): string[] => {
  const words = [...new Set(set.groups.flatMap((g) => g.question.toLowerCase().match(/[a-z]{4,}/g) ?? []))];
  let state = 7;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return words[state % words.length]!;
  };
  return Array.from({ length: count }, (_, i) => `Filler ${i}: ${next()} ${next()} ${next()} ${next()} ${next()}?`);
};

const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};
// workerd's clock moves in whole milliseconds (and only across I/O): the mean says what p50 rounds.
const figures = (xs: number[]) => ({
  n: xs.length,
  p50: Math.round(percentile(xs, 50) * 100) / 100,
  p99: Math.round(percentile(xs, 99) * 100) / 100,
  mean: xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 100) / 100 : 0,
});

const run = async (env: Env, fill: number) => {
  const orgId = `org_bench_${crypto.randomUUID().replaceAll('-', '')}`;
  const settings = aiCacheSettings(env);
  const provider = aiProvider(env);
  const state = { embeddingModel: null as string | null };

  // One lookup as cachedChat makes it: key, guard, embedding, one call to the object. workerd's clock
  // moves only across I/O, so the figure is taken when the object's answer arrives.
  const lookup = async (prompt: string) => {
    const started = performance.now();
    const prepared = await prepareCachePrompt(env, provider, request(prompt));
    const result = await lookupCachedAnswer(env, orgId, prepared, settings);
    state.embeddingModel ??= prepared.embeddingModel;
    return { prepared, result, ms: performance.now() - started };
  };
  const answerOf = (label: string) => ({ text: label, model: 'bench-model', provider: 'local', usage: USAGE });

  const missMs: number[] = [];
  for (const [i, group] of set.groups.entries()) {
    const { prepared, ms } = await lookup(group.question);
    missMs.push(ms);
    await storeCachedAnswer(env, orgId, prepared, answerOf(`group-${i}`), settings);
  }

  const scoreSet = async () => {
    const hitMs: number[] = [];
    const similarities: number[] = [];
    let hits = 0;
    let wrong = 0;
    for (const [i, group] of set.groups.entries()) {
      for (const paraphrase of group.paraphrases) {
        const { result, ms } = await lookup(paraphrase);
        if (result.status !== 'hit') continue;
        hitMs.push(ms);
        if (result.answer.text === `group-${i}`) {
          hits += 1;
          similarities.push(result.similarity);
        } else wrong += 1;
      }
    }
    const falseHits: string[] = [];
    let nearMissHits = 0;
    let unrelatedHits = 0;
    for (const question of set.near_misses) {
      if ((await lookup(question)).result.status === 'hit') {
        nearMissHits += 1;
        falseHits.push(question);
      }
    }
    for (const question of set.unrelated) {
      if ((await lookup(question)).result.status === 'hit') {
        unrelatedHits += 1;
        falseHits.push(question);
      }
    }
    const exactMs: number[] = [];
    for (const group of set.groups) {
      const { result, ms } = await lookup(group.question);
      if (result.status === 'hit' && result.match === 'exact') exactMs.push(ms);
    }
    return {
      paraphrases: set.groups.reduce((n, g) => n + g.paraphrases.length, 0),
      paraphrase_hits: hits,
      wrong_entry_hits: wrong,
      min_hit_similarity: similarities.length ? Math.round(Math.min(...similarities) * 1000) / 1000 : null,
      near_misses: set.near_misses.length,
      near_miss_hits: nearMissHits,
      unrelated: set.unrelated.length,
      unrelated_hits: unrelatedHits,
      false_hits: falseHits,
      hit_lookup_ms: figures(hitMs),
      exact_lookup_ms: figures(exactMs),
    };
  };

  const small = await scoreSet();

  // The cache at its cap: filler entries in the same scope, embedded in batches, then the set again.
  const fillers = fillerPrompts(Math.max(0, fill - set.groups.length));
  for (let i = 0; i < fillers.length; i += 32) {
    const batch = fillers.slice(i, i + 32);
    const embedded = await provider.embed(batch);
    for (const [k, prompt] of batch.entries()) {
      const key = await cacheKeyOf(request(prompt), { provider: provider.name, model: 'local-extractive-v1' });
      const vector = unitVector(embedded.vectors[k] ?? []);
      const prepared: CachePrompt = {
        key,
        guard: await promptGuard(key.prompt),
        vector,
        embeddingModel: vector ? embedded.model : null,
      };
      await storeCachedAnswer(env, orgId, prepared, answerOf(`filler-${i + k}`), settings);
    }
  }
  const full = await scoreSet();
  const entries = (await env.SEMANTIC_CACHE.get(env.SEMANTIC_CACHE.idFromName(orgId)).stats(orgId)).entries;
  return {
    embedding_model: state.embeddingModel,
    threshold: similarityThreshold(settings, state.embeddingModel),
    entries_small: set.groups.length,
    miss_lookup_ms: figures(missMs),
    small,
    entries_full: entries,
    full,
  };
};

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.searchParams.get('case') === 'ready') return Response.json({ ok: true });
    const fill = Number(url.searchParams.get('fill') ?? 5000);
    try {
      return Response.json(await run(env, fill));
    } catch (err) {
      return Response.json({ error: String(err) }, { status: 500 });
    }
  },
};
