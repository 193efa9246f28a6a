import { hashPassword, randomString } from '@flowspark/auth';
import { AppError, conflict, newId, notFound, type PageRequest, type Role, validationError } from '@flowspark/core';
import { isUniqueViolation, paginate, schema } from '@flowspark/db';
import { and, desc, eq, gt, isNull } from 'drizzle-orm';
import type { ClientInfo, IdentityContext } from './context';
import { revokeUserApiKeys, sendSecurityNotice, verifyCurrentCredentials } from './credentials';
import { isEmailReserved } from './email-change';
import type { SignedIn } from './login';
import { type OrganizationView, presentOrganization, presentUser, type UserView } from './presenters';
import { revokeSessions, revokeUserSessions, startSession } from './sessions';

const { memberships, organizations, sessions, users } = schema;

/** Kept here too: identity's modules import it from this file. */
export { isUniqueViolation };

const emailTaken = () =>
  conflict('An account with this email already exists', { fields: { email: ['Already registered'] } });

const SLUG_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** `Acme Café` → `acme-cafe-x7k2q9`: readable, and the suffix makes it unique without a lookup. */
export const organizationSlug = (name: string): string => {
  const base = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return `${base || 'org'}-${randomString(SLUG_ALPHABET, 6)}`;
};

export interface RegisterInput {
  email: string;
  password: string;
  name: string;
  organizationName: string;
}

/** A new user, their organization and owner membership in one batch, then a first session. */
export const registerAccount = async (
  ctx: IdentityContext,
  input: RegisterInput,
  client: ClientInfo,
): Promise<SignedIn> => {
  const [passwordHash, reserved] = await Promise.all([hashPassword(input.password), isEmailReserved(ctx, input.email)]);
  if (reserved) throw emailTaken();
  const now = new Date().toISOString();
  const organization = {
    id: newId('org'),
    name: input.organizationName,
    slug: organizationSlug(input.organizationName),
    plan: 'free' as const,
    ssoRequired: false,
    createdAt: now,
    updatedAt: now,
  };
  const user = {
    id: newId('usr'),
    email: input.email,
    name: input.name,
    passwordHash,
    isActive: true,
    mfaEnabled: false,
    defaultOrgId: organization.id,
    lastLoginAt: now,
    passwordChangedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await ctx.db.batch([
      ctx.db.insert(organizations).values(organization),
      ctx.db.insert(users).values(user),
      ctx.db.insert(memberships).values({
        id: newId('mem'),
        orgId: organization.id,
        userId: user.id,
        role: 'owner',
        createdAt: now,
        updatedAt: now,
      }),
    ]);
  } catch (err) {
    // The unique index decides, so two registrations racing for one email cannot both win.
    if (isUniqueViolation(err, 'users.email')) throw emailTaken();
    throw err;
  }
  const tokens = await startSession(
    ctx,
    { userId: user.id, orgId: organization.id, role: 'owner', plan: 'free' },
    client,
  );
  return { user: presentUser(user), organization: presentOrganization(organization), role: 'owner', tokens };
};

export interface Profile {
  user: UserView;
  organization: OrganizationView;
  role: Role;
}

const profileQuery = (ctx: IdentityContext, userId: string, orgId: string) =>
  ctx.db
    .select({ user: users, organization: organizations, role: memberships.role })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .innerJoin(organizations, eq(organizations.id, memberships.orgId))
    .where(and(eq(memberships.userId, userId), eq(memberships.orgId, orgId)))
    .limit(1);

const toProfile = (rows: Awaited<ReturnType<typeof profileQuery>>): Profile => {
  const row = rows[0];
  // The token outlived the account or the membership (removal also revokes it at the gate).
  if (!row?.user.isActive) throw new AppError('INVALID_TOKEN', 'The account behind this token is no longer active');
  return { user: presentUser(row.user), organization: presentOrganization(row.organization), role: row.role };
};

/** The caller, their organization and role: one query. */
export const loadProfile = async (ctx: IdentityContext, userId: string, orgId: string): Promise<Profile> =>
  toProfile(await profileQuery(ctx, userId, orgId));

/**
 * Updates the name and reads the profile back, in one batch (the email changes only through
 * `requestEmailChange`, with the password and a confirmation). The read is two selects:
 * drizzle's D1 batch maps joined rows by column name, so `users.name` and `organizations.name`
 * would collide in one joined select.
 */
