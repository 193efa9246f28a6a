import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';

const call = (path: string, init?: RequestInit) => exports.default.fetch(new Request(`http://localhost${path}`, init));

describe('system routes', () => {
  it('GET /health answers in the envelope with a request id', async () => {
    const res = await call('/health');
    expect(res.status).toBe(200);
    const body = await res.json<{ success: boolean; data: { status: string }; meta: { request_id: string } }>();
    expect(body.success).toBe(true);
    expect(body.data.status).toBe('ok');
    expect(res.headers.get('x-request-id')).toBe(body.meta.request_id);
  });

  it('echoes a valid incoming X-Request-Id and replaces an invalid one', async () => {
    const echoed = await call('/health', { headers: { 'X-Request-Id': 'client-req-12345' } });
    expect(echoed.headers.get('x-request-id')).toBe('client-req-12345');
    const replaced = await call('/health', { headers: { 'X-Request-Id': 'bad id with spaces' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
  });

  it('GET /ready checks D1, R2 and the queue binding', async () => {
    const res = await call('/ready');
    expect(res.status).toBe(200);
    const body = await res.json<{ data: { checks: Record<string, string> } }>();
    expect(body.data.checks).toEqual({ d1: 'ok', r2: 'ok', queue: 'ok' });
  });

  it('unknown routes get the error envelope, not plain text', async () => {
    for (const path of ['/nope', '/api/v1/nope', '/api/v1/auth/nope']) {
      const res = await call(path);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/json');
      const body = await res.json<{ success: boolean; error: { code: string } }>();
      expect(body).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
    }
  });
});
