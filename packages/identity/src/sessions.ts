import { loadSigningKeys, randomToken, sha256Hex, signAccessToken } from '@flowspark/auth';
import { AppError, newId, type Plan, type Role } from '@flowspark/core';
import { schema } from '@flowspark/db';
import { and, desc, eq, inArray, isNull, ne } from 'drizzle-orm';
import type { ClientInfo, IdentityContext } from './context';

const { memberships, organizations, refreshTokens, sessions, users } = schema;

export const REFRESH_TOKEN_PREFIX = 'fsr_';

export interface IssuedTokens {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  refresh_token_expires_in: number;
  session_id: string;
}

export interface SessionSubject {
  userId: string;
  orgId: string;
  role: Role;
  plan: Plan;
}

const newRefreshToken = () => `${REFRESH_TOKEN_PREFIX}${randomToken(32)}`;

const accessToken = async (ctx: IdentityContext, subject: SessionSubject, sessionId: string) =>
  signAccessToken(
    await loadSigningKeys(ctx.secrets),
    { sub: subject.userId, tid: subject.orgId, role: subject.role, sid: sessionId, plan: subject.plan },
    { issuer: ctx.config.issuer, audience: ctx.config.audience, ttlSeconds: ctx.config.accessTokenTtlSeconds },
  );

const tokens = (
  ctx: IdentityContext,
  access: string,
  refresh: string,
  sessionId: string,
  refreshExpiresAt: string,
): IssuedTokens => ({
  access_token: access,
  token_type: 'Bearer',
  expires_in: ctx.config.accessTokenTtlSeconds,
  refresh_token: refresh,
  refresh_token_expires_in: Math.max(0, Math.floor((Date.parse(refreshExpiresAt) - Date.now()) / 1000)),
  session_id: sessionId,
});

/** A new session with its first refresh token, written in one batch. */
export const startSession = async (
  ctx: IdentityContext,
  subject: SessionSubject,
  client: ClientInfo,
): Promise<IssuedTokens> => {
  const now = new Date();
  const sessionId = newId('ses');
  const refresh = newRefreshToken();
  const expiresAt = new Date(now.getTime() + ctx.config.refreshTokenTtlSeconds * 1000).toISOString();
  const [access, tokenHash] = await Promise.all([accessToken(ctx, subject, sessionId), sha256Hex(refresh)]);
  await ctx.db.batch([
    ctx.db.insert(sessions).values({
      id: sessionId,
      userId: subject.userId,
      orgId: subject.orgId,
      userAgent: client.userAgent?.slice(0, 512) ?? null,
      ip: client.ip,
      createdAt: now.toISOString(),
      lastUsedAt: now.toISOString(),
      expiresAt,
    }),
    ctx.db.insert(refreshTokens).values({
      id: newId('rtk'),
      sessionId,
      tokenHash,
      createdAt: now.toISOString(),
      expiresAt,
    }),
  ]);
  return tokens(ctx, access, refresh, sessionId, expiresAt);
};

const invalidRefresh = () => new AppError('INVALID_TOKEN', 'Refresh token is invalid or expired');

/**
 * Rotates a refresh token: the presented one is spent and a new one issued. Presenting a spent
 * token means it was copied: the whole session (every token of its family) is revoked.
 */
