import {
  decryptSecret,
  encryptSecret,
  loadSigningKeys,
  randomToken,
  sha256Hex,
  signAccessToken,
} from '@flowspark/auth';
import { AppError, newId, type Plan, type Role } from '@flowspark/core';
import { schema } from '@flowspark/db';
import { and, desc, eq, inArray, isNotNull, isNull, ne, sql } from 'drizzle-orm';
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

// HKDF purpose for the successor ciphertext on a spent refresh token: a box made for TOTP secrets
// or idempotent responses cannot be opened as a refresh token, nor the other way round.
const SUCCESSOR_PURPOSE = 'refresh-token-successor/v1';

interface PresentedToken {
  tokenId: string;
  usedAt: string | null;
  successorEncrypted: string | null;
  tokenExpiresAt: string;
  sessionId: string;
  userId: string;
  orgId: string;
  revokedAt: string | null;
  sessionExpiresAt: string;
}

const findPresentedToken = async (ctx: IdentityContext, tokenHash: string): Promise<PresentedToken | undefined> =>
  (
    await ctx.db
      .select({
        tokenId: refreshTokens.id,
        usedAt: refreshTokens.usedAt,
        successorEncrypted: refreshTokens.successorEncrypted,
        tokenExpiresAt: refreshTokens.expiresAt,
        sessionId: sessions.id,
        userId: sessions.userId,
        orgId: sessions.orgId,
        revokedAt: sessions.revokedAt,
        sessionExpiresAt: sessions.expiresAt,
      })
      .from(refreshTokens)
      .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
      .where(eq(refreshTokens.tokenHash, tokenHash))
      .limit(1)
  )[0];

const isLive = (found: PresentedToken | undefined, nowIso: string): found is PresentedToken =>
  !!found && !found.revokedAt && found.sessionExpiresAt > nowIso && found.tokenExpiresAt > nowIso;

/** The session's user as of now (role and plan travel in the access token); an ended membership ends the session. */
const currentSubject = async (ctx: IdentityContext, found: PresentedToken): Promise<SessionSubject> => {
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
  return { userId: found.userId, orgId: found.orgId, role: member.role, plan: member.plan };
};

/**
 * A spent token presented again. Within the grace window, while the session lives and its successor
 * is still unspent, this is a second tab that refreshed at the same moment: it gets the same
 * successor and a fresh access token. Anything else means the token was copied.
 */
const refreshWithinGrace = async (
  ctx: IdentityContext,
  found: PresentedToken,
  now: Date,
  reuse: () => Promise<AppError>,
): Promise<IssuedTokens> => {
  const graceEndsAt = Date.parse(found.usedAt ?? '') + ctx.config.refreshGraceSeconds * 1000;
  if (!found.successorEncrypted || !(now.getTime() < graceEndsAt)) throw await reuse();
  let successor: string;
  try {
    successor = await decryptSecret(ctx.secrets.ENCRYPTION_KEY, SUCCESSOR_PURPOSE, found.successorEncrypted);
  } catch {
    // Unreadable (ENCRYPTION_KEY rotated within the window): this refresh fails, but a presentation
    // inside the window is not evidence of theft, so the session is left alone.
    throw invalidRefresh();
  }
  const next = (
    await ctx.db
      .select({ usedAt: refreshTokens.usedAt, expiresAt: refreshTokens.expiresAt })
      .from(refreshTokens)
      .where(and(eq(refreshTokens.tokenHash, await sha256Hex(successor)), eq(refreshTokens.sessionId, found.sessionId)))
      .limit(1)
  )[0];
  // The successor was spent in turn: the chain moved on, so this copy is stale and counts as reuse.
  if (!next || next.usedAt) throw await reuse();
  if (next.expiresAt <= now.toISOString()) throw invalidRefresh();
  const subject = await currentSubject(ctx, found);
  return tokens(ctx, await accessToken(ctx, subject, found.sessionId), successor, found.sessionId, next.expiresAt);
};

/**
 * Rotates a refresh token: the presented one is spent and a new one issued. A second presentation
 * within `refreshGraceSeconds` of the spend (two tabs refreshing at once) gets the same successor;
 * later, or once the successor was spent too, it means the token was copied and the whole session
 * (every token of its family) is revoked.
 */
