/**
 * Changing the account's email, the address every recovery goes to. A stolen access token must not be
 * enough to move it: the request needs the current password (and second factor), the change happens
 * only when the new address confirms, and the old address is told at once with a link that undoes it
 * (before or after it took effect) and locks everyone else out.
 */
import { randomToken, sha256Hex } from '@flowspark/auth';
import { AppError, conflict, newId, validationError } from '@flowspark/core';
import { schema } from '@flowspark/db';
import { and, eq, isNotNull, isNull, ne } from 'drizzle-orm';
import { isUniqueViolation } from './accounts';
import type { ClientInfo, IdentityContext } from './context';
import { revokeUserApiKeys, sendSecurityNotice, verifyCurrentCredentials } from './credentials';
import { forgetDevices } from './known-devices';
import { requestPasswordReset } from './password-reset';
import { revokeUserSessions } from './sessions';

const { emailChanges, users } = schema;

/** The new address has a day to confirm. */
export const EMAIL_CONFIRM_TTL_SECONDS = 24 * 3600;
/** The old address can undo for a week after the request, and for a week after the change. */
export const EMAIL_UNDO_TTL_SECONDS = 7 * 24 * 3600;
const MAX_TOKEN_LENGTH = 256;

const later = (seconds: number, from = Date.now()) => new Date(from + seconds * 1000).toISOString();

const emailTaken = () =>
  conflict('An account with this email already exists', { fields: { email: ['Already registered'] } });

const invalidToken = () =>
  validationError('The link is invalid, expired or already used', { token: ['Invalid, expired or already used'] });

export interface PendingEmailChange {
  new_email: string;
  expires_at: string;
}

/**
 * An old address whose change was confirmed and can still be undone is kept for its owner: nobody can
 * register it meanwhile, or an attacker could block the undo by taking it.
 */
export const isEmailReserved = async (ctx: IdentityContext, email: string): Promise<boolean> => {
  const rows = await ctx.db
    .select({ id: emailChanges.id, undoExpiresAt: emailChanges.undoExpiresAt })
    .from(emailChanges)
    .where(and(eq(emailChanges.oldEmail, email), isNotNull(emailChanges.confirmedAt), isNull(emailChanges.cancelledAt)))
    .limit(5);
  const now = new Date().toISOString();
  return rows.some((row) => row.undoExpiresAt > now);
};

/** Starts a change: checks the credentials, mails the new address a confirmation and the old one a notice. */
export const requestEmailChange = async (
  ctx: IdentityContext,
  subject: { userId: string; sessionId: string | null },
  input: { newEmail: string; password: string; code?: string },
  client: ClientInfo,
): Promise<PendingEmailChange> => {
  const user = await verifyCurrentCredentials(
    ctx,
    subject.userId,
    { password: input.password, code: input.code },
    client,
  );
  if (input.newEmail === user.email) {
    throw validationError('This is already the account’s email', { email: ['Same as the current email'] });
  }
  const [taken, reserved] = await Promise.all([
    ctx.db.select({ id: users.id }).from(users).where(eq(users.email, input.newEmail)).limit(1),
    isEmailReserved(ctx, input.newEmail),
  ]);
  if (taken.length > 0 || reserved) throw emailTaken();

  const confirmToken = randomToken(32);
  const undoToken = randomToken(32);
  const now = Date.now();
  const row = {
    id: newId('eml'),
    userId: user.id,
    oldEmail: user.email,
    newEmail: input.newEmail,
    confirmTokenHash: await sha256Hex(confirmToken),
    undoTokenHash: await sha256Hex(undoToken),
    sessionId: subject.sessionId,
    createdAt: new Date(now).toISOString(),
    expiresAt: later(EMAIL_CONFIRM_TTL_SECONDS, now),
    undoExpiresAt: later(EMAIL_UNDO_TTL_SECONDS, now),
  };
  // One pending change at a time: a new request replaces the earlier one.
  await ctx.db.batch([
    ctx.db
      .update(emailChanges)
      .set({ cancelledAt: row.createdAt })
      .where(and(eq(emailChanges.userId, user.id), isNull(emailChanges.confirmedAt), isNull(emailChanges.cancelledAt))),
    ctx.db.insert(emailChanges).values(row),
  ]);

  const app = ctx.config.appUrl;
  await Promise.all([
    ctx.mailer.send({
      to: input.newEmail,
      subject: 'Confirm your new FlowSpark email address',
      text: [
        `Someone asked to use this address for the FlowSpark account of ${user.email}.`,
        '',
        `Open this link within ${EMAIL_CONFIRM_TTL_SECONDS / 3600} hours to confirm it:`,
        `${app}/confirm-email?token=${encodeURIComponent(confirmToken)}`,
        '',
        `Or send this confirmation token to POST /api/v1/auth/email/confirm: ${confirmToken}`,
        '',
        'If you did not ask for this, ignore this mail: nothing changes.',
      ].join('\n'),
    }),
    sendSecurityNotice(ctx, user.email, 'Your FlowSpark email is about to change', [
      `At ${row.createdAt} someone signed in to your FlowSpark account (from ${client.ip}) asked to change its email to ${input.newEmail}.`,
      'It changes only once the new address confirms.',
      '',
      `If this was not you, undo it (this also signs everyone out): ${app}/undo-email-change?token=${encodeURIComponent(undoToken)}`,
      `Or send this undo token to POST /api/v1/auth/email/undo: ${undoToken}`,
    ]),
  ]);
  return { new_email: row.newEmail, expires_at: row.expiresAt };
};

