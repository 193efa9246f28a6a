/**
 * Rules shared by every change of a credential (email, password, second factor): the caller proves
 * the current password, and the current second factor when MFA is on, under the login throttle; the
 * change revokes what it must; the account's address hears of it.
 */
import { verifyPassword } from '@flowspark/auth';
import { AppError, validationError } from '@flowspark/core';
import { schema } from '@flowspark/db';
import { and, eq, isNull } from 'drizzle-orm';
import type { ClientInfo, IdentityContext } from './context';
import { invalidCode, spendSecondFactor } from './second-factor';
import { assertLoginAllowed, recordLoginAttempt } from './throttle';

const { apiKeys, users } = schema;

export type UserRow = typeof users.$inferSelect;

export interface CurrentCredentials {
  password: string;
  /** A TOTP or recovery code; required when the account has MFA on. */
  code?: string;
}

/** The signed-in user behind a token, refused when the account was deactivated since. */
export const loadActiveUser = async (ctx: IdentityContext, userId: string): Promise<UserRow> => {
  const user = (await ctx.db.select().from(users).where(eq(users.id, userId)).limit(1))[0];
  if (!user?.isActive) throw new AppError('INVALID_TOKEN', 'The account behind this token is no longer active');
  return user;
};

/**
 * Checks the current password (and the second factor while MFA is on) of a signed-in user before a
 * credential change, under the login throttle. Wrong answers count as failed logins, so a stolen
 * access token is no password oracle.
 */
export const checkCurrentCredentials = async (
  ctx: IdentityContext,
  user: UserRow,
  given: CurrentCredentials,
  client: ClientInfo,
  wrongPassword = 'Current password is incorrect',
): Promise<void> => {
  if (user.mfaEnabled && !given.code) {
    throw validationError('MFA is on: give a current code from the authenticator app (or a recovery code)', {
      code: ['Required while MFA is enabled'],
    });
  }
  await assertLoginAllowed(ctx, user.email, client.ip);
  const check = await verifyPassword(given.password, user.passwordHash);
  if (!check.valid) {
    await recordLoginAttempt(ctx, user.email, client.ip, false);
    throw new AppError('INVALID_CREDENTIALS', wrongPassword);
  }
  if (user.mfaEnabled && !(await spendSecondFactor(ctx, user.id, given.code!))) {
    await recordLoginAttempt(ctx, user.email, client.ip, false);
    throw invalidCode();
  }
};

/** `checkCurrentCredentials` for a user id; returns the user. */
export const verifyCurrentCredentials = async (
  ctx: IdentityContext,
  userId: string,
  given: CurrentCredentials,
  client: ClientInfo,
): Promise<UserRow> => {
  const user = await loadActiveUser(ctx, userId);
  await checkCurrentCredentials(ctx, user, given, client);
  return user;
};

/**
 * Revokes every live API key of the user, in every organization, and closes what they had open.
 * Returns how many were revoked.
 */
export const revokeUserApiKeys = async (ctx: IdentityContext, userId: string): Promise<number> => {
  const revoked = await ctx.db
    .update(apiKeys)
    .set({ revokedAt: new Date().toISOString() })
    .where(and(eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id, orgId: apiKeys.orgId });
  const byOrg = new Map<string, string[]>();
  for (const key of revoked) byOrg.set(key.orgId, [...(byOrg.get(key.orgId) ?? []), key.id]);
  await Promise.all(
    [...byOrg].map(async ([orgId, apiKeyIds]) => {
      await ctx.revocations.revokeApiKeys(orgId, apiKeyIds);
      await ctx.revocations.closeConnections(orgId, { apiKeyIds });
    }),
  );
  return revoked.length;
};

/** A short notice to the account's address. Mail failures never undo the change that was made. */
export const sendSecurityNotice = async (ctx: IdentityContext, to: string, subject: string, lines: string[]) => {
  try {
    await ctx.mailer.send({
      to,
      subject,
      text: [...lines, '', 'If this was not you, reset your password at once and review your sessions.'].join('\n'),
    });
  } catch {
    // The mailer logs its own failures; the account change stands.
  }
};
