import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call } from '../helpers/harness';

/** What the asset layer answers for a path (in production it answers before the Worker runs). */
const asset = (path: string) => env.ASSETS.fetch(new URL(path, 'http://assets.local'));

const sha256Hex = async (bytes: ArrayBuffer) =>
  [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');

const gzipSize = async (bytes: ArrayBuffer) => {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('gzip'));
  return (await new Response(stream).arrayBuffer()).byteLength;
};

/** A versioned file: named by the first 12 hex digits of its content's SHA-256, cached for a year. */
const expectVersioned = async (path: string, contentType: string) => {
  const res = await asset(path);
  expect(res.status, path).toBe(200);
  expect(res.headers.get('content-type')).toContain(contentType);
  expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  const bytes = await res.arrayBuffer();
  expect(path).toContain(`.${(await sha256Hex(bytes)).slice(0, 12)}.`);
  return bytes;
};

describe('static assets', () => {
  it('GET /docs serves the reference UI from the Worker itself: no CDN, versioned scripts and styles', async () => {
    const res = await call('GET', '/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const html = res.body as string;
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const scripts = [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
    const styles = [...html.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts).toHaveLength(2);
    expect(styles).toHaveLength(1);
    for (const path of scripts) await expectVersioned(path, 'javascript');
    await expectVersioned(styles[0]!, 'text/css');
    const init = new TextDecoder().decode(await (await asset(scripts[1]!)).arrayBuffer());
    expect(init).toContain("url:'/openapi.json'");
  });

  it('GET /widget.js: the loader, briefly cached under its stable name, for any site, at most 15 KB gzip', async () => {
    const res = await asset('/widget.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('javascript');
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const bytes = await res.arrayBuffer();
    expect(await gzipSize(bytes)).toBeLessThanOrEqual(15 * 1024);
    // The same build is also published under a content-hashed name.
    const hashed = `/assets/widget.${(await sha256Hex(bytes)).slice(0, 12)}.js`;
    expect(new Uint8Array(await expectVersioned(hashed, 'javascript'))).toEqual(new Uint8Array(bytes));
  });

  it('a path that is not an asset is left to the Worker', async () => {
    expect((await asset('/api/v1/auth/me')).status).toBe(404);
    expect((await asset('/pages/missing.html')).status).toBe(404);
  });
});
