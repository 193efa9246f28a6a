/**
 * A message and the bot's reply. `prepareReply` does everything that can fail before the model is
 * asked (the conversation, its bot, the history, retrieval), so those failures are ordinary request
 * errors. The reply is then generated whole (`completeReply`) or streamed (`streamReply`), and only
 * when it is complete are the user message and the reply stored, together (messages.ts). A provider
 * failure, a client that goes away mid-stream or a conversation deleted meanwhile stores nothing. A
 * streamed reply can be stopped (`signal`): the text generated until then is stored, marked `stopped`.
 */
import {
  AiProviderError,
  type ChatMessage,
  type ChatRequest,
  estimatedUsage,
  estimateTokens,
  type TokenUsage,
} from '@flowspark/ai';
import { AppError, logger, newId, notFound } from '@flowspark/core';
import type { Database } from '@flowspark/db';
import { schema } from '@flowspark/db';
import { citedSourceNumbers } from '@flowspark/rag';
import { and, eq } from 'drizzle-orm';
import { type ChatParticipant, isVisitor } from './access';
import { type BotRecord, toBotRecord } from './bots';
import type { BotConfiguration } from './configuration';
import { type ConversationRow, visibleConversation } from './conversations';
import { type ChatCitation, lastMessages, type StoredExchange, storeExchange } from './messages';
import type { ChatPorts } from './ports';
import type { BotPassage } from './retrieval';

const { bots, conversations } = schema;

/** The longest reply asked of the model. */
export const REPLY_MAX_TOKENS = 1_024;
const MAX_PASSAGE_CHARS = 2_000;
const TITLE_CHARS = 80;

export const RAG_INSTRUCTIONS =
  'Answer using only the numbered sources below. Cite the sources you use with their numbers in square ' +
  "brackets, like [1] or [2][3]. If the sources do not contain the answer, say that you don't know.";

/**
 * What a `rag` bot answers when its documents hold nothing for the message (or it has none). The
 * model is not asked: a rag bot answers only from its documents.
 */
export const NO_CONTEXT_REPLY = "I don't have any information about that in my documents.";

const NO_USAGE: TokenUsage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, estimated: false };

export interface PreparedReply {
  orgId: string;
  conversation: ConversationRow;
  bot: BotRecord;
  configuration: BotConfiguration;
  user: { id: string; content: string; createdAt: string };
  /** The id the reply will be stored with (sockets see it on every token). */
  assistantId: string;
  passages: BotPassage[];
  /** What the provider is asked; null when the bot answers `fallback` without a model. */
  request: ChatRequest | null;
  fallback: string | null;
  /** When the message arrived (ms), for the reply's latency. */
  started: number;
}

/** A visitor's bot is no longer public, or no longer has the key their socket was opened with. */
export const botUnavailable = () => new AppError('FORBIDDEN', 'This bot is not available');

const clip = (text: string, max: number) => {
  const chars = Array.from(text);
  return chars.length > max ? `${chars.slice(0, max).join('').trimEnd()}…` : text;
};

/** The system message: the bot's prompt, and for a rag bot the instructions and numbered sources. */
export const systemMessage = (configuration: BotConfiguration, passages: BotPassage[]): string => {
  if (configuration.agent_type !== 'rag') return configuration.system_prompt;
  const sources = passages.map((p, i) => `[${i + 1}] ${p.title}\n${clip(p.text.trim(), MAX_PASSAGE_CHARS)}`);
  return `${configuration.system_prompt}\n\n${RAG_INSTRUCTIONS}\n\nSources:\n\n${sources.join('\n\n')}`;
};

/** The messages the model gets: the system message, the last history messages, the new message. */
export const buildChatMessages = (
  configuration: BotConfiguration,
  history: Pick<ChatMessage, 'role' | 'content'>[],
  content: string,
  passages: BotPassage[],
): ChatMessage[] => [
  { role: 'system', content: systemMessage(configuration, passages) },
  ...history.map((m) => ({ role: m.role, content: m.content })),
  { role: 'user', content },
];

