/**
 * The intent step (seed 000 parse_intent): which capability a request needs, and what to hand it.
 * The model answers as structured output; the keyword router answers when the model cannot (an
 * invalid answer twice, an unavailable provider) and is the offline provider's draft, so a local run
 * routes the same way every time.
 */
import { type AiProvider, estimateTokens, structuredOutput, toJsonSchema } from '@flowspark/ai';
import { generationEstimate, IMAGE_TOKENS } from '@flowspark/billing';
import { truncateUtf16 } from '@flowspark/core';
import { KB_MAX_QUERY_CHARS } from '@flowspark/kb';
import { z } from 'zod';
import { type Failure, failureOf, isRetryable } from './failures';

export const AGENT_ROUTES = ['document', 'kb_query', 'image'] as const;
export type AgentRoute = (typeof AGENT_ROUTES)[number];

/** How the route was chosen: the model's answer, the keyword router, or the request itself (`route` given). */
export type RoutedBy = 'model' | 'keywords';

export const AGENT_DOCUMENT_FORMATS = ['docx', 'pdf', 'xlsx'] as const;
export type AgentDocumentFormat = (typeof AGENT_DOCUMENT_FORMATS)[number];

export const MAX_AGENT_REQUEST_CHARS = 4_000;
const MAX_TITLE_CHARS = 120;
/**
 * An image prompt's cap (@flowspark/documents' MAX_IMAGE_PROMPT, checked equal by a test). Not
 * imported: that package loads the document model's schemas, and this one is loaded where zod may
 * not be extended for OpenAPI yet (see workers/jobs/consumer.ts).
 */
export const MAX_AGENT_IMAGE_PROMPT_CHARS = 2_000;
/** The intent is a few fields: a short answer is enough, and keeps its reservation small. */
export const INTENT_MAX_TOKENS = 600;

export const IntentSchema = z.object({
  route: z
    .enum(AGENT_ROUTES)
    .describe(
      'document: write a document or report (DOCX, PDF, XLSX); kb_query: answer a question or find information in ' +
        "the organization's knowledge base; image: draw a picture, logo or illustration",
    ),
  title: z.string().trim().min(1).max(MAX_TITLE_CHARS).optional().describe('A short title (documents only)'),
  prompt: z
    .string()
    .trim()
    .min(1)
    .max(MAX_AGENT_REQUEST_CHARS)
    .describe('For document and image: what to make, self-contained. For kb_query: the question to look up.'),
  format: z.enum(AGENT_DOCUMENT_FORMATS).optional().describe('The file format a document request asks for'),
});
export type Intent = z.infer<typeof IntentSchema>;

export const INTENT_SYSTEM =
  'You route requests made to a document platform. Choose the one capability the request needs and restate ' +
  'the request for it. Never answer the request yourself.';

/** What the capability step is given: the route and its inputs, within that capability's limits. */
export interface AgentTask {
  route: AgentRoute;
  /** Documents: the title. */
  title: string;
  /** Documents and images: the prompt; the knowledge base: the question. */
  prompt: string;
  format: AgentDocumentFormat;
}

// The seed's keywords ('document'/'report', 'search'/'find', 'image'/'logo') and a few plain synonyms.
// The keyword that comes first in the request wins ("find the report" looks something up; "write a
// report with our logo" writes a report); none at all means a document.
const ROUTE_KEYWORDS: ReadonlyArray<readonly [AgentRoute, RegExp]> = [
  ['document', /\b(documents?|reports?|memos?|proposals?|spreadsheets?)\b/i],
  ['kb_query', /\b(search(es|ing)?|find(ing)?|look(ing)? up|lookup)\b/i],
  ['image', /\b(images?|logos?|pictures?|illustrations?|drawings?|draw|photos?|icons?)\b/i],
];

export const routeByKeywords = (request: string): AgentRoute => {
  let best: { route: AgentRoute; at: number } | null = null;
  for (const [route, pattern] of ROUTE_KEYWORDS) {
    const at = request.search(pattern);
    if (at !== -1 && (best === null || at < best.at)) best = { route, at };
  }
  return best?.route ?? 'document';
};

/** The format the request names, if any. */
export const formatFromRequest = (request: string): AgentDocumentFormat | undefined => {
  if (/\bpdf\b/i.test(request)) return 'pdf';
  if (/\b(xlsx|excel|spreadsheets?)\b/i.test(request)) return 'xlsx';
  if (/\b(docx|word document)\b/i.test(request)) return 'docx';
  return undefined;
};

const LEADING_ASK = /^(please\s+|can you\s+|could you\s+|i need\s+|i want\s+)*/i;
const LEADING_MAKE = /^(write|create|generate|make|draft|prepare|produce)\s+(me\s+)?(a|an|the|some)?\s*/i;

