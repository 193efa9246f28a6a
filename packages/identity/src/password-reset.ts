import { hashPassword, randomToken, sha256Hex } from '@flowspark/auth';
import { logger, newId, validationError } from '@flowspark/core';
import { schema } from '@flowspark/db';
import { and, eq, isNull } from 'drizzle-orm';
import type { IdentityContext } from './context';
import { revokeUserApiKeys, sendSecurityNotice } from './credentials';
import { forgetDevices } from './known-devices';
import { revokeUserSessions } from './sessions';

const { passwordResetTokens, users } = schema;

const MAX_TOKEN_LENGTH = 256;

/**
 * Creates a single-use reset token for an active account and mails the link. Unknown or inactive
 * emails get nothing. Meant to run after the response (`ctx.defer`), so the answer takes the same
 * time whether or not the account exists; it therefore never throws.
 */
export const requestPasswordReset = async (ctx: IdentityContext, email: string): Promise<void> => {
  try {
    const user = (
      await ctx.db
        .select({ id: users.id, email: users.email, isActive: users.isActive })
        .from(users)
        .where(eq(users.email, email))
        .limit(1)
    )[0];
    if (!user?.isActive) return;
    const token = randomToken(32);
    const now = new Date();
    const ttl = ctx.config.passwordResetTtlSeconds;
    await ctx.db.insert(passwordResetTokens).values({
      id: newId('prt'),
      userId: user.id,
      tokenHash: await sha256Hex(token),
      expiresAt: new Date(now.getTime() + ttl * 1000).toISOString(),
      createdAt: now.toISOString(),
    });
    const link = `${ctx.config.appUrl}/reset-password?token=${encodeURIComponent(token)}`;
    await ctx.mailer.send({
      to: user.email,
      subject: 'Reset your FlowSpark password',
      text: [
        'Someone asked to reset the password of your FlowSpark account.',
        '',
        `Open this link to choose a new password (valid for ${Math.round(ttl / 60)} minutes, once):`,
        link,
        '',
        `Or use this reset token: ${token}`,
        '',
        'If you did not ask for this, ignore this mail: your password stays as it is.',
      ].join('\n'),
    });
  } catch (err) {
    logger.error('password reset request failed', { error_message: err instanceof Error ? err.message : String(err) });
  }
};

const invalidResetToken = () =>
  validationError('The reset token is invalid, expired or already used', {
    token: ['Invalid, expired or already used'],
  });

/**
 * Sets a new password with a reset token. The token is spent with a conditional update, so two
 * concurrent confirmations cannot both succeed; every other outstanding token of the user is spent
 * too. A reset is what someone does who fears the account is in other hands: every session and API
 * key of the user is revoked and every known device forgotten.
 */
export const confirmPasswordReset = async (
  ctx: IdentityContext,
  token: string,
  newPassword: string,
): Promise<{ revokedSessions: number; revokedApiKeys: number }> => {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw invalidResetToken();
  const nowIso = new Date().toISOString();
  const found = (
    await ctx.db
      .select({
        id: passwordResetTokens.id,
        userId: passwordResetTokens.userId,
        email: users.email,
        expiresAt: passwordResetTokens.expiresAt,
        usedAt: passwordResetTokens.usedAt,
        isActive: users.isActive,
      })
      .from(passwordResetTokens)
      .innerJoin(users, eq(users.id, passwordResetTokens.userId))
      .where(eq(passwordResetTokens.tokenHash, await sha256Hex(token)))
      .limit(1)
  )[0];
  if (!found || found.usedAt || found.expiresAt <= nowIso || !found.isActive) throw invalidResetToken();

  const passwordHash = await hashPassword(newPassword);
  const spent = await ctx.db
    .update(passwordResetTokens)
    .set({ usedAt: nowIso })
    .where(and(eq(passwordResetTokens.id, found.id), isNull(passwordResetTokens.usedAt)));
  if (spent.meta.changes !== 1) throw invalidResetToken();

  await ctx.db.batch([
    ctx.db
      .update(users)
      .set({ passwordHash, passwordChangedAt: nowIso, updatedAt: nowIso })
      .where(eq(users.id, found.userId)),
    ctx.db
      .update(passwordResetTokens)
      .set({ usedAt: nowIso })
      .where(and(eq(passwordResetTokens.userId, found.userId), isNull(passwordResetTokens.usedAt))),
    forgetDevices(ctx, found.userId),
  ]);
  const [revokedSessions, revokedApiKeys] = await Promise.all([
    revokeUserSessions(ctx, found.userId, 'password_reset'),
    revokeUserApiKeys(ctx, found.userId),
  ]);
  await sendSecurityNotice(ctx, found.email, 'Your FlowSpark password was reset', [
    `The password of your FlowSpark account was reset at ${nowIso}.`,
    `Sessions signed out: ${revokedSessions}. API keys revoked: ${revokedApiKeys}.`,
  ]);
  return { revokedSessions, revokedApiKeys };
};