/** The passages the answer cites; when it marks none, every passage it was given. */
export const replyCitations = (answer: string, passages: BotPassage[]): ChatCitation[] => {
  const cited = citedSourceNumbers(answer, passages.length);
  const chosen = cited.length > 0 ? cited.map((n) => passages[n - 1]!) : passages;
  return chosen.map((p) => ({
    document_id: p.document_id,
    chunk_id: p.chunk_id,
    title: p.title,
    page_number: p.page_number,
    snippet: p.snippet,
    score: p.score,
  }));
};

const titleOf = (content: string) => clip(content.replace(/\s+/g, ' ').trim(), TITLE_CHARS);

/**
 * Loads the conversation (as the caller sees it) with its bot and its last `chat_history_length`
 * messages, retrieves context for a rag bot, and builds the provider request. Not found when the
 * caller may not see the conversation; forbidden for a visitor whose bot is no longer public (or was
 * re-keyed).
 */
export const prepareReply = async (
  ports: Pick<ChatPorts, 'db' | 'retrieval'>,
  actor: ChatParticipant,
  conversationId: string,
  content: string,
): Promise<PreparedReply> => {
  const started = Date.now();
  const { db } = ports;
  // The conversation with its bot, in one query (the bot's deletion takes its conversations with it).
  const { conversation, bot } = await loadConversation(db, actor, conversationId);
  if (
    isVisitor(actor) &&
    (bot.configuration.visibility !== 'public' || (actor.publicKey !== undefined && actor.publicKey !== bot.publicKey))
  ) {
    throw botUnavailable();
  }
  const configuration = bot.configuration;
  const history =
    configuration.chat_history_length > 0
      ? (await lastMessages(db, actor.orgId, conversationId, configuration.chat_history_length))
          .reverse()
          // A reply stopped before its first token is stored empty; the model is not shown it.
          .filter((m) => m.content.length > 0)
      : [];
  const passages =
    configuration.agent_type === 'rag'
      ? await ports.retrieval.retrieve({
          orgId: actor.orgId,
          botId: bot.id,
          query: content,
          topK: configuration.top_k,
        })
      : [];
  const noContext = configuration.agent_type === 'rag' && passages.length === 0;
  return {
    orgId: actor.orgId,
    conversation,
    bot,
    configuration,
    user: { id: newId('msg'), content, createdAt: new Date(started).toISOString() },
    assistantId: newId('msg'),
    passages,
    request: noContext
      ? null
      : {
          messages: buildChatMessages(configuration, history, content, passages),
          temperature: configuration.temperature,
          max_tokens: REPLY_MAX_TOKENS,
          ...(configuration.model ? { model: configuration.model } : {}),
        },
    fallback: noContext ? NO_CONTEXT_REPLY : null,
    started,
  };
};

const loadConversation = async (db: Database, actor: ChatParticipant, id: string) => {
  const [row] = await db
    .select({ conversation: conversations, bot: bots })
    .from(conversations)
    .innerJoin(bots, and(eq(bots.orgId, conversations.orgId), eq(bots.id, conversations.botId)))
    .where(and(...visibleConversation(actor), eq(conversations.id, id)))
    .limit(1);
  if (!row) throw notFound('Conversation');
  return { conversation: row.conversation, bot: toBotRecord(row.bot) };
};

interface Generated {
  text: string;
  usage: TokenUsage;
  model: string | null;
  stopped?: boolean;
}

const store = async (ports: ChatPorts, prepared: PreparedReply, reply: Generated): Promise<StoredExchange> => {
  if (!reply.text && !reply.stopped) {
    throw new AiProviderError('The model returned an empty reply', {
      provider: reply.model ?? 'unknown',
      retryable: true,
    });
  }
  const now = Date.now();
  const stored = await storeExchange(ports.db, {
    orgId: prepared.orgId,
    conversationId: prepared.conversation.id,
    user: prepared.user,
    assistant: {
      id: prepared.assistantId,
      content: reply.text,
      citations: reply.text ? replyCitations(reply.text, prepared.passages) : [],
      usage: reply.usage,
      model: reply.model,
      latencyMs: now - prepared.started,
      createdAt: new Date(Math.max(now, prepared.started + 1)).toISOString(),
      stopped: reply.stopped ?? false,
    },
    title: titleOf(prepared.user.content),
  });
  if (ports.sessions && stored.connected) {
    // Best effort: the reply is stored; sockets that miss it can resume from their last message.
    await ports.sessions
      .announce(prepared.orgId, prepared.conversation.id, [stored.user, stored.assistant])
      .catch((err) => logger.warn('chat reply not announced', { error_message: String(err) }));
  }
  return stored;
};

