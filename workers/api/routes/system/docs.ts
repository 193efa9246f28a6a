import { AppError } from '@flowspark/core';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';

export const docsRoute = defineRoute('public', {
  method: 'get',
  path: '/docs',
  operationId: 'getDocs',
  tags: ['System'],
  summary: 'Interactive API reference (HTML)',
  description:
    'The reference UI is served by the Worker from its static assets (no CDN), so it works offline; ' +
    'its scripts and styles have a content hash in their URL and are cached for a year.',
  responses: { 200: { description: 'HTML page', content: { 'text/html': { schema: { type: 'string' } } } } },
});

/** A page from the static assets (`.assets/pages/`), under this route's own URL. */
export const assetPage = async (env: { ASSETS: Fetcher }, requestUrl: string, page: string): Promise<Response> => {
  const res = await env.ASSETS.fetch(new URL(`/pages/${page}`, requestUrl));
  if (!res.ok) {
    throw new AppError('SERVICE_UNAVAILABLE', 'Static assets are not built: run `npm run assets`');
  }
  return new Response(res.body, {
    status: 200,
    headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' },
  });
};

export const registerDocs = (app: GroupApp) =>
  app.openapi(docsRoute, async (c) => assetPage(c.env, c.req.url, 'docs.html') as never);
