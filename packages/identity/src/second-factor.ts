/**
 * Second factors: the TOTP device (its secret encrypted at rest) and recovery codes (hashes), and
 * spending one code with a compare-and-set update so it works once even when two requests race.
 */
import { decryptSecret, hashRecoveryCode, verifyTotp } from '@flowspark/auth';
import { AppError } from '@flowspark/core';
import { schema } from '@flowspark/db';
import { and, eq, isNull, lt, or } from 'drizzle-orm';
import type { IdentityContext } from './context';

const { mfaDevices, recoveryCodes } = schema;

/** HKDF purpose for TOTP secrets: a ciphertext made for another purpose cannot be opened as one. */
export const SECRET_PURPOSE = 'totp-secret';
const TOTP_CODE_PATTERN = /^[0-9]{6}$/;

export const invalidCode = () =>
  new AppError('INVALID_MFA_CODE', 'The verification code is invalid or was already used');

export const findDevice = async (ctx: IdentityContext, userId: string) =>
  (await ctx.db.select().from(mfaDevices).where(eq(mfaDevices.userId, userId)).limit(1))[0] ?? null;

/**
 * Spends a second-factor code: a 6-digit TOTP code (its step can never be used again) or an unused
 * recovery code (marked used). Returns false when the code is wrong or already spent.
 */
export const spendSecondFactor = async (ctx: IdentityContext, userId: string, code: string): Promise<boolean> => {
  const trimmed = code.trim();
  if (TOTP_CODE_PATTERN.test(trimmed)) {
    const device = await findDevice(ctx, userId);
    if (!device?.confirmedAt) return false;
    const secret = await decryptSecret(ctx.secrets.ENCRYPTION_KEY, SECRET_PURPOSE, device.secretEncrypted);
    const step = await verifyTotp(secret, trimmed, { lastUsedStep: device.lastUsedStep });
    if (step === null) return false;
    const spent = await ctx.db
      .update(mfaDevices)
      .set({ lastUsedStep: step })
      .where(and(eq(mfaDevices.id, device.id), or(isNull(mfaDevices.lastUsedStep), lt(mfaDevices.lastUsedStep, step))));
    return spent.meta.changes >= 1;
  }
  const spent = await ctx.db
    .update(recoveryCodes)
    .set({ usedAt: new Date().toISOString() })
    .where(
      and(
        eq(recoveryCodes.userId, userId),
        eq(recoveryCodes.codeHash, await hashRecoveryCode(trimmed)),
        isNull(recoveryCodes.usedAt),
      ),
    );
  return spent.meta.changes >= 1;
};
