/**
 * TOTP multi-factor authentication: enrolment (setup → verify), disabling, and the login challenge.
 * The TOTP secret is encrypted at rest (it must be read back to check codes); recovery codes are
 * stored only as hashes and shown once. Every accepted TOTP step and recovery code is spent with a
 * compare-and-set update, so a code works once even when two requests race.
 */
import {
  decryptSecret,
  encryptSecret,
  generateRecoveryCodes,
  generateTotpSecret,
  hashRecoveryCode,
  loadSigningKeys,
  otpauthUri,
  verifyMfaToken,
  verifyTotp,
} from '@flowspark/auth';
import { AppError, conflict, newId } from '@flowspark/core';
import { schema } from '@flowspark/db';
import { and, eq, isNull } from 'drizzle-orm';
import type { ClientInfo, IdentityContext } from './context';
import { checkCurrentCredentials, loadActiveUser } from './credentials';
import { findKnownDeviceById, recordDeviceFailure } from './known-devices';
import { completeLogin } from './login';
import { findDevice, invalidCode, SECRET_PURPOSE, spendSecondFactor } from './second-factor';
import { assertLoginAllowed, recordLoginAttempt } from './throttle';

const { mfaDevices, recoveryCodes, users } = schema;

export const MFA_ISSUER = 'FlowSpark';
export const RECOVERY_CODE_COUNT = 10;

export interface TotpSetup {
  secret: string;
  otpauth_uri: string;
  issuer: string;
  account: string;
}

const findUser = async (ctx: IdentityContext, userId: string) =>
  (await ctx.db.select().from(users).where(eq(users.id, userId)).limit(1))[0] ?? null;

/**
 * Starts (or restarts) enrolment: a fresh secret on an unconfirmed device. Needs the password, or a
 * stolen access token could put an attacker's authenticator on the account and lock its owner out;
 * refused while MFA is on, so a stolen session cannot silently swap the second factor.
 */
export const beginTotpSetup = async (
  ctx: IdentityContext,
  userId: string,
  password: string,
  client: ClientInfo,
): Promise<TotpSetup> => {
  const user = await loadActiveUser(ctx, userId);
  if (user.mfaEnabled) throw conflict('MFA is already enabled; disable it before setting it up again');
  await checkCurrentCredentials(ctx, user, { password }, client, 'Password is incorrect');
  const secret = generateTotpSecret();
  const secretEncrypted = await encryptSecret(ctx.secrets.ENCRYPTION_KEY, SECRET_PURPOSE, secret);
  const now = new Date().toISOString();
  await ctx.db
    .insert(mfaDevices)
    .values({ id: newId('mfa'), userId, secretEncrypted, createdAt: now })
    .onConflictDoUpdate({
      target: mfaDevices.userId,
      set: { secretEncrypted, confirmedAt: null, lastUsedStep: null, createdAt: now },
    });
  return {
    secret,
    otpauth_uri: otpauthUri(secret, user.email, MFA_ISSUER),
    issuer: MFA_ISSUER,
    account: user.email,
  };
};

/**
 * Confirms the pending device with a code from the authenticator, turns MFA on and issues recovery
 * codes (returned in clear only here).
 */
export const confirmTotpSetup = async (
  ctx: IdentityContext,
  userId: string,
  code: string,
): Promise<{ enabled: true; recovery_codes: string[] }> => {
  const [user, device] = await Promise.all([findUser(ctx, userId), findDevice(ctx, userId)]);
  if (!user) throw new AppError('INVALID_TOKEN', 'Invalid or expired token');
  if (user.mfaEnabled) throw conflict('MFA is already enabled');
  if (!device || device.confirmedAt) {
    throw conflict('No MFA setup is pending; call POST /api/v1/auth/mfa/totp/setup first');
  }
  const secret = await decryptSecret(ctx.secrets.ENCRYPTION_KEY, SECRET_PURPOSE, device.secretEncrypted);
  const step = await verifyTotp(secret, code, { lastUsedStep: device.lastUsedStep });
  if (step === null) throw invalidCode();

  const now = new Date().toISOString();
  // Compare-and-set on the exact secret we checked: a concurrent re-setup or verify makes this a no-op.
  const confirmed = await ctx.db
    .update(mfaDevices)
    .set({ confirmedAt: now, lastUsedStep: step })
    .where(
      and(
        eq(mfaDevices.id, device.id),
        isNull(mfaDevices.confirmedAt),
        eq(mfaDevices.secretEncrypted, device.secretEncrypted),
      ),
    );
  if (confirmed.meta.changes !== 1) throw conflict('The MFA setup changed while it was being confirmed; start again');

  const codes = generateRecoveryCodes(RECOVERY_CODE_COUNT);
  const hashes = await Promise.all(codes.map(hashRecoveryCode));
  await ctx.db.batch([
    ctx.db.update(users).set({ mfaEnabled: true, updatedAt: now }).where(eq(users.id, userId)),
    ctx.db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)),
    ctx.db
      .insert(recoveryCodes)
      .values(hashes.map((codeHash) => ({ id: newId('mfa'), userId, codeHash, createdAt: now }))),
  ]);
  return { enabled: true, recovery_codes: codes };
};

/** Turns MFA off after checking both the password and a current code (TOTP or recovery code). */
export const disableTotp = async (
  ctx: IdentityContext,
  userId: string,
  input: { password: string; code: string },
  client: ClientInfo,
): Promise<{ enabled: false }> => {
  const user = await loadActiveUser(ctx, userId);
  // With MFA on this checks the password, then spends the code; with it off, the password only.
  await checkCurrentCredentials(ctx, user, input, client, 'Password is incorrect');
  if (!user.mfaEnabled) throw conflict('MFA is not enabled');
  await ctx.db.batch([
    ctx.db.delete(mfaDevices).where(eq(mfaDevices.userId, userId)),
    ctx.db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)),
    ctx.db.update(users).set({ mfaEnabled: false, updatedAt: new Date().toISOString() }).where(eq(users.id, userId)),
  ]);
  return { enabled: false };
};

/**
 * Second step of a login with MFA: the `mfa_token` from the password step plus a code. The token is
 * not stored, so it is not strictly single-use; every use must spend a new TOTP step or an unused
 * recovery code, which gives the same protection (a captured token and code cannot be replayed).
 */
export const completeMfaChallenge = async (
  ctx: IdentityContext,
  input: { mfaToken: string; code: string },
  client: ClientInfo,
) => {
  const keys = await loadSigningKeys(ctx.secrets);
  const claims = await verifyMfaToken(keys, input.mfaToken, {
    issuer: ctx.config.issuer,
    audience: ctx.config.audience,
  });
  const user = await findUser(ctx, claims.sub);
  if (!user?.isActive) throw new AppError('INVALID_TOKEN', 'Invalid MFA token');
  // MFA was turned off after the password step: that token proves nothing any more.
  if (!user.mfaEnabled) throw new AppError('INVALID_TOKEN', 'MFA is no longer enabled; log in again');
  // The password step came from a known device: others' failures do not hold it back.
  const device = await findKnownDeviceById(ctx, user.id, claims.kd);
  if (!device) await assertLoginAllowed(ctx, user.email, client.ip);
  if (!(await spendSecondFactor(ctx, user.id, input.code))) {
    await Promise.all([
      recordLoginAttempt(ctx, user.email, client.ip, false),
      device ? recordDeviceFailure(ctx, device) : undefined,
    ]);
    throw invalidCode();
  }
  return completeLogin(ctx, { userId: user.id, orgId: claims.tid }, client, device);
};
