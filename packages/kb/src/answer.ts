/**
 * Answers from the knowledge base: retrieve (search.ts), keep the relevant hits as numbered
 * sources, ask the AI provider to answer from them only and to cite them as [n], and record the
 * question with its answer, citations, usage and timings (kb_queries). When nothing relevant is found
 * the model is not asked: the answer says so.
 */
import type { AiProvider, ChatMessage, TokenUsage } from '@flowspark/ai';
import { type Actor, newId, type PageRequest } from '@flowspark/core';
import { type Database, paginateNewestFirst, schema } from '@flowspark/db';
import { citedSourceNumbers, nothingFoundAnswer } from '@flowspark/rag';
import { and, eq, type SQL } from 'drizzle-orm';
import { kbOrgScope } from './documents';
import {
  type KbRetrievalPorts,
  type KbRetrievedHit,
  type KbSearchFilters,
  type KbSearchMode,
  type KbSearchOptions,
  type KbSearchResult,
  searchKb,
} from './search';

const { kbQueries } = schema;

export type KbQueryRow = typeof kbQueries.$inferSelect;

export const KB_MAX_QUERY_CHARS = 2_000;
/** Characters of one source in the prompt, and of all of them. */
const MAX_SOURCE_CHARS = 2_000;
const MAX_CONTEXT_CHARS = 16_000;
const ANSWER_MAX_TOKENS = 700;

export interface KbQueryRequest {
  query: string;
  top_k: number;
  mode: KbSearchMode;
  filters: KbSearchFilters;
}

export interface KbCitation {
  /** The source's number in the answer's [n] markers. */
  source: number;
  document_id: string;
  title: string;
  chunk_id: string;
  page_number: number | null;
  snippet: string;
  score: number;
}

export interface KbAnswerTimings {
  retrieval_ms: number;
  generation_ms: number;
}

export interface KbAnswer {
  answer: string;
  citations: KbCitation[];
  usage: TokenUsage;
  model: string | null;
  timings: KbAnswerTimings;
  query_id: string;
}

export const NO_USAGE: TokenUsage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, estimated: false };

export const KB_ANSWER_INSTRUCTIONS =
  'Answer the question using only the numbered sources below. ' +
  'Cite the sources you use with their numbers in square brackets, like [1] or [2][3]. ' +
  "If the sources do not contain the answer, say that you don't know. " +
  'Reply in the language of the question.';

const clip = (text: string, max: number) => {
  const chars = Array.from(text);
  return chars.length > max ? `${chars.slice(0, max).join('').trimEnd()}…` : text;
};

const sourceHeader = (n: number, hit: KbRetrievedHit) => {
  const where = [hit.title, hit.page_number !== null ? `page ${hit.page_number}` : null].filter(Boolean).join(', ');
  return `[${n}] ${where}${hit.heading ? ` — ${hit.heading}` : ''}`;
};

/** The sources that fit the prompt, in rank order. */
const fitSources = (hits: KbRetrievedHit[]): KbRetrievedHit[] => {
  const out: KbRetrievedHit[] = [];
  let used = 0;
  for (const hit of hits) {
    const size = Math.min(hit.text.length, MAX_SOURCE_CHARS) + 100;
    if (out.length > 0 && used + size > MAX_CONTEXT_CHARS) break;
    out.push(hit);
    used += size;
  }
  return out;
};

/** The chat: instructions and numbered sources as the system message, the question as the user's. */
export const buildKbMessages = (query: string, sources: KbRetrievedHit[]): ChatMessage[] => {
  const blocks = sources.map((hit, i) => `${sourceHeader(i + 1, hit)}\n${clip(hit.text.trim(), MAX_SOURCE_CHARS)}`);
  return [
    { role: 'system', content: `${KB_ANSWER_INSTRUCTIONS}\n\nSources:\n\n${blocks.join('\n\n')}` },
    { role: 'user', content: query },
  ];
};

const citationOf = (n: number, hit: KbRetrievedHit): KbCitation => ({
  source: n,
  document_id: hit.document_id,
  title: hit.title,
  chunk_id: hit.chunk_id,
  page_number: hit.page_number,
  snippet: hit.snippet,
  score: hit.score,
});

/** The sources the answer cites; when it marks none, every source (all passed the relevance check). */
export const kbCitations = (answer: string, sources: KbRetrievedHit[]): KbCitation[] => {
  const cited = citedSourceNumbers(answer, sources.length);
  const numbers = cited.length > 0 ? cited : sources.map((_, i) => i + 1);
  return numbers.map((n) => citationOf(n, sources[n - 1]!));
};

export interface PreparedKbAnswer {
  request: KbQueryRequest;
  retrieval: KbSearchResult;
  sources: KbRetrievedHit[];
  /** Null when nothing relevant was found: answer with `fallback` and ask no model. */
  messages: ChatMessage[] | null;
  fallback: string;
}