export const updateProfile = async (
  ctx: IdentityContext,
  subject: { userId: string; orgId: string },
  changes: { name?: string },
): Promise<Profile> => {
  const [, userRows, memberRows] = await ctx.db.batch([
    ctx.db
      .update(users)
      .set({ ...changes, updatedAt: new Date().toISOString() })
      .where(eq(users.id, subject.userId)),
    ctx.db.select().from(users).where(eq(users.id, subject.userId)).limit(1),
    ctx.db
      .select({ role: memberships.role, organization: organizations })
      .from(memberships)
      .innerJoin(organizations, eq(organizations.id, memberships.orgId))
      .where(and(eq(memberships.userId, subject.userId), eq(memberships.orgId, subject.orgId)))
      .limit(1),
  ]);
  const user = userRows[0];
  const member = memberRows[0];
  return toProfile(user && member ? [{ user, organization: member.organization, role: member.role }] : []);
};

/**
 * Checks the current password (and second factor when MFA is on), stores the new one, signs out every
 * other session of the user (in every organization; the caller's session stays), revokes every API
 * key of the user and tells the account's address.
 */
export const changePassword = async (
  ctx: IdentityContext,
  subject: { userId: string; sessionId: string },
  input: { currentPassword: string; newPassword: string; code?: string },
  client: ClientInfo,
): Promise<{ revokedSessions: number; revokedApiKeys: number }> => {
  if (input.currentPassword.normalize('NFC') === input.newPassword.normalize('NFC')) {
    throw validationError('The new password must differ from the current one', {
      new_password: ['Must differ from the current password'],
    });
  }
  const user = await verifyCurrentCredentials(
    ctx,
    subject.userId,
    { password: input.currentPassword, code: input.code },
    client,
  );
  const now = new Date().toISOString();
  await ctx.db
    .update(users)
    .set({ passwordHash: await hashPassword(input.newPassword), passwordChangedAt: now, updatedAt: now })
    .where(eq(users.id, subject.userId));
  const [revokedSessions, revokedApiKeys] = await Promise.all([
    revokeUserSessions(ctx, subject.userId, 'password_changed', { exceptSessionId: subject.sessionId }),
    revokeUserApiKeys(ctx, subject.userId),
  ]);
  await sendSecurityNotice(ctx, user.email, 'Your FlowSpark password was changed', [
    `The password of your FlowSpark account was changed at ${now} (from ${client.ip}).`,
    `Other sessions signed out: ${revokedSessions}. API keys revoked: ${revokedApiKeys}.`,
  ]);
  return { revokedSessions, revokedApiKeys };
};

export interface SessionView {
  id: string;
  created_at: string;
  last_used_at: string;
  expires_at: string;
  ip: string | null;
  user_agent: string | null;
  current: boolean;
}

const liveSessionsOf = (userId: string, orgId: string, nowIso: string) =>
  and(
    eq(sessions.userId, userId),
    eq(sessions.orgId, orgId),
    isNull(sessions.revokedAt),
    gt(sessions.expiresAt, nowIso),
  );

/** The caller's live sessions in the current organization, newest first; page and total in one batch. */
export const listUserSessions = async (
  ctx: IdentityContext,
  subject: { userId: string; orgId: string; sessionId: string | null },
  page: PageRequest,
): Promise<{ items: SessionView[]; total: number }> => {
  const where = liveSessionsOf(subject.userId, subject.orgId, new Date().toISOString());
  const { items, total } = await paginate(
    ctx.db,
    ctx.db.select().from(sessions).where(where).orderBy(desc(sessions.createdAt), desc(sessions.id)),
    { table: sessions, where },
    page,
  );
  return {
    items: items.map((row) => ({
      id: row.id,
      created_at: row.createdAt,
      last_used_at: row.lastUsedAt,
      expires_at: row.expiresAt,
      ip: row.ip,
      user_agent: row.userAgent,
      current: row.id === subject.sessionId,
    })),
    total,
  };
};

/** Revokes one of the caller's own live sessions in this organization; anything else is 404. */
export const revokeOwnSession = async (
  ctx: IdentityContext,
  subject: { userId: string; orgId: string },
  sessionId: string,
): Promise<void> => {
  const found = await ctx.db
    .select({ id: sessions.id })
    .from(sessions)
    .where(and(eq(sessions.id, sessionId), liveSessionsOf(subject.userId, subject.orgId, new Date().toISOString())))
    .limit(1);
  if (found.length === 0) throw notFound('Session');
  await revokeSessions(ctx, subject.orgId, [sessionId], 'revoked_by_user');
};
