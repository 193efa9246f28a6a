import {
  hashPassword,
  loadSigningKeys,
  MFA_TOKEN_TTL_SECONDS,
  signMfaToken,
  verifyAgainstDummy,
  verifyPassword,
} from '@flowspark/auth';
import { AppError, type Role } from '@flowspark/core';
import { schema } from '@flowspark/db';
import { and, asc, desc, eq, gt, type SQL, sql } from 'drizzle-orm';
import type { ClientInfo, IdentityContext } from './context';
import { type OrganizationView, presentOrganization, presentUser, type UserView } from './presenters';
import { type IssuedTokens, startSession } from './sessions';

const { loginAttempts, memberships, organizations, users } = schema;

type UserRow = typeof schema.users.$inferSelect;
type OrganizationRow = typeof schema.organizations.$inferSelect;

/** One message for every credential failure, so a response never tells which part was wrong. */
export const invalidCredentials = () => new AppError('INVALID_CREDENTIALS', 'Invalid email or password');

export interface SignedIn {
  user: UserView;
  organization: OrganizationView;
  role: Role;
  tokens: IssuedTokens;
}

/** Password accepted, but the account has MFA: the client finishes at POST /auth/mfa/challenge. */
export interface MfaRequired {
  mfa_required: true;
  mfa_token: string;
  expires_in: number;
}

export interface LoginInput {
  /** Already lower-cased by the request schema. */
  email: string;
  password: string;
  organizationId?: string;
}

/** Failures feed the throttle; successes are kept for the record. Attempt ids never leave the server. */
export const recordLoginAttempt = (ctx: IdentityContext, email: string, ip: string, success: boolean) =>
  ctx.db.insert(loginAttempts).values({
    id: `lat_${crypto.randomUUID().replaceAll('-', '')}`,
    email,
    ip,
    success,
    createdAt: new Date().toISOString(),
  });

/**
 * The time of the `limit`-th most recent failure in the window, if there are that many: the caller
 * is blocked until that failure leaves the window, when fewer than `limit` remain.
 */
const nthRecentFailure = (ctx: IdentityContext, who: SQL, windowStart: string, limit: number) =>
  ctx.db
    .select({ createdAt: loginAttempts.createdAt })
    .from(loginAttempts)
    .where(and(who, eq(loginAttempts.success, false), gt(loginAttempts.createdAt, windowStart)))
    .orderBy(desc(loginAttempts.createdAt))
    .limit(1)
    .offset(limit - 1);

/**
 * A complete sign-in (`users.last_login_at`) starts the account's count over: only the account holder
 * can produce one. A correct password alone does not (with MFA on, it is only half a sign-in), and the
 * IP's count never starts over, or an attacker could reset it by signing in to their own account.
 */
const sinceLastSignIn = (email: string): SQL =>
  sql`${loginAttempts.createdAt} > coalesce((select u.last_login_at from users u where u.email = ${email}), '')`;

/**
 * The membership a login lands in: the requested organization first, then the user's default, then
 * the oldest. One row, so a user in many organizations costs the same as a user in one.
 */
const landingMembership = (ctx: IdentityContext, email: string, requestedOrgId: string | undefined) =>
  ctx.db
    .select({ role: memberships.role, organization: organizations })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .innerJoin(organizations, eq(organizations.id, memberships.orgId))
    .where(eq(users.email, email))
    .orderBy(
      sql`${memberships.orgId} is ${requestedOrgId ?? null} desc`,
      sql`${memberships.orgId} is ${users.defaultOrgId} desc`,
      asc(memberships.createdAt),
    )
    .limit(1);

const secondsUntilOutOfWindow = (failureAt: string, windowSeconds: number) =>
  Math.max(1, Math.ceil((Date.parse(failureAt) + windowSeconds * 1000 - Date.now()) / 1000));

/** Last step of every sign-in (password, MFA): records the login and opens a session. */
const finishLogin = async (
  ctx: IdentityContext,
  user: UserRow,
  organization: OrganizationRow,
  role: Role,
  client: ClientInfo,
): Promise<SignedIn> => {
  const nowIso = new Date().toISOString();
  const [tokens] = await Promise.all([
    startSession(ctx, { userId: user.id, orgId: organization.id, role, plan: organization.plan }, client),
    ctx.db.update(users).set({ lastLoginAt: nowIso }).where(eq(users.id, user.id)),
  ]);
  return {
    user: presentUser({ ...user, lastLoginAt: nowIso }),
    organization: presentOrganization(organization),
    role,
    tokens,
  };
};

