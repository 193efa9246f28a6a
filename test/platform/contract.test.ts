import { describe, expect, it } from 'vitest';
import { call, createTenant, env, expectOk } from '../helpers/harness';

const expectEnvelopeError = (res: { status: number; body: any; headers: Headers }, status: number, code: string) => {
  expect(res.status).toBe(status);
  expect(res.body).toMatchObject({ success: false, error: { code } });
  expect(res.body.meta.request_id).toBe(res.headers.get('x-request-id'));
  expect(typeof res.body.meta.timestamp).toBe('string');
};

describe('bad input gets a clear 4xx in the envelope', () => {
  it('malformed JSON is 400 MALFORMED_JSON', async () => {
    const res = await call('POST', '/api/v1/auth/register', {
      rawBody: '{"email": "a@b.c",',
      headers: { 'content-type': 'application/json' },
    });
    expectEnvelopeError(res, 400, 'MALFORMED_JSON');
  });

  it('a missing body is a validation error, not an empty object', async () => {
    const res = await call('POST', '/api/v1/auth/register', { headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.body.success).toBe(false);
  });

  it('a body that is not JSON is 415', async () => {
    const res = await call('POST', '/api/v1/auth/register', {
      rawBody: 'email=a@b.c',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expectEnvelopeError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('unknown fields are refused and named (no mass assignment)', async () => {
    const res = await call('POST', '/api/v1/auth/register', {
      body: {
        email: 'x@example.test',
        password: 'long enough password',
        name: 'X',
        organization_name: 'X',
        role: 'owner',
      },
    });
    expectEnvelopeError(res, 400, 'VALIDATION_ERROR');
    expect(JSON.stringify(res.body.error.details)).toContain('role');
  });

  it('wrong types name the failing fields', async () => {
    const res = await call('POST', '/api/v1/auth/register', {
      body: { email: 42, password: ['x'], name: 'X', organization_name: 'X' },
    });
    expectEnvelopeError(res, 400, 'VALIDATION_ERROR');
    expect(Object.keys(res.body.error.details.fields)).toEqual(expect.arrayContaining(['email', 'password']));
  });

  it('an oversized body is 413 and stores nothing', async () => {
    const email = `big-${crypto.randomUUID()}@example.test`;
    const body = {
      email,
      password: 'long enough password',
      name: 'x'.repeat(1024 * 1024 + 10),
      organization_name: 'X',
    };
    const res = await call('POST', '/api/v1/auth/register', { body });
    expectEnvelopeError(res, 413, 'PAYLOAD_TOO_LARGE');
    expect(res.body.error.details).toEqual({
      limit: 1024 * 1024,
      actual: new TextEncoder().encode(JSON.stringify(body)).length,
    });
    const row = await env.DB.prepare('SELECT id FROM users WHERE email = ?').bind(email).first();
    expect(row).toBeNull();
  });

  it('emails are trimmed and lower-cased before they are checked', async () => {
    const local = `Mixed-${crypto.randomUUID()}`;
    const res = await call('POST', '/api/v1/auth/register', {
      body: { email: `  ${local}@Example.TEST `, password: 'long enough password', name: 'M', organization_name: 'M' },
      headers: { 'cf-connecting-ip': '198.51.100.7' },
    });
    expectOk(res, 201);
    expect(res.body.data.user.email).toBe(`${local.toLowerCase()}@example.test`);
  });

  it('page_size above 100 or page 0 is refused', async () => {
    const tenant = await createTenant();
    expectEnvelopeError(await tenant.as('GET', '/api/v1/api-keys?page_size=101'), 400, 'VALIDATION_ERROR');
    expectEnvelopeError(await tenant.as('GET', '/api/v1/api-keys?page=0'), 400, 'VALIDATION_ERROR');
    const page = expectOk(await tenant.as('GET', '/api/v1/api-keys?page_size=1'));
    expect(page.body.pagination).toMatchObject({
      page: 1,
      page_size: 1,
      total: 1,
      total_pages: 1,
      has_next: false,
      has_previous: false,
    });
  });
});

describe('Idempotency-Key', () => {
  const createKey = (token: string, idempotencyKey: string, name: string) =>
    call('POST', '/api/v1/api-keys', {
      token,
      body: { name, scopes: ['profile:read'] },
      headers: { 'idempotency-key': idempotencyKey },
    });

  it('replays the first response for the same key and body, without creating a second resource', async () => {
    const tenant = await createTenant();
    const first = expectOk(await createKey(tenant.accessToken, 'idem-1', 'ci key'), 201);
    const second = expectOk(await createKey(tenant.accessToken, 'idem-1', 'ci key'), 201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body.data.id).toBe(first.body.data.id);
    expect(second.body.data.key).toBe(first.body.data.key);
    const count = await env.DB.prepare('SELECT COUNT(*) AS n FROM api_keys WHERE org_id = ? AND name = ?')
      .bind(tenant.orgId, 'ci key')
      .first<{ n: number }>();
    expect(count?.n).toBe(1);
  });

  it('the same key with another body is 409 IDEMPOTENCY_CONFLICT', async () => {
    const tenant = await createTenant();
    expectOk(await createKey(tenant.accessToken, 'idem-2', 'first'), 201);
    expectEnvelopeError(await createKey(tenant.accessToken, 'idem-2', 'second'), 409, 'IDEMPOTENCY_CONFLICT');
  });

  it('keys are scoped to the tenant, and failed requests are not remembered', async () => {
    const [a, b] = await Promise.all([createTenant(), createTenant()]);
    const fromA = expectOk(await createKey(a.accessToken, 'shared-key', 'k'), 201);
    const fromB = expectOk(await createKey(b.accessToken, 'shared-key', 'k'), 201);
    expect(fromB.body.data.id).not.toBe(fromA.body.data.id);
    expect(fromB.headers.get('idempotent-replayed')).toBeNull();

    const bad = await call('POST', '/api/v1/api-keys', {
      token: a.accessToken,
      body: { name: '', scopes: ['profile:read'] },
      headers: { 'idempotency-key': 'retry-after-fix' },
    });
    expect(bad.status).toBe(400);
    const fixed = await call('POST', '/api/v1/api-keys', {
      token: a.accessToken,
      body: { name: 'fixed', scopes: ['profile:read'] },
      headers: { 'idempotency-key': 'retry-after-fix' },
    });
    expect(fixed.status).toBe(201);
  });

  it('the stored response is encrypted at rest (it holds a secret shown once)', async () => {
    const tenant = await createTenant();
    const created = expectOk(await createKey(tenant.accessToken, 'idem-secret', 'secret'), 201);
    const row = await env.DB.prepare('SELECT response_body FROM idempotency_keys WHERE org_id = ? AND key = ?')
      .bind(tenant.orgId, 'idem-secret')
      .first<{ response_body: string }>();
    expect(row?.response_body).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(row!.response_body).not.toContain(created.body.data.key);
  });

  it('an invalid Idempotency-Key is refused', async () => {
    const tenant = await createTenant();
    const res = await createKey(tenant.accessToken, 'x'.repeat(300), 'k');
    expectEnvelopeError(res, 400, 'VALIDATION_ERROR');
  });
});
