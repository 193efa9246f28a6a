import { createLocalProvider } from '@flowspark/ai';
import { MAX_IMAGE_PROMPT } from '@flowspark/documents';
import { KB_MAX_QUERY_CHARS } from '@flowspark/kb';
import { describe, expect, it } from 'vitest';
import {
  firstCallEstimate,
  formatFromRequest,
  intentEstimate,
  keywordIntent,
  MAX_AGENT_IMAGE_PROMPT_CHARS,
  MAX_AGENT_REQUEST_CHARS,
  parseIntent,
  queryFromRequest,
  routeByKeywords,
  taskForRoute,
  titleFromRequest,
} from './intent';

describe('keyword routing (seed 000)', () => {
  it.each([
    ['Write a report about solar panels', 'document'],
    ['Prepare the quarterly document for the board', 'document'],
    ['Find the vacation policy in our docs', 'kb_query'],
    ['search for the onboarding checklist', 'kb_query'],
    ['Draw a logo for a coffee shop', 'image'],
    ['An image of a lighthouse at dawn', 'image'],
    ['Tell me something nice', 'document'],
  ])('%s → %s', (request, route) => {
    expect(routeByKeywords(request)).toBe(route);
  });

  it('the keyword that comes first wins', () => {
    expect(routeByKeywords('Find the Q3 report in our docs')).toBe('kb_query');
    expect(routeByKeywords('Write a report that includes our logo')).toBe('document');
    expect(routeByKeywords('Make an image for the report cover')).toBe('image');
  });

  it('matches words, not parts of words', () => {
    expect(routeByKeywords('Our findings on imagery')).toBe('document');
  });

  it('reads the format, the title and the question from the request', () => {
    expect(formatFromRequest('a PDF report')).toBe('pdf');
    expect(formatFromRequest('an Excel sheet of costs')).toBe('xlsx');
    expect(formatFromRequest('a report')).toBeUndefined();
    expect(titleFromRequest('Please write a report about solar panels.')).toBe('Report about solar panels');
    expect(titleFromRequest('x'.repeat(300))).toHaveLength(120);
    expect(queryFromRequest('Find the vacation policy in our docs')).toBe('the vacation policy');
    expect(queryFromRequest('find')).toBe('find');
  });

  it('an intent from keywords, and a task for a route the request named', () => {
    expect(keywordIntent('Write a PDF report about solar panels')).toEqual({
      route: 'document',
      title: 'PDF report about solar panels',
      prompt: 'Write a PDF report about solar panels',
      format: 'pdf',
    });
    expect(keywordIntent('Find the vacation policy in our docs')).toEqual({
      route: 'kb_query',
      prompt: 'the vacation policy',
    });
    expect(taskForRoute('image', 'A lighthouse, watercolour')).toMatchObject({
      route: 'image',
      prompt: 'A lighthouse, watercolour',
    });
    expect(taskForRoute('image', 'y'.repeat(4000)).prompt).toHaveLength(2000);
  });
});

describe('limits', () => {
  it("an image prompt's cap is the images'", () => {
    expect(MAX_AGENT_IMAGE_PROMPT_CHARS).toBe(MAX_IMAGE_PROMPT);
    expect(taskForRoute('kb_query', 'q'.repeat(MAX_AGENT_REQUEST_CHARS)).prompt).toHaveLength(KB_MAX_QUERY_CHARS);
  });
});

describe('parseIntent', () => {
  it('the offline provider answers the keyword router: routed by keywords', async () => {
    const decision = await parseIntent(createLocalProvider(), 'Draw a logo for a coffee shop');
    expect(decision).toMatchObject({ ok: true, routedBy: 'keywords', fallback: null, task: { route: 'image' } });
  });

  it("a model's valid answer routes the request", async () => {
    const provider = {
      ...createLocalProvider(),
      name: 'openai' as const,
      chat: async () => ({
        text: JSON.stringify({ route: 'kb_query', prompt: 'How many vacation days?' }),
        model: 'm',
        provider: 'openai',
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2, estimated: false },
      }),
    };
    const decision = await parseIntent(provider, 'Write me something about vacation days');
    expect(decision).toMatchObject({
      ok: true,
      routedBy: 'model',
      task: { route: 'kb_query', prompt: 'How many vacation days?' },
    });
  });

  it('an invalid answer twice falls back to the keywords, a refused reservation ends the run', async () => {
    const garbage = {
      ...createLocalProvider(),
      name: 'openai' as const,
      chat: async () => ({
        text: 'route: image!!',
        model: 'm',
        provider: 'openai',
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2, estimated: false },
      }),
    };
    const fallback = await parseIntent(garbage, 'Find the vacation policy in our docs');
    expect(fallback).toMatchObject({
      ok: true,
      routedBy: 'keywords',
      task: { route: 'kb_query' },
      fallback: { code: 'AI_INVALID_OUTPUT' },
    });
    const { AppError } = await import('@flowspark/core');
    const broke = {
      ...garbage,
      chat: async () => {
        throw new AppError('INSUFFICIENT_TOKENS', 'Not enough tokens', { details: { required: 10, available: 0 } });
      },
    };
    expect(await parseIntent(broke, 'Draw a logo')).toEqual({
      ok: false,
      failure: { code: 'INSUFFICIENT_TOKENS', message: 'Not enough tokens', retryable: false },
    });
  });

  it("estimates the run's first call", () => {
    expect(intentEstimate('a'.repeat(400))).toBeGreaterThan(700);
    expect(firstCallEstimate('Draw a logo', 'image')).toBe(1000);
    expect(firstCallEstimate('Write a report', 'document')).toBeGreaterThan(10_000);
    expect(firstCallEstimate('Write a report')).toBe(intentEstimate('Write a report'));
  });
});
