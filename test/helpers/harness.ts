import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { hashPassword } from '@flowspark/auth';
import { loadConfig, newId, type Plan, type Role } from '@flowspark/core';
import { createDb, schema } from '@flowspark/db';
import {
  createApiKey,
  getOrganization,
  type IdentityContext,
  organizationSlug,
  outboxMailer,
  startSession,
} from '@flowspark/identity';
import { expect } from 'vitest';
import { handleFetch } from '../../workers/api/app';
import type { Env, JobMessage } from '../../workers/env';

/**
 * Test harness: every test makes its own organization, user, tokens and API key, so tests share no
 * data and can run in any order. Accounts are written straight into D1 by the identity package's
 * own functions (see `seedAccount`); tests of registration and sign-in register through the API.
 */
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface CallOptions {
  /** A bearer token (access token or API key); omitted means no Authorization header. */
  token?: string;
  body?: unknown;
  /** Sent as-is instead of JSON.stringify(body). */
  rawBody?: BodyInit;
  headers?: Record<string, string>;
}

let ipCounter = 0;
/** A distinct client IP per harness user, so per-IP login throttling never couples tests. */
export const nextIp = () => {
  ipCounter += 1;
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
};

/** The Request the harness sends: bearer token, JSON body unless a raw one is given. */
export const toRequest = (method: string, path: string, options: CallOptions = {}): Request => {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: BodyInit | undefined = options.rawBody;
  if (body === undefined && options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  return new Request(`http://localhost${path}`, { method, headers, body });
};

/** Status, headers and the body, parsed when it is JSON. */
export const readResponse = async <T = any>(res: Response): Promise<ApiResponse<T>> => {
  const text = await res.text();
  let parsed: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: parsed as T };
};

export const call = async <T = any>(method: string, path: string, options: CallOptions = {}): Promise<ApiResponse<T>> =>
  readResponse<T>(await exports.default.fetch(toRequest(method, path, options)));

/**
 * An env whose JOBS queue records messages instead of sending them, and a fetch through the
 * Worker's handler with it: tests deliver the messages themselves, in this isolate, so no message
 * outlives its test file (a delivery into a test runner that is starting crashes the pool) and the
 * fakes a test installs are the ones that run.
 */
export const recordingEnv = () => {
  const sent: JobMessage[] = [];
  const queue = {
    async send(body: JobMessage) {
      sent.push(body);
    },
    async sendBatch(messages: Iterable<{ body: JobMessage }>) {
      for (const message of messages) sent.push(message.body);
    },
  };
  return { sent, env: { ...env, JOBS: queue } as unknown as Env };
};

/** The Worker's fetch handler with another env, waiting for its deferred work. */
export const fetchWith = async (request: Request, workerEnv: Env): Promise<Response> => {
  const ctx = createExecutionContext();
  const response = await handleFetch(request, workerEnv, ctx);
  await waitOnExecutionContext(ctx);
  return response;
};

/**
 * Requests through a recording env (see `recordingEnv`): `call`, a raw fetch, and tenants whose `as`
 * goes the same way. Tests deliver the recorded messages themselves.
 */
export const recordingClient = () => {
  const { sent, env: workerEnv } = recordingEnv();
  const rawCall = (method: string, path: string, options: CallOptions = {}, through: Env = workerEnv) =>
    fetchWith(toRequest(method, path, options), through);
  const callThrough = async <T = any>(
    method: string,
    path: string,
    options: CallOptions = {},
    through: Env = workerEnv,
  ): Promise<ApiResponse<T>> => readResponse<T>(await rawCall(method, path, options, through));
  const createTenantThrough = async (options: TenantOptions = {}): Promise<TestTenant> => {
    const tenant = await createTenant(options);
    return {
      ...tenant,
      as: (method, path, opts = {}) => callThrough(method, path, { ...opts, token: tenant.accessToken }),
    };
  };
  return { sent, env: workerEnv, rawCall, call: callThrough, createTenant: createTenantThrough };
};

