import { describe, expect, it } from 'vitest';
import { providerJson, retryAfterSeconds } from './provider-http';

const answers = (...responses: (Response | Error)[]) => {
  const seen: string[] = [];
  const fetch = (async (url: string) => {
    seen.push(url);
    const next = responses.shift();
    if (!next) throw new Error('no more answers');
    if (next instanceof Error) throw next;
    return next;
  }) as unknown as typeof globalThis.fetch;
  return { fetch, seen };
};

const sleeps: number[] = [];
const sleep = async (ms: number) => {
  sleeps.push(ms);
};

describe('provider requests', () => {
  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterSeconds('7')).toBe(7);
    expect(retryAfterSeconds('1.5')).toBe(1.5);
    const now = Date.parse('2026-12-07T10:00:00Z');
    expect(retryAfterSeconds('Mon, 07 Dec 2026 10:00:30 GMT', now)).toBe(30);
    expect(retryAfterSeconds(null)).toBe(1);
    expect(retryAfterSeconds('soon')).toBe(1);
  });

  it('waits out 429s as asked and retries 5xx with backoff', async () => {
    sleeps.length = 0;
    const waits: number[] = [];
    const { fetch } = answers(
      new Response('', { status: 429, headers: { 'retry-after': '2' } }),
      new Response('', { status: 503 }),
      new TypeError('network down'),
      Response.json({ ok: true }),
    );
    const body = await providerJson<{ ok: boolean }>(
      { fetch, sleep, onRateLimited: (s) => waits.push(s) },
      'https://api.example.com/x',
      {},
    );
    expect(body).toEqual({ ok: true });
    expect(sleeps).toEqual([2000, 500, 1000]);
    expect(waits).toEqual([2]);
  });

  it('gives up on a Retry-After past the limit, after the retries, and names each failure', async () => {
    const opts = (fetch: typeof globalThis.fetch) => ({ fetch, sleep });
    await expect(
      providerJson(opts(answers(new Response('', { status: 429, headers: { 'retry-after': '120' } })).fetch), 'u', {}),
    ).rejects.toMatchObject({ code: 'PROVIDER_RATE_LIMITED', retryAfter: 120 });
    const limited = Array.from({ length: 6 }, () => new Response('', { status: 429, headers: { 'retry-after': '0' } }));
    await expect(providerJson(opts(answers(...limited).fetch), 'u', {})).rejects.toMatchObject({
      code: 'PROVIDER_RATE_LIMITED',
    });
    await expect(
      providerJson(opts(answers(...[500, 502, 504].map((s) => new Response('', { status: s }))).fetch), 'u', {}),
    ).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE', status: 504 });
    await expect(
      providerJson(opts(answers(Response.json({ message: 'API token is invalid.' }, { status: 401 })).fetch), 'u', {}),
    ).rejects.toMatchObject({
      code: 'PROVIDER_UNAUTHORIZED',
      message: 'The provider refused the token (401): API token is invalid.',
    });
    await expect(
      providerJson(opts(answers(Response.json({ errors: [{ title: 'Not Found' }] }, { status: 404 })).fetch), 'u', {}),
    ).rejects.toMatchObject({ code: 'PROVIDER_NOT_FOUND', message: 'Not found: Not Found' });
    await expect(
      providerJson(opts(answers(new Response('<html>', { status: 200 })).fetch), 'u', {}),
    ).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
    });
    await expect(
      providerJson(
        opts(answers(new Response('', { status: 302, headers: { location: 'https://elsewhere' } })).fetch),
        'u',
        {},
      ),
    ).rejects.toMatchObject({ code: 'PROVIDER_ERROR', status: 302 });
  });
});