const findByHash = async (ctx: IdentityContext, column: 'confirm' | 'undo', token: string) => {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
  const hash = await sha256Hex(token);
  const where = column === 'confirm' ? eq(emailChanges.confirmTokenHash, hash) : eq(emailChanges.undoTokenHash, hash);
  return (await ctx.db.select().from(emailChanges).where(where).limit(1))[0] ?? null;
};

/**
 * The new address confirms: the email changes (if the account still has the old one and nobody took
 * the new one), every other session of the user is revoked, and the old address gets the undo link
 * again, valid for a week from now.
 */
export const confirmEmailChange = async (
  ctx: IdentityContext,
  token: string,
): Promise<{ email: string; revokedSessions: number }> => {
  const change = await findByHash(ctx, 'confirm', token);
  const nowIso = new Date().toISOString();
  if (!change || change.confirmedAt || change.cancelledAt || change.expiresAt <= nowIso) throw invalidToken();
  // Spent first, on a condition: of two racing confirmations only one goes on.
  const spent = await ctx.db
    .update(emailChanges)
    .set({ confirmedAt: nowIso, undoExpiresAt: later(EMAIL_UNDO_TTL_SECONDS) })
    .where(and(eq(emailChanges.id, change.id), isNull(emailChanges.confirmedAt), isNull(emailChanges.cancelledAt)));
  if (spent.meta.changes !== 1) throw invalidToken();
  let moved = 0;
  try {
    const result = await ctx.db
      .update(users)
      .set({ email: change.newEmail, updatedAt: nowIso })
      .where(and(eq(users.id, change.userId), eq(users.email, change.oldEmail), eq(users.isActive, true)));
    moved = result.meta.changes;
  } catch (err) {
    await ctx.db.update(emailChanges).set({ cancelledAt: nowIso }).where(eq(emailChanges.id, change.id));
    if (isUniqueViolation(err, 'users.email')) throw emailTaken();
    throw err;
  }
  if (moved !== 1) {
    // The account changed its email another way, or was deactivated, since the request.
    await ctx.db.update(emailChanges).set({ cancelledAt: nowIso }).where(eq(emailChanges.id, change.id));
    throw invalidToken();
  }
  const revokedSessions = await revokeUserSessions(
    ctx,
    change.userId,
    'email_changed',
    change.sessionId ? { exceptSessionId: change.sessionId } : {},
  );
  // Tokens that were mailed to the old address must not reset the password now.
  await ctx.db
    .update(schema.passwordResetTokens)
    .set({ usedAt: nowIso })
    .where(and(eq(schema.passwordResetTokens.userId, change.userId), isNull(schema.passwordResetTokens.usedAt)));
  await sendSecurityNotice(ctx, change.oldEmail, 'Your FlowSpark email was changed', [
    `The email of your FlowSpark account was changed from ${change.oldEmail} to ${change.newEmail} at ${nowIso}.`,
    '',
    `If this was not you, undo it within ${EMAIL_UNDO_TTL_SECONDS / 86400} days with the link in the earlier mail,`,
    'or send its undo token to POST /api/v1/auth/email/undo. Undoing restores this address and signs everyone out.',
  ]);
  return { email: change.newEmail, revokedSessions };
};

/**
 * The old address says "not me": a pending change is cancelled, a completed one is reversed. Either
 * way whoever asked had the password, so every session and API key of the user is revoked, known
 * devices are forgotten, and a password reset link goes to the restored address.
 */
export const undoEmailChange = async (
  ctx: IdentityContext,
  token: string,
): Promise<{ email: string; revokedSessions: number; revokedApiKeys: number }> => {
  const change = await findByHash(ctx, 'undo', token);
  const nowIso = new Date().toISOString();
  if (!change || change.cancelledAt || change.undoExpiresAt <= nowIso) throw invalidToken();
  const cancelled = await ctx.db
    .update(emailChanges)
    .set({ cancelledAt: nowIso })
    .where(and(eq(emailChanges.id, change.id), isNull(emailChanges.cancelledAt)));
  if (cancelled.meta.changes !== 1) throw invalidToken();
  if (change.confirmedAt) {
    try {
      await ctx.db
        .update(users)
        .set({ email: change.oldEmail, updatedAt: nowIso })
        // Whatever the email became since (a second change by the same intruder), the owner's returns.
        .where(eq(users.id, change.userId));
    } catch (err) {
      // Reserved at registration, so only a race could get here; the change stays undone-able.
      await ctx.db.update(emailChanges).set({ cancelledAt: null }).where(eq(emailChanges.id, change.id));
      if (isUniqueViolation(err, 'users.email')) throw emailTaken();
      throw err;
    }
  }
  // Later changes the attacker may have queued are void too.
  await ctx.db
    .update(emailChanges)
    .set({ cancelledAt: nowIso })
    .where(
      and(eq(emailChanges.userId, change.userId), isNull(emailChanges.cancelledAt), ne(emailChanges.id, change.id)),
    );
  const [revokedSessions, revokedApiKeys] = await Promise.all([
    revokeUserSessions(ctx, change.userId, 'email_change_undone'),
    revokeUserApiKeys(ctx, change.userId),
    forgetDevices(ctx, change.userId),
  ]);
  const restored = (
    await ctx.db.select({ email: users.email }).from(users).where(eq(users.id, change.userId)).limit(1)
  )[0];
  if (!restored) throw new AppError('NOT_FOUND', 'The account no longer exists');
  await requestPasswordReset(ctx, restored.email);
  return { email: restored.email, revokedSessions, revokedApiKeys };
};