let counter = 0;
export const uniqueEmail = (label = 'user') => {
  counter += 1;
  return `${label}-${Date.now().toString(36)}-${counter}-${crypto.randomUUID().slice(0, 8)}@example.test`;
};

/** A stored or returned time: ISO 8601 in UTC with milliseconds, as `toISOString()` writes it. */
export const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export const PASSWORD = 'correct horse battery staple';
/** A password for tests that change one. */
export const NEW_PASSWORD = 'a brand new passphrase';

export interface TestUser {
  email: string;
  password: string;
  ip: string;
  userId: string;
  orgId: string;
  accessToken: string;
  refreshToken: string;
  sessionId: string;
}

export interface TestTenant extends TestUser {
  organization: { id: string; name: string; slug: string; plan: string };
  /** An API key of the owner with every scope. */
  apiKey: string;
  apiKeyId: string;
  /** Calls the API as the owner with the access token. */
  as: <T = any>(method: string, path: string, options?: Omit<CallOptions, 'token'>) => Promise<ApiResponse<T>>;
}

export const expectOk = <T>(res: ApiResponse<T>, status = 200): ApiResponse<T> => {
  if (res.status !== status) {
    throw new Error(`expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return res;
};

/** An error response in the API's envelope: this status and this error code. */
export const expectError = <R extends { status: number; body: any }>(res: R, status: number, code: string): R => {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body).toMatchObject({ success: false, error: { code } });
  return res;
};

/** The pagination block of a list answer for `total` items, at this page and page size. */
export const pagination = (total: number, page: number, pageSize: number) => {
  const totalPages = Math.ceil(total / pageSize);
  return {
    total,
    page,
    page_size: pageSize,
    total_pages: totalPages,
    has_next: page < totalPages,
    has_previous: page > 1,
  };
};

export const register = async (label = 'owner', organizationName = 'Acme Test'): Promise<TestUser> => {
  const email = uniqueEmail(label);
  const ip = nextIp();
  const res = expectOk(
    await call('POST', '/api/v1/auth/register', {
      body: { email, password: PASSWORD, name: `Test ${label}`, organization_name: organizationName },
      headers: { 'cf-connecting-ip': ip },
    }),
    201,
  );
  const data = res.body.data;
  return {
    email,
    password: PASSWORD,
    ip,
    userId: data.user.id,
    orgId: data.organization.id,
    accessToken: data.tokens.access_token,
    refreshToken: data.tokens.refresh_token,
    sessionId: data.tokens.session_id,
  };
};

export const login = async (
  user: Pick<TestUser, 'email' | 'password' | 'ip'>,
  organizationId?: string,
): Promise<ApiResponse> =>
  call('POST', '/api/v1/auth/login', {
    body: {
      email: user.email,
      password: user.password,
      ...(organizationId ? { organization_id: organizationId } : {}),
    },
    headers: { 'cf-connecting-ip': user.ip },
  });

const notSeeding = async () => {
  throw new Error('seeding an account revokes nothing');
};

/** The identity services' context as the Worker builds it, over the test runtime's bindings. */
const identityContext = (): IdentityContext => {
  const db = createDb(env.DB);
  return {
    db,
    config: loadConfig(env),
    secrets: env,
    revocations: {
      revokeSessions: notSeeding,
      invalidateUserTokens: notSeeding,
      revokeApiKeys: notSeeding,
      closeConnections: notSeeding,
    },
    mailer: outboxMailer(db),
    defer: (promise) => void promise.catch(() => undefined),
  };
};

/**
 * PASSWORD hashed once per runtime, at the production work factor: every seeded account stores this
 * hash, so signing in with PASSWORD checks it like any other (a salt shared between test accounts
 * changes nothing about the check).
 */
const passwordHash = (): Promise<string> => {
  const shared = globalThis as { __harnessPasswordHash?: Promise<string> };
  shared.__harnessPasswordHash ??= hashPassword(PASSWORD);
  return shared.__harnessPasswordHash;
};

type Session = Pick<TestUser, 'accessToken' | 'refreshToken' | 'sessionId'>;

/** A session opened the way sign-in opens one (identity's `startSession`: session row, refresh token, JWT). */
const openSession = async (
  ctx: IdentityContext,
  subject: { userId: string; orgId: string; role: Role; plan: Plan },
  ip: string,
): Promise<Session> => {
  const tokens = await startSession(ctx, subject, { ip, userAgent: null });
  return { accessToken: tokens.access_token, refreshToken: tokens.refresh_token, sessionId: tokens.session_id };
};

/**
 * What POST /auth/register writes (organization, user, owner membership, first session), written
 * directly: the same rows as `registerAccount`, with the shared PASSWORD hash instead of a fresh
 * PBKDF2 per account.
 */
const seedAccount = async (
  label: string,
  options: { organizationName?: string; plan?: Plan } = {},
): Promise<TestUser & { plan: Plan }> => {
  const ctx = identityContext();
  const email = uniqueEmail(label).toLowerCase();
  const ip = nextIp();
  const plan = options.plan ?? 'free';
  const organizationName = options.organizationName ?? 'Acme Test';
  const now = new Date().toISOString();
  const orgId = newId('org');
  const userId = newId('usr');
  await ctx.db.batch([
    ctx.db.insert(schema.organizations).values({
      id: orgId,
      name: organizationName,
      slug: organizationSlug(organizationName),
      plan,
      createdAt: now,
      updatedAt: now,
    }),
    ctx.db.insert(schema.users).values({
      id: userId,
      email,
      name: `Test ${label}`,
      passwordHash: await passwordHash(),
      isActive: true,
      mfaEnabled: false,
      defaultOrgId: orgId,
      lastLoginAt: now,
      passwordChangedAt: null,
      createdAt: now,
      updatedAt: now,
    }),
    ctx.db.insert(schema.memberships).values({
      id: newId('mem'),
      orgId,
      userId,
      role: 'owner',
      createdAt: now,
      updatedAt: now,
    }),
  ]);
  const session = await openSession(ctx, { userId, orgId, role: 'owner', plan }, ip);
  return { email, password: PASSWORD, ip, userId, orgId, plan, ...session };
};

export interface TenantOptions {
  plan?: Plan;
  /**
   * `'api'` registers (and, for a paid plan, signs in again) through the API, for tests of
   * registration, sign-in and what they record; the default writes the same rows directly.
   */
  via?: 'api' | 'seed';
}

/** GET /auth/me with this token. */
export const me = (token: string) => call('GET', '/api/v1/auth/me', { token });

/** POST /auth/refresh with this refresh token. */
export const refresh = (refreshToken: unknown) =>
  call('POST', '/api/v1/auth/refresh', { body: { refresh_token: refreshToken } });

/** A fresh organization with its owner, tokens and an all-scopes API key. */
export const createTenant = async (options: TenantOptions = {}): Promise<TestTenant> => {
  if (options.via === 'api') return registerTenant(options.plan);
  const ctx = identityContext();
  const owner = await seedAccount('owner', { plan: options.plan });
  const [organization, key] = await Promise.all([
    getOrganization(ctx, owner.orgId),
    createApiKey(ctx, { ...owner, role: 'owner' }, { name: 'harness key', scopes: ['*'] }),
  ]);
  const { plan: _plan, ...user } = owner;
  return tenantOf(user, organization, key);
};

const tenantOf = (
  owner: TestUser,
  organization: { id: string; name: string; slug: string; plan: string },
  key: { key: string; id: string },
): TestTenant => ({
  ...owner,
  organization,
  apiKey: key.key,
  apiKeyId: key.id,
  as: (method, path, opts = {}) => call(method, path, { ...opts, token: owner.accessToken }),
});

/** `createTenant` through the public API: register, sign in again for a paid plan, read the organization, make a key. */
const registerTenant = async (plan?: Plan): Promise<TestTenant> => {
  const owner = await register('owner');
  if (plan && plan !== 'free') {
    await env.DB.prepare('UPDATE organizations SET plan = ? WHERE id = ?').bind(plan, owner.orgId).run();
    // The plan travels in the access token: log in again to pick it up.
    const relogin = expectOk(await login(owner, owner.orgId));
    owner.accessToken = relogin.body.data.tokens.access_token;
    owner.refreshToken = relogin.body.data.tokens.refresh_token;
    owner.sessionId = relogin.body.data.tokens.session_id;
  }
  const org = expectOk(await call('GET', '/api/v1/organizations/current', { token: owner.accessToken }));
  const key = expectOk(
    await call('POST', '/api/v1/api-keys', {
      token: owner.accessToken,
      body: { name: 'harness key', scopes: ['*'] },
    }),
    201,
  );
  return tenantOf(owner, org.body.data, key.body.data);
};

/**
 * Adds a new user to the tenant with the given role and returns them signed in to that tenant.
 * The membership is written directly so member tests do not depend on the invitation flow. The user
 * has an organization of their own, as anyone who registered has; `via: 'api'` registers them and
 * signs them in through the API.
 */
export const addMember = async (
  tenant: Pick<TestTenant, 'orgId'>,
  role: Role,
  options: { via?: 'api' | 'seed' } = {},
): Promise<TestUser> => {
  const user = options.via === 'api' ? await register(role) : await seedAccount(role);
  const now = new Date().toISOString();
  await env.DB.prepare(
    'INSERT INTO memberships (id, org_id, user_id, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
  )
    .bind(`mem_${crypto.randomUUID().replaceAll('-', '')}`, tenant.orgId, user.userId, role, now, now)
    .run();
  let session: Session;
  if (options.via === 'api') {
    const tokens = expectOk(await login(user, tenant.orgId)).body.data.tokens;
    session = { accessToken: tokens.access_token, refreshToken: tokens.refresh_token, sessionId: tokens.session_id };
  } else {
    const org = await env.DB.prepare('SELECT plan FROM organizations WHERE id = ?')
      .bind(tenant.orgId)
      .first<{ plan: Plan }>();
    session = await openSession(
      identityContext(),
      { userId: user.userId, orgId: tenant.orgId, role, plan: org!.plan },
      user.ip,
    );
  }
  return {
    email: user.email,
    password: user.password,
    ip: user.ip,
    userId: user.userId,
    orgId: tenant.orgId,
    ...session,
  };
};

/** The newest mail sent to an address, from the dev outbox route. */
export const lastMailTo = async (email: string): Promise<{ subject: string; body: string } | undefined> => {
  const res = expectOk(await call('GET', `/api/v1/dev/outbox?to=${encodeURIComponent(email)}`));
  return res.body.data[0];
};

/** Waits for a mail with this subject (some are sent after the response). */
export const waitForMail = async (email: string, subject: string): Promise<{ subject: string; body: string }> => {
  for (let i = 0; i < 50; i++) {
    const mail = await lastMailTo(email);
    if (mail?.subject === subject) return mail;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no "${subject}" mail for ${email}`);
};

/** Turns TOTP MFA on for the user; returns the secret, the step spent and the recovery codes. */
export const enableMfa = async (user: Pick<TestUser, 'accessToken' | 'password'>) => {
  const { totpAt, totpStep } = await import('@flowspark/auth');
  const setup = expectOk(
    await call('POST', '/api/v1/auth/mfa/totp/setup', { token: user.accessToken, body: { password: user.password } }),
  );
  const secret = setup.body.data.secret as string;
  const step = totpStep();
  const verified = expectOk(
    await call('POST', '/api/v1/auth/mfa/totp/verify', {
      token: user.accessToken,
      body: { code: await totpAt(secret, step) },
    }),
  );
  return { secret, step, recoveryCodes: verified.body.data.recovery_codes as string[] };
};

export { env };
