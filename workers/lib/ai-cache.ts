import type { ChatRequest, ChatResult } from '@flowspark/ai';
import type { Env } from '../env';
import { aiProvider } from './ai';
import { type BillableFeature, billedProvider } from './wallet';

/** The semantic cache's part in one call (usage events and AI requests record it). */
export type CacheStatus = 'hit' | 'miss' | 'bypass';

export interface CachedChatParams {
  orgId: string;
  feature: BillableFeature;
  /** Who asked (a user, an API key's creator); null when no one did (a cron run). */
  userId: string | null;
  /** The request that started this asked `Cache-Control: no-cache`: the cache is not read. */
  bypass: boolean;
  jobId?: string | null;
  /** What the call is for (an execution, an agent run): the usage event's resource. */
  resourceId?: string | null;
}

export interface CachedChatResult extends ChatResult {
  cache: CacheStatus;
  /** Time of the call as the caller saw it: the cache lookup and, on a miss, the provider. */
  latency_ms: number;
}

/**
 * One chat call through the organization's semantic cache: an answer cached for the same model,
 * system prompt and settings is returned without asking the provider (no tokens); otherwise the
 * provider answers, paid from the wallet, and the answer is cached.
 */
export const cachedChat = async (env: Env, params: CachedChatParams, req: ChatRequest): Promise<CachedChatResult> => {
  const started = Date.now();
  const provider = billedProvider(env, aiProvider(env), {
    orgId: params.orgId,
    feature: params.feature,
    userId: params.userId,
    jobId: params.jobId ?? null,
    resourceId: params.resourceId ?? null,
  });
  const result = await provider.chat(req);
  return { ...result, cache: params.bypass ? 'bypass' : 'miss', latency_ms: Date.now() - started };
};
