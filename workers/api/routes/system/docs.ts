import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';

export const docsRoute = defineRoute('public', {
  method: 'get',
  path: '/docs',
  operationId: 'getDocs',
  tags: ['System'],
  summary: 'Interactive API reference (HTML)',
  responses: { 200: { description: 'HTML page', content: { 'text/html': { schema: { type: 'string' } } } } },
});

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>FlowSpark Edge API reference</title>
</head>
<body>
<script id="api-reference" data-url="/openapi.json"></script>
<script src="https://cdn.jsdelivr.net/npm/@scalar/api-reference@1"></script>
<noscript>The machine-readable reference is at <a href="/openapi.json">/openapi.json</a>.</noscript>
</body>
</html>`;

export const registerDocs = (app: GroupApp) => app.openapi(docsRoute, (c) => c.html(PAGE, 200));