export const refreshSession = async (
  ctx: IdentityContext,
  refreshToken: string,
  client: ClientInfo,
): Promise<IssuedTokens> => {
  if (!refreshToken.startsWith(REFRESH_TOKEN_PREFIX) || refreshToken.length > 128) throw invalidRefresh();
  const now = new Date();
  const nowIso = now.toISOString();
  const found = (
    await ctx.db
      .select({
        tokenId: refreshTokens.id,
        usedAt: refreshTokens.usedAt,
        tokenExpiresAt: refreshTokens.expiresAt,
        sessionId: sessions.id,
        userId: sessions.userId,
        orgId: sessions.orgId,
        revokedAt: sessions.revokedAt,
        sessionExpiresAt: sessions.expiresAt,
      })
      .from(refreshTokens)
      .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
      .where(eq(refreshTokens.tokenHash, await sha256Hex(refreshToken)))
      .limit(1)
  )[0];
  if (!found || found.revokedAt || found.sessionExpiresAt <= nowIso || found.tokenExpiresAt <= nowIso) {
    throw invalidRefresh();
  }
  const reuse = async () => {
    await revokeSessions(ctx, found.orgId, [found.sessionId], 'refresh_token_reuse');
    return new AppError('INVALID_TOKEN', 'Refresh token was already used; the session has been revoked');
  };
  if (found.usedAt) throw await reuse();

  const spent = await ctx.db
    .update(refreshTokens)
    .set({ usedAt: nowIso })
    .where(and(eq(refreshTokens.id, found.tokenId), isNull(refreshTokens.usedAt)));
  // Two refreshes raced with one token: only one may win, and the other is treated as reuse.
  if (spent.meta.changes !== 1) throw await reuse();

  const member = (
    await ctx.db
      .select({ role: memberships.role, plan: organizations.plan, isActive: users.isActive })
      .from(memberships)
      .innerJoin(organizations, eq(organizations.id, memberships.orgId))
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.orgId, found.orgId), eq(memberships.userId, found.userId)))
      .limit(1)
  )[0];
  if (!member?.isActive) {
    await revokeSessions(ctx, found.orgId, [found.sessionId], 'membership_ended');
    throw invalidRefresh();
  }

  const refresh = newRefreshToken();
  const subject: SessionSubject = { userId: found.userId, orgId: found.orgId, role: member.role, plan: member.plan };
  const [access, tokenHash] = await Promise.all([accessToken(ctx, subject, found.sessionId), sha256Hex(refresh)]);
  await ctx.db.batch([
    ctx.db.insert(refreshTokens).values({
      id: newId('rtk'),
      sessionId: found.sessionId,
      tokenHash,
      createdAt: nowIso,
      expiresAt: found.sessionExpiresAt,
    }),
    ctx.db
      .update(sessions)
      .set({ lastUsedAt: nowIso, ip: client.ip, userAgent: client.userAgent?.slice(0, 512) ?? null })
      .where(eq(sessions.id, found.sessionId)),
  ]);
  return tokens(ctx, access, refresh, found.sessionId, found.sessionExpiresAt);
};

/**
 * Revokes sessions of one tenant: refresh stops in D1, access tokens stop at the tenant's gate, and the
 * live connections they opened (job feed) close. The gate is told first, so a client reconnecting after
 * the close is already refused.
 */
export const revokeSessions = async (
  ctx: IdentityContext,
  tenantId: string,
  sessionIds: string[],
  reason: string,
): Promise<void> => {
  if (sessionIds.length === 0) return;
  const nowIso = new Date().toISOString();
  for (let i = 0; i < sessionIds.length; i += 90) {
    const chunk = sessionIds.slice(i, i + 90);
    await ctx.db
      .update(sessions)
      .set({ revokedAt: nowIso, revokeReason: reason })
      .where(and(inArray(sessions.id, chunk), isNull(sessions.revokedAt)));
  }
  await ctx.revocations.revokeSessions(tenantId, sessionIds);
  await ctx.revocations.closeConnections(tenantId, { sessionIds });
};

/**
 * Revokes a user's live sessions, in every tenant or one, optionally keeping the caller's own.
 * Returns how many were revoked.
 */
export const revokeUserSessions = async (
  ctx: IdentityContext,
  userId: string,
  reason: string,
  options: { exceptSessionId?: string; orgId?: string } = {},
): Promise<number> => {
  const conditions = [eq(sessions.userId, userId), isNull(sessions.revokedAt)];
  if (options.exceptSessionId) conditions.push(ne(sessions.id, options.exceptSessionId));
  if (options.orgId) conditions.push(eq(sessions.orgId, options.orgId));
  const live = await ctx.db
    .select({ id: sessions.id, orgId: sessions.orgId })
    .from(sessions)
    .where(and(...conditions))
    .orderBy(desc(sessions.createdAt));
  const byTenant = new Map<string, string[]>();
  for (const row of live) {
    const ids = byTenant.get(row.orgId) ?? [];
    ids.push(row.id);
    byTenant.set(row.orgId, ids);
  }
  for (const [tenantId, ids] of byTenant) await revokeSessions(ctx, tenantId, ids, reason);
  return live.length;
};
