import { and, eq, isNull } from 'drizzle-orm';
import type { Database } from '../client';
import { apiKeys, memberships, organizations, users } from '../schema';

export interface ApiKeyPrincipal {
  id: string;
  orgId: string;
  userId: string;
  scopes: string[];
  rateLimitPerMinute: number | null;
  expiresAt: string | null;
  lastUsedAt: string | null;
  role: 'owner' | 'admin' | 'member' | 'viewer';
  plan: 'free' | 'pro' | 'enterprise';
}

/**
 * One query resolves a key to its tenant, its creator's current role and the tenant's plan. A key
 * whose creator left the organization matches no membership, and a key of a deactivated user matches
 * no active user, so both stop working at once.
 */
export const findApiKeyPrincipal = async (db: Database, keyHash: string): Promise<ApiKeyPrincipal | null> => {
  const rows = await db
    .select({
      id: apiKeys.id,
      orgId: apiKeys.orgId,
      userId: apiKeys.userId,
      scopes: apiKeys.scopes,
      rateLimitPerMinute: apiKeys.rateLimitPerMinute,
      expiresAt: apiKeys.expiresAt,
      lastUsedAt: apiKeys.lastUsedAt,
      role: memberships.role,
      plan: organizations.plan,
    })
    .from(apiKeys)
    .innerJoin(memberships, and(eq(memberships.orgId, apiKeys.orgId), eq(memberships.userId, apiKeys.userId)))
    .innerJoin(organizations, eq(organizations.id, apiKeys.orgId))
    .innerJoin(users, and(eq(users.id, apiKeys.userId), eq(users.isActive, true)))
    .where(and(eq(apiKeys.keyHash, keyHash), isNull(apiKeys.revokedAt)))
    .limit(1);
  return rows[0] ?? null;
};

export const touchApiKey = async (db: Database, id: string, at: string): Promise<void> => {
  await db.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, id));
};