/**
 * Email + password login with throttling per account and per IP. Unknown email, wrong password and
 * inactive account look the same from outside: same error, same PBKDF2 work.
 */
export const loginWithPassword = async (
  ctx: IdentityContext,
  input: LoginInput,
  client: ClientInfo,
): Promise<SignedIn | MfaRequired> => {
  const { email } = input;
  const { maxFailuresPerAccount, maxFailuresPerIp, windowSeconds } = ctx.config.login;
  const windowStart = new Date(Date.now() - windowSeconds * 1000).toISOString();
  const [accountFailure, ipFailure, userRows, landing] = await ctx.db.batch([
    nthRecentFailure(
      ctx,
      and(eq(loginAttempts.email, email), sinceLastSignIn(email))!,
      windowStart,
      maxFailuresPerAccount,
    ),
    nthRecentFailure(ctx, eq(loginAttempts.ip, client.ip), windowStart, maxFailuresPerIp),
    ctx.db.select().from(users).where(eq(users.email, email)).limit(1),
    landingMembership(ctx, email, input.organizationId),
  ]);

  const blockers = [accountFailure[0]?.createdAt, ipFailure[0]?.createdAt].filter((t): t is string => !!t);
  if (blockers.length > 0) {
    const retryAfter = Math.max(...blockers.map((t) => secondsUntilOutOfWindow(t, windowSeconds)));
    throw new AppError('TOO_MANY_ATTEMPTS', 'Too many failed login attempts; try again later', {
      details: { retry_after_seconds: retryAfter },
      headers: { 'Retry-After': String(retryAfter) },
    });
  }

  const user = userRows[0];
  const check = user
    ? await verifyPassword(input.password, user.passwordHash)
    : { valid: await verifyAgainstDummy(input.password), needsRehash: false };
  if (!user || !check.valid || !user.isActive) {
    await recordLoginAttempt(ctx, email, client.ip, false);
    throw invalidCredentials();
  }
  if (check.needsRehash) {
    const passwordHash = await hashPassword(input.password);
    await ctx.db.update(users).set({ passwordHash }).where(eq(users.id, user.id));
  }

  const member = landing[0];
  const success = recordLoginAttempt(ctx, email, client.ip, true);
  if (!member || (input.organizationId && member.organization.id !== input.organizationId)) {
    await success;
    throw new AppError(
      'FORBIDDEN',
      input.organizationId ? 'Not a member of that organization' : 'This account does not belong to any organization',
    );
  }

  if (user.mfaEnabled) {
    const keys = await loadSigningKeys(ctx.secrets);
    const [mfaToken] = await Promise.all([
      signMfaToken(
        keys,
        { sub: user.id, tid: member.organization.id },
        { issuer: ctx.config.issuer, audience: ctx.config.audience, ttlSeconds: MFA_TOKEN_TTL_SECONDS },
      ),
      success,
    ]);
    return { mfa_required: true, mfa_token: mfaToken, expires_in: MFA_TOKEN_TTL_SECONDS };
  }
  const [signedIn] = await Promise.all([finishLogin(ctx, user, member.organization, member.role, client), success]);
  return signedIn;
};

/**
 * Signs a user in to an organization once every factor has been checked (used by the MFA challenge).
 * Re-reads the user and membership: either may have changed since the password step.
 */
export const completeLogin = async (
  ctx: IdentityContext,
  subject: { userId: string; orgId: string },
  client: ClientInfo,
): Promise<SignedIn> => {
  const row = (
    await ctx.db
      .select({ user: users, organization: organizations, role: memberships.role })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .innerJoin(organizations, eq(organizations.id, memberships.orgId))
      .where(and(eq(memberships.userId, subject.userId), eq(memberships.orgId, subject.orgId)))
      .limit(1)
  )[0];
  if (!row?.user.isActive) throw invalidCredentials();
  return finishLogin(ctx, row.user, row.organization, row.role, client);
};