/** Retrieval and the prompt, before any model is asked (errors here are ordinary request errors). */
export const prepareKbAnswer = async (
  ports: KbRetrievalPorts,
  orgId: string,
  request: KbQueryRequest,
  options: KbSearchOptions = {},
): Promise<PreparedKbAnswer> => {
  // The organization's knowledge base only: bots answer from their own documents (packages/chat).
  const retrieval = await searchKb(ports, kbOrgScope(orgId), request, options);
  const sources = fitSources(retrieval.hits.filter((hit) => hit.relevant));
  return {
    request,
    retrieval,
    sources,
    messages: sources.length > 0 ? buildKbMessages(request.query, sources) : null,
    fallback: nothingFoundAnswer(request.query),
  };
};

/** Stores one answered question; returns its id. */
export const recordKbQuery = async (
  db: Database,
  actor: Pick<Actor, 'orgId' | 'userId'>,
  prepared: PreparedKbAnswer,
  outcome: Omit<KbAnswer, 'query_id'>,
): Promise<string> => {
  const id = newId('kbq');
  await db.insert(kbQueries).values({
    id,
    orgId: actor.orgId,
    userId: actor.userId,
    query: prepared.request.query,
    topK: prepared.request.top_k,
    filters: { ...prepared.request.filters, mode: prepared.request.mode },
    answer: outcome.answer,
    citations: outcome.citations,
    usage: { ...outcome.usage },
    modelUsed: outcome.model,
    retrievalMs: outcome.timings.retrieval_ms,
    generationMs: outcome.timings.generation_ms,
    createdAt: new Date().toISOString(),
  });
  return id;
};

const nothingFound = (prepared: PreparedKbAnswer): Omit<KbAnswer, 'query_id'> => ({
  answer: prepared.fallback,
  citations: [],
  usage: NO_USAGE,
  model: null,
  timings: { retrieval_ms: prepared.retrieval.timings.retrieval_ms, generation_ms: 0 },
});

/** Answers in one piece and records the query. */
export const answerKb = async (
  db: Database,
  ai: Pick<AiProvider, 'chat'>,
  actor: Pick<Actor, 'orgId' | 'userId'>,
  prepared: PreparedKbAnswer,
): Promise<KbAnswer> => {
  let outcome = nothingFound(prepared);
  if (prepared.messages) {
    const started = Date.now();
    const result = await ai.chat({ messages: prepared.messages, max_tokens: ANSWER_MAX_TOKENS, temperature: 0.1 });
    const answer = result.text.trim();
    outcome = {
      answer,
      citations: kbCitations(answer, prepared.sources),
      usage: result.usage,
      model: result.model,
      timings: { retrieval_ms: prepared.retrieval.timings.retrieval_ms, generation_ms: Date.now() - started },
    };
  }
  return { ...outcome, query_id: await recordKbQuery(db, actor, prepared, outcome) };
};

export type KbAnswerEvent =
  | { type: 'token'; text: string }
  | { type: 'citations'; citations: KbCitation[] }
  | { type: 'done'; usage: TokenUsage; model: string | null; timings: KbAnswerTimings; query_id: string };

/**
 * Answers as a stream: token deltas, then the citations, then done (after the query was recorded).
 * An error from the provider ends the iteration by throwing; nothing is recorded then.
 */
export async function* streamKbAnswer(
  db: Database,
  ai: Pick<AiProvider, 'chatStream'>,
  actor: Pick<Actor, 'orgId' | 'userId'>,
  prepared: PreparedKbAnswer,
): AsyncGenerator<KbAnswerEvent> {
  let outcome = nothingFound(prepared);
  if (!prepared.messages) {
    yield { type: 'token', text: prepared.fallback };
  } else {
    const started = Date.now();
    let text = '';
    let usage: TokenUsage = NO_USAGE;
    let model: string | null = null;
    for await (const event of ai.chatStream({
      messages: prepared.messages,
      max_tokens: ANSWER_MAX_TOKENS,
      temperature: 0.1,
    })) {
      if (event.type === 'delta') {
        if (!event.text) continue;
        text += event.text;
        yield { type: 'token', text: event.text };
      } else {
        usage = event.usage;
        model = event.model;
      }
    }
    outcome = {
      answer: text.trim(),
      citations: kbCitations(text, prepared.sources),
      usage,
      model,
      timings: { retrieval_ms: prepared.retrieval.timings.retrieval_ms, generation_ms: Date.now() - started },
    };
  }
  yield { type: 'citations', citations: outcome.citations };
  const queryId = await recordKbQuery(db, actor, prepared, outcome);
  yield { type: 'done', usage: outcome.usage, model: outcome.model, timings: outcome.timings, query_id: queryId };
}

/** The tenant's questions, newest first (only `userId`'s when given): one page query and one count. */
export const listKbQueries = async (
  db: Database,
  orgId: string,
  query: PageRequest & { userId?: string },
): Promise<{ items: KbQueryRow[]; total: number }> => {
  const conditions: SQL[] = [eq(kbQueries.orgId, orgId)];
  if (query.userId) conditions.push(eq(kbQueries.userId, query.userId));
  return paginateNewestFirst(db, kbQueries, and(...conditions), query);
};
