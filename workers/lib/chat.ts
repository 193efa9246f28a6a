import type { TokenUsage } from '@flowspark/ai';
import { type ChatCitation, type ChatPorts, type MessageRow, untrainedBots } from '@flowspark/chat';
import { createDb, type Database } from '@flowspark/db';
import type { Env } from '../env';
import { aiProvider } from './ai';

/**
 * What chat replies need, from the Worker's bindings: D1, the AI provider and the bots' retrieval.
 * No bot has trained documents yet, so retrieval finds nothing (`untrainedBots`).
 */
export const chatPorts = (env: Env, db: Database = createDb(env.DB)): ChatPorts => ({
  db,
  ai: aiProvider(env),
  retrieval: untrainedBots,
});

export interface MessageView {
  id: string;
  conversation_id: string;
  role: MessageRow['role'];
  content: string;
  citations: ChatCitation[];
  /** The reply's token usage; null for a user message. */
  usage: TokenUsage | null;
  /** The model that wrote the reply; null for a user message, and for a reply given without a model. */
  model: string | null;
  /** From the message's arrival to the stored reply; null for a user message. */
  latency_ms: number | null;
  created_at: string;
}

/** A message as REST, SSE and the chat socket all send it. Never the organization. */
export const presentMessage = (row: MessageRow): MessageView => ({
  id: row.id,
  conversation_id: row.conversationId,
  role: row.role,
  content: row.content,
  citations: row.citations as ChatCitation[],
  usage:
    row.role === 'assistant'
      ? {
          prompt_tokens: row.promptTokens ?? 0,
          completion_tokens: row.completionTokens ?? 0,
          total_tokens: row.totalTokens ?? 0,
          estimated: row.usageEstimated ?? false,
        }
      : null,
  model: row.model,
  latency_ms: row.latencyMs,
  created_at: row.createdAt,
});
