import { type AiProvider, type ChatRequest, createLocalProvider } from '@flowspark/ai';
import { setAiProviderFactory } from '../../workers/lib/ai';
import { type ApiResponse, env, expectOk, type TestTenant } from '../helpers/harness';

export const BOTS = '/api/v1/bots';
export const CONVERSATIONS = '/api/v1/conversations';

type Caller = Pick<TestTenant, 'as'>;

export const newBot = async (tenant: Caller, configuration: Record<string, unknown> = {}, name = 'Support bot') =>
  expectOk(await tenant.as('POST', BOTS, { body: { name, configuration } }), 201).body.data;

/** A plain bot (the model answers; rag bots have no documents yet) and a conversation with it. */
export const newConversation = async (tenant: Caller, configuration: Record<string, unknown> = {}) => {
  const bot = await newBot(tenant, { agent_type: 'plain', ...configuration });
  const conversation = expectOk(await tenant.as('POST', `${BOTS}/${bot.id}/conversations`, { body: {} }), 201).body
    .data;
  return { bot, conversation };
};

export const send = (tenant: Caller, conversationId: string, content: string, headers?: Record<string, string>) =>
  tenant.as('POST', `${CONVERSATIONS}/${conversationId}/messages`, { body: { content }, headers });

/**
 * The local provider, recording every request; `overrides` replace its chat or chatStream. Restored
 * by `restoreProvider` (afterEach).
 */
export const spyProvider = (overrides: Partial<AiProvider> = {}) => {
  const local = createLocalProvider();
  const asked: ChatRequest[] = [];
  const provider: AiProvider = {
    ...local,
    chat: (req) => {
      asked.push(req);
      return (overrides.chat ?? local.chat)(req);
    },
    chatStream: (req) => {
      asked.push(req);
      return (overrides.chatStream ?? local.chatStream)(req);
    },
  };
  setAiProviderFactory(() => provider);
  return asked;
};

export const restoreProvider = () => setAiProviderFactory(null);

export interface SseEvent {
  event: string;
  data: any;
}

export const parseSse = (text: string): SseEvent[] =>
  text
    .split('\n\n')
    .filter((frame) => frame.trim())
    .map((frame) => {
      const lines = frame.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))!.slice(7);
      const data = lines
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      return { event, data: JSON.parse(data) };
    });

/** The conversation's stored messages, straight from D1, in order. */
export const storedMessages = async (conversationId: string) =>
  (
    await env.DB.prepare('SELECT * FROM messages WHERE conversation_id = ? ORDER BY seq')
      .bind(conversationId)
      .all<Record<string, any>>()
  ).results;

export const storedConversation = (id: string) =>
  env.DB.prepare('SELECT * FROM conversations WHERE id = ?').bind(id).first<Record<string, any>>();

/** The failing fields of a validation error. */
export const failingFields = (res: ApiResponse) => Object.keys(res.body.error?.details?.fields ?? {}).sort();