export const refreshSession = async (
  ctx: IdentityContext,
  refreshToken: string,
  client: ClientInfo,
): Promise<IssuedTokens> => {
  if (!refreshToken.startsWith(REFRESH_TOKEN_PREFIX) || refreshToken.length > 128) throw invalidRefresh();
  const now = new Date();
  const nowIso = now.toISOString();
  const presentedHash = await sha256Hex(refreshToken);
  const found = await findPresentedToken(ctx, presentedHash);
  if (!isLive(found, nowIso)) throw invalidRefresh();
  const reuse = async () => {
    await revokeSessions(ctx, found.orgId, [found.sessionId], 'refresh_token_reuse');
    // The revoked session's successors can never be handed out again: drop their ciphertexts.
    await ctx.db
      .update(refreshTokens)
      .set({ successorEncrypted: null })
      .where(and(eq(refreshTokens.sessionId, found.sessionId), isNotNull(refreshTokens.successorEncrypted)));
    return new AppError('INVALID_TOKEN', 'Refresh token was already used; the session has been revoked');
  };
  if (found.usedAt) return refreshWithinGrace(ctx, found, now, reuse);

  const subject = await currentSubject(ctx, found);
  const refresh = newRefreshToken();
  const [access, tokenHash, successorEncrypted] = await Promise.all([
    accessToken(ctx, subject, found.sessionId),
    sha256Hex(refresh),
    encryptSecret(ctx.secrets.ENCRYPTION_KEY, SUCCESSOR_PURPOSE, refresh),
  ]);
  // Spend and successor in one D1 batch, which is one transaction: either the presented token is
  // spent with its successor's ciphertext and the successor row exists, or nothing changed. There is
  // no moment where the token is spent but its successor is unrecoverable. A crash before the commit
  // leaves the token unspent (the client retries with it); a crash after it, before the answer
  // reaches the client, leaves a spent token whose retry within the grace window recovers the same
  // successor, and whose retry after the window counts as reuse (the user signs in again). Only the
  // request whose ciphertext landed on the row (random IV: unique) inserts its successor and touches
  // the session, so a concurrent loser writes nothing at all.
  const won = sql`exists (select 1 from refresh_tokens as spent where spent.id = ${found.tokenId} and spent.successor_encrypted = ${successorEncrypted})`;
  const [spent] = await ctx.db.batch([
    ctx.db
      .update(refreshTokens)
      .set({ usedAt: nowIso, successorEncrypted })
      .where(and(eq(refreshTokens.id, found.tokenId), isNull(refreshTokens.usedAt))),
    ctx.db.insert(refreshTokens).select(
      ctx.db
        .select({
          id: sql<string>`${newId('rtk')}`.as('id'),
          sessionId: sql<string>`${found.sessionId}`.as('session_id'),
          tokenHash: sql<string>`${tokenHash}`.as('token_hash'),
          createdAt: sql<string>`${nowIso}`.as('created_at'),
          expiresAt: sql<string>`${found.sessionExpiresAt}`.as('expires_at'),
          usedAt: sql<string | null>`null`.as('used_at'),
          successorEncrypted: sql<string | null>`null`.as('successor_encrypted'),
        })
        .from(sql`(select 1)`)
        .where(won),
    ),
    // Older spent tokens of this session have a spent successor now: their grace is over for good.
    ctx.db
      .update(refreshTokens)
      .set({ successorEncrypted: null })
      .where(
        and(
          eq(refreshTokens.sessionId, found.sessionId),
          ne(refreshTokens.id, found.tokenId),
          isNotNull(refreshTokens.successorEncrypted),
          won,
        ),
      ),
    ctx.db
      .update(sessions)
      .set({ lastUsedAt: nowIso, ip: client.ip, userAgent: client.userAgent?.slice(0, 512) ?? null })
      .where(and(eq(sessions.id, found.sessionId), won)),
  ]);
  if (spent.meta.changes !== 1) {
    // Another request spent this token between our read and our write (two tabs at once): read the
    // row again and answer as its second presentation, with the winner's successor.
    const after = await findPresentedToken(ctx, presentedHash);
    if (!isLive(after, nowIso) || !after.usedAt) throw invalidRefresh();
    return refreshWithinGrace(ctx, after, now, reuse);
  }
  return tokens(ctx, access, refresh, found.sessionId, found.sessionExpiresAt);
};

/**
 * Revokes sessions of one tenant: refresh stops in D1, access tokens stop at the tenant's gate, and the
 * live connections they opened (job feed) close. The gate is told first, so a client reconnecting after
 * the close is already refused.
 */
export const revokeSessions = async (
  ctx: IdentityContext,
  orgId: string,
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
  await ctx.revocations.revokeSessions(orgId, sessionIds);
  await ctx.revocations.closeConnections(orgId, { sessionIds });
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
  const byOrg = new Map<string, string[]>();
  for (const row of live) {
    const ids = byOrg.get(row.orgId) ?? [];
    ids.push(row.id);
    byOrg.set(row.orgId, ids);
  }
  for (const [orgId, ids] of byOrg) await revokeSessions(ctx, orgId, ids, reason);
  return live.length;
};
