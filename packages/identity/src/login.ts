import {
  hashPassword,
  loadSigningKeys,
  MFA_TOKEN_TTL_SECONDS,
  sha256Hex,
  signMfaToken,
  verifyAgainstDummy,
  verifyPassword,
} from '@flowspark/auth';
import { AppError, type Role } from '@flowspark/core';
import { schema } from '@flowspark/db';
import { and, asc, eq, sql } from 'drizzle-orm';
import type { ClientInfo, IdentityContext } from './context';
import {
  type KnownDevice,
  knownDeviceQuery,
  looksLikeDeviceToken,
  recordDeviceFailure,
  rememberDevice,
} from './known-devices';
import { type OrganizationView, presentOrganization, presentUser, type UserView } from './presenters';
import { type IssuedTokens, startSession } from './sessions';
import { recordLoginAttempt, retryAfterSeconds, throttleQueries, tooManyAttempts } from './throttle';

const { memberships, organizations, users } = schema;

type UserRow = typeof schema.users.$inferSelect;
type OrganizationRow = typeof schema.organizations.$inferSelect;

/** One message for every credential failure, so a response never tells which part was wrong. */
export const invalidCredentials = () => new AppError('INVALID_CREDENTIALS', 'Invalid email or password');

export interface SignedIn {
  user: UserView;
  organization: OrganizationView;
  role: Role;
  tokens: IssuedTokens;
  /**
   * Issued once, at the first complete sign-in from a device: sent back as `device_token` at later
   * logins, it keeps the account's owner from being locked out by someone else's failures.
   */
  device_token?: string;
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
  /** From an earlier sign-in on this device. */
  deviceToken?: string;
}

/**
 * The membership a login lands in: the requested organization first, then the user's default, then
 * the oldest. One row, so a user in many organizations costs the same as a user in one.
 */
export const landingMembership = (ctx: IdentityContext, email: string, requestedOrgId: string | undefined) =>
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

/** Last step of every sign-in (password, MFA): records the login and opens a session. */
const finishLogin = async (
  ctx: IdentityContext,
  user: UserRow,
  organization: OrganizationRow,
  role: Role,
  client: ClientInfo,
  device: KnownDevice | null,
): Promise<SignedIn> => {
  const nowIso = new Date().toISOString();
  const [tokens, deviceToken] = await Promise.all([
    startSession(ctx, { userId: user.id, orgId: organization.id, role, plan: organization.plan }, client),
    rememberDevice(ctx, user.id, device, client),
    ctx.db.update(users).set({ lastLoginAt: nowIso }).where(eq(users.id, user.id)),
  ]);
  return {
    user: presentUser({ ...user, lastLoginAt: nowIso }),
    organization: presentOrganization(organization),
    role,
    tokens,
    ...(deviceToken ? { device_token: deviceToken } : {}),
  };
};

/** Password sign-in (and accepting an invitation with a password) into an organization that requires SSO. */
export const ssoRequired = (orgId: string) =>
  new AppError('SSO_REQUIRED', 'This organization requires single sign-on: sign in with POST /auth/sso/{provider}', {
    details: { organization_id: orgId },
  });

/**
 * Every first factor (password, SSO) ends here: with MFA on, an `mfa_token` for POST
 * /auth/mfa/challenge instead of a session; otherwise the session.
 */
export const signInAs = async (
  ctx: IdentityContext,
  user: UserRow,
  organization: OrganizationRow,
  role: Role,
  client: ClientInfo,
  device: KnownDevice | null,
): Promise<SignedIn | MfaRequired> => {
  if (!user.mfaEnabled) return finishLogin(ctx, user, organization, role, client, device);
  const keys = await loadSigningKeys(ctx.secrets);
  const mfaToken = await signMfaToken(
    keys,
    { sub: user.id, tid: organization.id, ...(device ? { kd: device.id } : {}) },
    { issuer: ctx.config.issuer, audience: ctx.config.audience, ttlSeconds: MFA_TOKEN_TTL_SECONDS },
  );
  return { mfa_required: true, mfa_token: mfaToken, expires_in: MFA_TOKEN_TTL_SECONDS };
};

/**
 * Email + password login, throttled per account and IP (growing delays), per account (a generous
 * ceiling) and per IP (see `LoginThrottle`); a known device of the account skips all three and has
 * its own budget. Unknown email, wrong password and inactive account look the same from outside:
 * same error, same PBKDF2 work.
 */
export const loginWithPassword = async (
  ctx: IdentityContext,
  input: LoginInput,
  client: ClientInfo,
): Promise<SignedIn | MfaRequired> => {
  const { email } = input;
  const [pair, account, byIp] = throttleQueries(ctx, email, client.ip);
  // No token still runs the lookup (for a hash nothing has), so the batch has one shape.
  const deviceHash = await sha256Hex(looksLikeDeviceToken(input.deviceToken) ? input.deviceToken : '');
  const [pairRows, accountRows, ipRows, userRows, landing, deviceRows] = await ctx.db.batch([
    pair,
    account,
    byIp,
    ctx.db.select().from(users).where(eq(users.email, email)).limit(1),
    landingMembership(ctx, email, input.organizationId),
    knownDeviceQuery(ctx, deviceHash),
  ]);

  const user = userRows[0];
  const device = user && deviceRows[0]?.userId === user.id ? deviceRows[0] : null;
  if (!device) {
    const wait = retryAfterSeconds([pairRows, accountRows, ipRows], ctx.config.login);
    if (wait > 0) throw tooManyAttempts(wait);
  }

  const check = user
    ? await verifyPassword(input.password, user.passwordHash)
    : { valid: await verifyAgainstDummy(input.password), needsRehash: false };
  if (!user || !check.valid || !user.isActive) {
    await Promise.all([
      recordLoginAttempt(ctx, email, client.ip, false),
      device ? recordDeviceFailure(ctx, device) : undefined,
    ]);
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

  if (member.organization.ssoRequired) {
    await success;
    throw ssoRequired(member.organization.id);
  }
  const [result] = await Promise.all([signInAs(ctx, user, member.organization, member.role, client, device), success]);
  return result;
};

/**
 * Signs a user in to an organization once every factor has been checked (used by the MFA challenge).
 * Re-reads the user and membership: either may have changed since the password step.
 */
export const completeLogin = async (
  ctx: IdentityContext,
  subject: { userId: string; orgId: string },
  client: ClientInfo,
  device: KnownDevice | null,
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
  return finishLogin(ctx, row.user, row.organization, row.role, client, device);
};
