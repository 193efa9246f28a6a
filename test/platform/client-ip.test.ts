import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { type AppEnv, clientIp, LOOPBACK_IP } from '../../workers/api/lib/context';
import { requestContext } from '../../workers/api/middleware/request-context';
import type { Env } from '../../workers/env';
import worker from '../../workers/main';
import { env, expectOk, PASSWORD, readResponse, toRequest, uniqueEmail } from '../helpers/harness';

/** Headers a client can send to pose as another address. */
const SPOOFED = {
  'cf-connecting-ip': '198.51.100.7',
  'x-forwarded-for': '198.51.100.8, 10.0.0.1',
  'x-real-ip': '198.51.100.9',
  'true-client-ip': '198.51.100.10',
  forwarded: 'for=198.51.100.11',
};

const ipSeen = async (vars: Partial<Env>, headers: Record<string, string>): Promise<string> => {
  const app = new Hono<AppEnv>();
  app.use('*', requestContext);
  app.get('/', (c) => c.text(clientIp(c)));
  const res = await app.request('/', { headers }, vars as Env);
  return res.text();
};

describe('clientIp', () => {
  it('behind Cloudflare (trusted), the address is CF-Connecting-IP and nothing else', async () => {
    const trusted = { TRUST_CF_CONNECTING_IP: 'true' };
    expect(await ipSeen(trusted, SPOOFED)).toBe('198.51.100.7');
    expect(await ipSeen(trusted, { 'cf-connecting-ip': '2001:db8::1' })).toBe('2001:db8::1');
    const { 'cf-connecting-ip': _, ...others } = SPOOFED;
    expect(await ipSeen(trusted, others)).toBe(LOOPBACK_IP);
  });

  it('otherwise no client-supplied header counts: every caller is the local loopback address', async () => {
    expect(LOOPBACK_IP).toBe('127.0.0.1');
    for (const vars of [{}, { TRUST_CF_CONNECTING_IP: 'false' }, { TRUST_CF_CONNECTING_IP: 'yes' }]) {
      expect(await ipSeen(vars, SPOOFED), JSON.stringify(vars)).toBe(LOOPBACK_IP);
      expect(await ipSeen(vars, {}), JSON.stringify(vars)).toBe(LOOPBACK_IP);
    }
  });
});

describe('untrusted CF-Connecting-IP through the Worker', () => {
  const untrusted = (vars: Partial<Env> = {}): Env => ({ ...env, TRUST_CF_CONNECTING_IP: 'false', ...vars });

  const fetchWorker = async (request: Request, workerEnv: Env) => {
    const { createExecutionContext, waitOnExecutionContext } = await import('cloudflare:test');
    const ctx = createExecutionContext();
    // The Worker's own entry point, as the runtime calls it (an incoming request carries `cf`).
    const res = await worker.fetch(request as Request<unknown, IncomingRequestCfProperties>, workerEnv, ctx);
    await waitOnExecutionContext(ctx);
    return readResponse(res);
  };

  const signUpAndIn = async (workerEnv: Env, ip: string) => {
    const email = uniqueEmail('ip');
    const body = { email, password: PASSWORD, name: 'Test ip', organization_name: 'IP Test' };
    const headers = { ...SPOOFED, 'cf-connecting-ip': ip };
    expectOk(await fetchWorker(toRequest('POST', '/api/v1/auth/register', { body, headers }), workerEnv), 201);
    const login = expectOk(
      await fetchWorker(
        toRequest('POST', '/api/v1/auth/login', { body: { email, password: PASSWORD }, headers }),
        workerEnv,
      ),
    );
    const token = login.body.data.tokens.access_token as string;
    const sessions = expectOk(
      await fetchWorker(toRequest('GET', '/api/v1/auth/sessions', { token, headers }), workerEnv),
    );
    return sessions.body.data.map((session: { ip: string | null }) => session.ip);
  };

  it('sessions record the loopback address, not the spoofed header', async () => {
    expect(await signUpAndIn(untrusted(), '203.0.113.50')).toEqual([LOOPBACK_IP, LOOPBACK_IP]);
    // The same requests behind Cloudflare record the header's address, so the header did reach the Worker.
    expect(await signUpAndIn(env, '203.0.113.51')).toEqual(['203.0.113.51', '203.0.113.51']);
  });

  it('the per-IP limit on public POSTs cannot be dodged by changing the header', async () => {
    const reset = (workerEnv: Env, ip: string) =>
      fetchWorker(
        toRequest('POST', '/api/v1/auth/password/reset', {
          body: { email: uniqueEmail('nobody') },
          headers: { ...SPOOFED, 'cf-connecting-ip': ip },
        }),
        workerEnv,
      );
    const strict = { PUBLIC_RATE_LIMIT_PER_MINUTE: '3' };
    const spoofing = [];
    for (let i = 0; i < 5; i += 1) spoofing.push(await reset(untrusted(strict), `203.0.113.${100 + i}`));
    // One bucket for every request (at most 3 tokens, whatever else used it): the last two are refused.
    expect(spoofing.slice(3).map((r) => r.status)).toEqual([429, 429]);
    expect(spoofing.filter((r) => r.status === 202).length).toBeLessThanOrEqual(3);
    expect(spoofing[4]!.body.error.code).toBe('RATE_LIMITED');
    expect(spoofing[4]!.headers.get('ratelimit-limit')).toBe('3');

    // Behind Cloudflare each of those addresses is a client of its own.
    const trusted = [];
    for (let i = 0; i < 5; i += 1) trusted.push(await reset({ ...env, ...strict }, `192.0.2.${10 + i}`));
    expect(trusted.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
  });
});