/** The whole reply from the provider, then both messages stored. */
export const completeReply = async (ports: ChatPorts, prepared: PreparedReply): Promise<StoredExchange> => {
  if (!prepared.request) return store(ports, prepared, { text: prepared.fallback ?? '', usage: NO_USAGE, model: null });
  const result = await ports.ai.chat(prepared.request);
  return store(ports, prepared, { text: result.text.trim(), usage: result.usage, model: result.model });
};

export type ReplyEvent = { type: 'token'; text: string } | { type: 'message'; exchange: StoredExchange };

const STOPPED = Symbol('stopped');

/** Resolves with STOPPED when `signal` aborts (at once when it already has). */
const stopOf = (signal: AbortSignal | undefined): Promise<typeof STOPPED> | null => {
  if (!signal) return null;
  return new Promise((resolve) => {
    if (signal.aborted) resolve(STOPPED);
    else signal.addEventListener('abort', () => resolve(STOPPED), { once: true });
  });
};

/** What a stopped reply cost, estimated: the provider reports usage only at the end of a stream. */
const stoppedUsage = (request: ChatRequest, text: string): TokenUsage =>
  estimatedUsage(
    request.messages.reduce((sum, m) => sum + estimateTokens(m.content) + 4, 0),
    estimateTokens(text),
  );

/**
 * The reply as it is generated: `token` deltas, then `message` with both stored messages. Pull-driven:
 * the provider is read only as fast as the caller reads, and a caller that stops early (`return()`)
 * stops the provider and stores nothing. When `signal` aborts (a stop request), the provider's stream
 * is abandoned at once (the signal also reaches the provider's request) and the text generated until
 * then is stored, marked `stopped`, with estimated usage: an abort is a stop, not a failure.
 */
export async function* streamReply(
  ports: ChatPorts,
  prepared: PreparedReply,
  options: { signal?: AbortSignal } = {},
): AsyncGenerator<ReplyEvent> {
  if (!prepared.request) {
    const text = prepared.fallback ?? '';
    yield { type: 'token', text };
    yield { type: 'message', exchange: await store(ports, prepared, { text, usage: NO_USAGE, model: null }) };
    return;
  }
  const { signal } = options;
  const request: ChatRequest = signal ? { ...prepared.request, signal } : prepared.request;
  const stop = stopOf(signal);
  let text = '';
  let usage: TokenUsage = NO_USAGE;
  let model: string | null = null;
  let stopped = signal?.aborted ?? false;
  if (!stopped) {
    const events = ports.ai.chatStream(request)[Symbol.asyncIterator]();
    let finished = false;
    try {
      while (true) {
        const pending = events.next();
        // A stream abandoned by a stop may still settle (or fail with the abort) later.
        pending.catch(() => {});
        const next = stop ? await Promise.race([pending, stop]) : await pending;
        if (next === STOPPED) {
          stopped = true;
          break;
        }
        if (next.done) {
          finished = true;
          break;
        }
        const event = next.value;
        if (event.type === 'delta') {
          if (!event.text) continue;
          text += event.text;
          yield { type: 'token', text: event.text };
        } else {
          usage = event.usage;
          model = event.model;
        }
      }
    } catch (err) {
      finished = true;
      // The provider failing because it was aborted is the stop itself.
      if (!signal?.aborted) throw err;
      stopped = true;
    } finally {
      // Stopped, or the caller left (return() at a yield): the provider's stream ends too. Not awaited:
      // a stream waiting on its source returns only once the source answers.
      if (!finished) events.return?.(undefined)?.catch(() => {});
    }
    // A stop that came after the provider finished is too late: the reply is complete.
    if (stopped && model !== null) stopped = false;
  }
  const reply = stopped
    ? { text: text.trim(), usage: stoppedUsage(request, text), model: prepared.request.model ?? null, stopped }
    : { text: text.trim(), usage, model };
  yield { type: 'message', exchange: await store(ports, prepared, reply) };
}
