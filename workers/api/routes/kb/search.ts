import { kbOrgScope, searchKb } from '@flowspark/kb';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { jsonResponse } from '../../lib/schemas';
import { presentKbHit } from './present';
import { KbSearchResultSchema, SearchKbQuery } from './schemas';
import { kbPortsOf } from './shared';

export const searchKbRoute = defineRoute(
  { scope: 'kb:read' },
  {
    method: 'get',
    path: '/kb/search',
    operationId: 'searchKb',
    tags: ['Knowledge base'],
    summary: 'Search the knowledge base (hybrid, vector or keyword)',
    description:
      '`keyword`: BM25 over the FTS5 index; `vector`: similarity of embeddings; `hybrid` (default): both, fused by ' +
      'reciprocal rank fusion. `top_k` 1–20 (default 5). Filters: `tags` (comma-separated, any of them), `category`, ' +
      '`document_ids` (comma-separated). Only indexed documents are searched. Each hit names its document, chunk, ' +
      'page and heading, with a snippet of at most 300 characters centred on the matching terms.',
    request: { query: SearchKbQuery },
    responses: { 200: jsonResponse(KbSearchResultSchema, 'The hits, best first') },
  },
);

export const registerSearchKb = (app: GroupApp) =>
  app.openapi(searchKbRoute, async (c) => {
    const query = c.req.valid('query');
    const result = await searchKb(
      kbPortsOf(c),
      kbOrgScope(routeContext(c).actor.orgId),
      {
        query: query.q,
        top_k: query.top_k,
        mode: query.mode,
        filters: { tags: query.tags, category: query.category, document_ids: query.document_ids },
      },
      // Each step's time as a Server-Timing entry.
      { timings: c.get('timings') },
    );
    return ok(c, { hits: result.hits.map(presentKbHit), mode: result.mode, timings: result.timings }, 200);
  });
