import { describe, expect, it } from 'vitest';
import { type ClientOptions, createClient, FlowSparkError } from '../src/index';

const envelope = (data: unknown, status = 200) =>
  Response.json(
    { success: true, data, meta: { timestamp: new Date().toISOString(), request_id: 'req_1' } },
    { status },
  );

/** An API that accepts only `Bearer fresh` and hands `fresh` out for the refresh token `fsr_1`; it records every request. */
const scriptedApi = () => {
  const seen: { url: string; method: string; authorization: string | null; key: string | null; body: string }[] = [];
  const fetch = async (request: Request) => {
    const body = await request.text();
    seen.push({
      url: request.url,
      method: request.method,
      authorization: request.headers.get('authorization'),
      key: request.headers.get('idempotency-key'),
      body,
    });
    if (request.url.endsWith('/api/v1/auth/refresh')) {
      if (JSON.parse(body).refresh_token !== 'fsr_1') return Response.json({ success: false }, { status: 401 });
      return envelope({ access_token: 'fresh', refresh_token: 'fsr_2', token_type: 'Bearer' });
    }
    if (request.headers.get('authorization') !== 'Bearer fresh') {
      return Response.json(
        {
          success: false,
          error: { code: 'INVALID_TOKEN', message: 'Token expired', details: { reason: 'expired' } },
          meta: { request_id: 'req_401' },
        },
        { status: 401 },
      );
    }
    return envelope({ echoed: body }, 201);
  };
  return { fetch, seen };
};

/** A client of the scripted API at https://api.test. */
const clientOf = (api: ReturnType<typeof scriptedApi>, options: Omit<ClientOptions, 'baseUrl' | 'fetch'>) =>
  createClient({ baseUrl: 'https://api.test/', fetch: api.fetch, ...options });

describe('createClient', () => {
  it('repeats a POST refused with 401 after one refresh, with the same body and Idempotency-Key', async () => {
    const api = scriptedApi();
    const client = clientOf(api, { accessToken: 'stale', refreshToken: 'fsr_1' });
    const { data } = await client.api.POST('/api/v1/api-keys', { body: { name: 'k', scopes: ['jobs:read'] } });
    expect(data?.data).toEqual({ echoed: '{"name":"k","scopes":["jobs:read"]}' });
    const posts = api.seen.filter((r) => r.url === 'https://api.test/api/v1/api-keys');
    expect(posts.map((r) => r.authorization)).toEqual(['Bearer stale', 'Bearer fresh']);
    expect(posts[0]!.key).toMatch(/^[0-9a-f-]{36}$/);
    expect(posts[1]!.key).toBe(posts[0]!.key);
    expect(posts[1]!.body).toBe(posts[0]!.body);
    expect(client.token).toBe('fresh');
  });

  it('throws the first 401 as FlowSparkError when the refresh is refused, and never refreshes an API key', async () => {
    const api = scriptedApi();
    const lost = clientOf(api, { accessToken: 'stale', refreshToken: 'fsr_x' });
    const error = await lost.fetch('/api/v1/auth/me').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(FlowSparkError);
    expect(error).toMatchObject({
      status: 401,
      code: 'INVALID_TOKEN',
      details: { reason: 'expired' },
      requestId: 'req_401',
    });

    const keyed = clientOf(api, { apiKey: 'fsk_1', refreshToken: 'fsr_1' });
    await expect(keyed.fetch('/api/v1/auth/me')).rejects.toBeInstanceOf(FlowSparkError);
    expect(api.seen.filter((r) => r.url.endsWith('/auth/refresh'))).toHaveLength(1);
  });

  it('leaves POST without a key when asked, and sends requests only to its own origin', async () => {
    const api = scriptedApi();
    const client = clientOf(api, { accessToken: 'fresh', idempotencyKeys: false });
    await client.fetch('/api/v1/api-keys', { method: 'POST' });
    expect(api.seen[0]).toMatchObject({
      key: null,
      url: 'https://api.test/api/v1/api-keys',
      authorization: 'Bearer fresh',
    });
    await expect(client.fetch('https://elsewhere.test/steal')).rejects.toBeInstanceOf(TypeError);
    expect(api.seen).toHaveLength(1);
  });
});
