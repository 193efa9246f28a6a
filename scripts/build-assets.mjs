// Builds the static files the API Worker serves from Workers Static Assets into `.assets/`: the chat
// widget loader (packages/widget, bundled and minified), the API reference UI (swagger-ui-dist, from
// its npm package, so /docs works offline), and the HTML pages that use them. Versioned files carry a
// content hash in their name and are cached for a year; stable entry points are cached briefly.
// Run by `npm run dev`, `npm test` (pretest), the benchmarks and `npm run deploy`; takes well under
// a second. `.assets/` is generated, never committed.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, '.assets');

const hashed = (name, ext, contents) => {
  const hash = createHash('sha256').update(contents).digest('hex').slice(0, 12);
  return `/assets/${name}.${hash}.${ext}`;
};

export const buildAssets = async () => {
  const started = performance.now();
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'assets'), { recursive: true });
  mkdirSync(join(out, 'pages'), { recursive: true });
  const files = new Map();
  const put = (path, contents) => {
    files.set(path, contents);
    writeFileSync(join(out, path), contents);
  };

  const widget = await build({
    entryPoints: [join(root, 'packages/widget/src/loader.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2019',
    write: false,
    legalComments: 'none',
  });
  const widgetJs = widget.outputFiles[0].contents;
  const widgetUrl = hashed('widget', 'js', widgetJs);
  put(widgetUrl, widgetJs);
  put('/widget.js', widgetJs);

  const swagger = join(root, 'node_modules/swagger-ui-dist');
  const swaggerJs = readFileSync(join(swagger, 'swagger-ui-bundle.js'));
  const swaggerCss = readFileSync(join(swagger, 'swagger-ui.css'));
  const swaggerJsUrl = hashed('swagger-ui', 'js', swaggerJs);
  const swaggerCssUrl = hashed('swagger-ui', 'css', swaggerCss);
  put(swaggerJsUrl, swaggerJs);
  put(swaggerCssUrl, swaggerCss);
  const docsInit = Buffer.from(
    "window.addEventListener('load',function(){window.SwaggerUIBundle({url:'/openapi.json',dom_id:'#api-reference',deepLinking:true,docExpansion:'none'})});",
  );
  const docsInitUrl = hashed('docs', 'js', docsInit);
  put(docsInitUrl, docsInit);

  put(
    '/pages/docs.html',
    `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>FlowSpark Edge API reference</title>
<link rel="stylesheet" href="${swaggerCssUrl}">
</head>
<body>
<div id="api-reference"></div>
<script src="${swaggerJsUrl}"></script>
<script src="${docsInitUrl}"></script>
<noscript>The machine-readable reference is at <a href="/openapi.json">/openapi.json</a>.</noscript>
</body>
</html>
`,
  );

  // The widget demo (local mode only: served by GET /widget/demo, which fills in the bot's key).
  put(
    '/pages/widget-demo.html',
    `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>FlowSpark Edge chat widget demo</title>
<style>body{font-family:system-ui,sans-serif;max-width:640px;margin:40px auto;padding:0 16px;line-height:1.5;color:#111827}code{background:#f3f4f6;padding:1px 4px;border-radius:4px}</style>
</head>
<body>
<h1>Chat widget demo</h1>
<p>This page embeds the chat widget of the bot <code>__BOT_KEY__</code> with one tag:</p>
<pre><code>&lt;script src="__ORIGIN__/widget.js" data-bot="__BOT_KEY__" async&gt;&lt;/script&gt;</code></pre>
<p>Open the chat with the button in the corner.</p>
<script src="${widgetUrl}" data-bot="__BOT_KEY__" async></script>
</body>
</html>
`,
  );

  // Workers Static Assets reads response headers for matching paths from `_headers`.
  put(
    '/_headers',
    [
      '/assets/*',
      '  Cache-Control: public, max-age=31536000, immutable',
      '  X-Content-Type-Options: nosniff',
      '/widget.js',
      '  Cache-Control: public, max-age=300',
      '  Access-Control-Allow-Origin: *',
      '  X-Content-Type-Options: nosniff',
      '/pages/*',
      '  Cache-Control: no-cache',
      '  X-Content-Type-Options: nosniff',
      '',
    ].join('\n'),
  );

  const manifest = {
    widget: widgetUrl,
    widgetGzipBytes: gzipSync(widgetJs).length,
    files: [...files.keys()].sort(),
  };
  return { ...manifest, ms: Math.round(performance.now() - started) };
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await buildAssets();
  console.log(
    `Static assets: ${result.files.length} files in .assets (widget.js ${(result.widgetGzipBytes / 1024).toFixed(1)} KiB gzip) in ${result.ms} ms`,
  );
}
