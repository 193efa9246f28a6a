import { type AiProvider, type ChatRequest, type ChatResult, createLocalProvider } from '@flowspark/ai';
import type { Env } from '../../workers/env';
import { setAiProviderFactory } from '../../workers/lib/ai';
import { type CachedChatParams, cachedChat } from '../../workers/lib/ai-cache';
import { walletView } from '../../workers/lib/wallet';
import { env, type TestTenant } from '../helpers/harness';

export const SYSTEM = 'You are the help desk of a software company. Answer briefly.';
export const CACHE = '/api/v1/ai/cache';

/** A chat request: the system prompt, earlier turns if any, then the prompt. */
export const ask = (prompt: string, extra: Partial<ChatRequest> = {}, system = SYSTEM): ChatRequest => ({
  messages: [
    { role: 'system', content: system },
    { role: 'user', content: prompt },
  ],
  ...extra,
});

export const paramsFor = (tenant: Pick<TestTenant, 'orgId' | 'userId'>, over: Partial<CachedChatParams> = {}) => ({
  orgId: tenant.orgId,
  feature: 'workflow.step' as const,
  userId: tenant.userId,
  bypass: false,
  resourceId: 'exe_0a1b2c3d4e5f40718293a4b5c6d7e8f9',
  ...over,
});

/**
 * The local provider with its chat calls recorded; each answer names its call ("Answer 1 to …"), so a
 * test sees which call produced an answer it gets back. `overrides` replace any method (embed too).
 * Restored by `restoreProvider` (afterEach).
 */
export const countingProvider = (overrides: Partial<AiProvider> = {}) => {
  const local = createLocalProvider();
  const asked: ChatRequest[] = [];
  const answer = async (req: ChatRequest): Promise<ChatResult> => ({
    text: `Answer ${asked.length} to: ${req.messages.at(-1)?.content ?? ''}`,
    model: req.model ?? 'local-extractive-v1',
    provider: 'local',
    usage: { prompt_tokens: 40, completion_tokens: 10, total_tokens: 50, estimated: false },
  });
  const provider: AiProvider = {
    ...local,
    ...overrides,
    chat: (req) => {
      asked.push(req);
      return (overrides.chat ?? answer)(req);
    },
  };
  setAiProviderFactory(() => provider);
  return asked;
};

/** cachedChat with the test runtime's env (or another). */
export const chat = (
  tenant: Pick<TestTenant, 'orgId' | 'userId'>,
  req: ChatRequest,
  over: Partial<CachedChatParams> = {},
  workerEnv: Env = env,
) => cachedChat(workerEnv, paramsFor(tenant, over), req);

/** The organization's usage events as D1 has them, oldest first (the wallet's outbox flushed first). */
export const usageEvents = async (orgId: string) => {
  await walletView(env, orgId);
  return (
    await env.DB.prepare('SELECT * FROM usage_events WHERE org_id = ? ORDER BY created_at, rowid')
      .bind(orgId)
      .all<Record<string, any>>()
  ).results;
};
