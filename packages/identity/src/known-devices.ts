import { randomToken, sha256Hex } from '@flowspark/auth';
import { newId } from '@flowspark/core';
import { schema } from '@flowspark/db';
import { and, eq, gt, sql } from 'drizzle-orm';
import type { ClientInfo, IdentityContext } from './context';

const { knownDevices } = schema;

export const DEVICE_TOKEN_PREFIX = 'fsd_';

export type KnownDevice = typeof knownDevices.$inferSelect;

/** The statement that finds a live device by its token's hash, unexecuted (callers batch it). */
export const knownDeviceQuery = (ctx: IdentityContext, tokenHash: string) =>
  ctx.db
    .select()
    .from(knownDevices)
    .where(and(eq(knownDevices.tokenHash, tokenHash), gt(knownDevices.expiresAt, new Date().toISOString())))
    .limit(1);

export const looksLikeDeviceToken = (token: string | undefined): token is string =>
  !!token && token.startsWith(DEVICE_TOKEN_PREFIX) && token.length <= 128;

/** The device behind a token, when it belongs to this user and has not expired. */
export const findKnownDevice = async (
  ctx: IdentityContext,
  userId: string,
  token: string | undefined,
): Promise<KnownDevice | null> => {
  if (!looksLikeDeviceToken(token)) return null;
  const row = (await knownDeviceQuery(ctx, await sha256Hex(token)))[0];
  return row?.userId === userId ? row : null;
};

export const findKnownDeviceById = async (ctx: IdentityContext, userId: string, id: string | undefined) => {
  if (!id) return null;
  const row = (
    await ctx.db
      .select()
      .from(knownDevices)
      .where(
        and(
          eq(knownDevices.id, id),
          eq(knownDevices.userId, userId),
          gt(knownDevices.expiresAt, new Date().toISOString()),
        ),
      )
      .limit(1)
  )[0];
  return row ?? null;
};

/**
 * A wrong password or code from a known device. The device's own budget runs down; past it the
 * device is forgotten, so a stolen device token buys only a few guesses.
 */
export const recordDeviceFailure = async (ctx: IdentityContext, device: KnownDevice): Promise<void> => {
  if (device.failedAttempts + 1 >= ctx.config.login.maxDeviceFailures) {
    await ctx.db.delete(knownDevices).where(eq(knownDevices.id, device.id));
    return;
  }
  await ctx.db
    .update(knownDevices)
    .set({ failedAttempts: sql`${knownDevices.failedAttempts} + 1` })
    .where(eq(knownDevices.id, device.id));
};

/**
 * After a complete sign-in: a known device is refreshed (budget restored, expiry slid forward);
 * otherwise the device is remembered and its token returned, once.
 */
export const rememberDevice = async (
  ctx: IdentityContext,
  userId: string,
  device: KnownDevice | null,
  client: ClientInfo,
): Promise<string | null> => {
  const now = new Date();
  const expiresAt = new Date(now.getTime() + ctx.config.login.knownDeviceTtlSeconds * 1000).toISOString();
  if (device) {
    await ctx.db
      .update(knownDevices)
      .set({ failedAttempts: 0, lastUsedAt: now.toISOString(), expiresAt })
      .where(eq(knownDevices.id, device.id));
    return null;
  }
  const token = `${DEVICE_TOKEN_PREFIX}${randomToken(32)}`;
  await ctx.db.insert(knownDevices).values({
    id: newId('dev'),
    userId,
    tokenHash: await sha256Hex(token),
    userAgent: client.userAgent?.slice(0, 512) ?? null,
    createdAt: now.toISOString(),
    lastUsedAt: now.toISOString(),
    expiresAt,
  });
  return token;
};

/** Every device of the user is forgotten (password reset, an undone email change). */
export const forgetDevices = (ctx: IdentityContext, userId: string) =>
  ctx.db.delete(knownDevices).where(eq(knownDevices.userId, userId));
