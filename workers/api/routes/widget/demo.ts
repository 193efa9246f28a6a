import { AppError } from '@flowspark/core';
import { z } from '@hono/zod-openapi';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { errorResponses } from '../../lib/schemas';

/** The demo page's bot: the key `npm run seed` prints with the page's address. */
const DemoQuerySchema = z.object({
  bot: z
    .string()
    .regex(/^pk_[0-9a-f]{40}$/, 'Must be a bot’s public key (pk_…)')
    .openapi({ param: { name: 'bot', in: 'query' }, description: 'The public key of the bot to embed' }),
});

export const widgetDemoRoute = defineRoute('public', {
  method: 'get',
  path: '/widget/demo',
  operationId: 'getWidgetDemo',
  tags: ['Development'],
  summary: 'Local only: a page that embeds the chat widget of a bot',
  description:
    'Exists only outside production (config `devRoutes`). `npm run seed` creates a public bot that allows ' +
    'this page’s origin and prints the page’s address with its key.',
  middleware: [
    async (c, next) => {
      if (!c.get('config').devRoutes) throw new AppError('NOT_FOUND', `No route for ${c.req.method} ${c.req.path}`);
      await next();
    },
  ],
  request: { query: DemoQuerySchema },
  responses: {
    200: { description: 'HTML page', content: { 'text/html': { schema: { type: 'string' } } } },
    ...errorResponses([404]),
  },
});

export const registerWidgetDemo = (app: GroupApp) =>
  app.openapi(widgetDemoRoute, async (c) => {
    const { bot } = c.req.valid('query');
    const page = await c.env.ASSETS.fetch(new URL('/pages/widget-demo.html', c.req.url));
    if (!page.ok) throw new AppError('SERVICE_UNAVAILABLE', 'Static assets are not built: run `npm run assets`');
    // The key matched its pattern and the origin comes from the request URL: nothing else is inserted.
    const html = (await page.text()).replaceAll('__BOT_KEY__', bot).replaceAll('__ORIGIN__', new URL(c.req.url).origin);
    return new Response(html, {
      status: 200,
      headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' },
    }) as never;
  });