/** A title from the request's first line: "write a report about X" → "Report about X". */
export const titleFromRequest = (request: string): string => {
  const line = request.trim().split(/\n/)[0] ?? '';
  const topic = line
    .replace(LEADING_ASK, '')
    .replace(LEADING_MAKE, '')
    .replace(/[.!?:;,\s]+$/, '')
    .trim();
  let title = topic || line.trim() || 'Document';
  if (title.length > MAX_TITLE_CHARS) {
    const cut = truncateUtf16(title, MAX_TITLE_CHARS);
    title = cut.includes(' ') ? cut.slice(0, cut.lastIndexOf(' ')) : cut;
  }
  return title.charAt(0).toUpperCase() + title.slice(1);
};

const LEADING_LOOKUP = /^(find|search(\s+for)?|look\s+up|lookup)\s+(me\s+)?/i;
const TRAILING_PLACE = /\s+(in|from|within)\s+(our|the|my)\s+(docs|documents|knowledge\s*base|kb|files|wiki)\b.*$/i;

/** The question in a look-up request: "find the vacation policy in our docs" → "the vacation policy". */
export const queryFromRequest = (request: string): string => {
  const stripped = request.trim().replace(LEADING_ASK, '').replace(LEADING_LOOKUP, '').replace(TRAILING_PLACE, '');
  return stripped.trim() || request.trim();
};

/** The keyword router's intent: the fallback, and the offline provider's draft. */
export const keywordIntent = (request: string): Intent => {
  const route = routeByKeywords(request);
  const format = formatFromRequest(request);
  return {
    route,
    ...(route === 'document' ? { title: titleFromRequest(request) } : {}),
    prompt: route === 'kb_query' ? queryFromRequest(request) : request.trim(),
    ...(format && route === 'document' ? { format } : {}),
  };
};

/** The task of an intent, cut to what its capability accepts. */
export const taskOf = (intent: Intent, request: string): AgentTask => {
  const limit =
    intent.route === 'kb_query' ? KB_MAX_QUERY_CHARS : intent.route === 'image' ? MAX_AGENT_IMAGE_PROMPT_CHARS : null;
  return {
    route: intent.route,
    title: intent.title ?? titleFromRequest(request),
    prompt: limit === null ? intent.prompt : truncateUtf16(intent.prompt, limit),
    format: intent.format ?? formatFromRequest(request) ?? 'docx',
  };
};

/** The task when the request named its route (no intent step): title and format read from the request. */
export const taskForRoute = (route: AgentRoute, request: string): AgentTask =>
  taskOf({ route, prompt: route === 'kb_query' ? queryFromRequest(request) : request.trim() }, request);

export type IntentDecision =
  | { ok: true; task: AgentTask; routedBy: RoutedBy; fallback: Failure | null }
  | { ok: false; failure: Failure };

/**
 * Asks the provider for the intent (one repair turn on an invalid answer). An answer that is still
 * invalid, or a provider that fails, falls back to the keyword router; a failure that asking again
 * cannot mend (no tokens left) is returned as it is, for the run to end with it. The offline provider
 * answers the keyword router's intent, so its runs count as routed by keywords.
 */
export const parseIntent = async (provider: AiProvider, request: string): Promise<IntentDecision> => {
  const draft = keywordIntent(request);
  try {
    const result = await structuredOutput(provider, IntentSchema, {
      name: 'agent_intent',
      system: INTENT_SYSTEM,
      prompt: request,
      max_tokens: INTENT_MAX_TOKENS,
      draft: () => draft,
    });
    return {
      ok: true,
      task: taskOf(result.value, request),
      routedBy: provider.name === 'local' ? 'keywords' : 'model',
      fallback: null,
    };
  } catch (err) {
    const failure = failureOf(err);
    if (!isRetryable(failure.code)) return { ok: false, failure };
    return { ok: true, task: taskOf(draft, request), routedBy: 'keywords', fallback: failure };
  }
};

const INTENT_SCHEMA_TOKENS = estimateTokens(JSON.stringify(toJsonSchema(IntentSchema))) + 120;

/** What the intent call reserves: its prompt (instructions, schema, request) and its longest answer. */
export const intentEstimate = (request: string): number =>
  estimateTokens(INTENT_SYSTEM) + INTENT_SCHEMA_TOKENS + estimateTokens(request) + INTENT_MAX_TOKENS;

/** A knowledge-base answer's smallest reservation: the question and the longest answer (sources come on top). */
const KB_ANSWER_FLOOR_TOKENS = 700;

/**
 * What the run's first paid call reserves: the intent call, or, when the route is given, its
 * capability's. A wallet that cannot cover it is refused before the run is written (402).
 */
export const firstCallEstimate = (request: string, route?: AgentRoute): number => {
  if (!route) return intentEstimate(request);
  if (route === 'image') return IMAGE_TOKENS;
  if (route === 'document') return generationEstimate([request, titleFromRequest(request), '', '{}']);
  return estimateTokens(request) + KB_ANSWER_FLOOR_TOKENS;
};
