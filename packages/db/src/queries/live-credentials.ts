import { and, eq, gt, inArray, isNull, or } from 'drizzle-orm';
import type { Database } from '../client';
import { apiKeys, memberships, sessions, users } from '../schema';

/** The credentials behind a tenant's open connections. */
export interface OrgCredentials {
  users: Iterable<string>;
  sessions: Iterable<string>;
  apiKeys: Iterable<string>;
}

/** D1 allows 100 bound parameters per statement; each statement binds its ids and a few more. */
const IDS_PER_STATEMENT = 90;

const chunks = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

export type CredentialKind = 'usr' | 'ses' | 'key';

/** The answer of `findLiveCredentials`: does this credential of this user still hold in this tenant? */
export interface LiveCredentials {
  holds(orgId: string, kind: CredentialKind, id: string, userId: string): boolean;
}

const keyOf = (orgId: string, kind: CredentialKind, id: string, userId: string) => `${orgId} ${kind} ${id} ${userId}`;

/**
 * Which of these credentials still hold, in one D1 batch: the user is an active member of the tenant,
 * the session is neither revoked nor expired, the API key is neither revoked nor expired. Every
 * statement is scoped to its tenant.
 */
export const findLiveCredentials = async (
  db: Database,
  byOrg: ReadonlyMap<string, OrgCredentials>,
  now = new Date().toISOString(),
): Promise<LiveCredentials> => {
  const kinds: { orgId: string; kind: CredentialKind }[] = [];
  const statements = [];
  for (const [orgId, ids] of byOrg) {
    for (const chunk of chunks([...ids.users], IDS_PER_STATEMENT)) {
      kinds.push({ orgId, kind: 'usr' });
      statements.push(
        db
          .select({ id: memberships.userId, userId: users.id })
          .from(memberships)
          .innerJoin(users, eq(users.id, memberships.userId))
          .where(and(eq(memberships.orgId, orgId), eq(users.isActive, true), inArray(memberships.userId, chunk))),
      );
    }
    for (const chunk of chunks([...ids.sessions], IDS_PER_STATEMENT)) {
      kinds.push({ orgId, kind: 'ses' });
      statements.push(
        db
          .select({ id: sessions.id, userId: sessions.userId })
          .from(sessions)
          .where(
            and(
              eq(sessions.orgId, orgId),
              isNull(sessions.revokedAt),
              gt(sessions.expiresAt, now),
              inArray(sessions.id, chunk),
            ),
          ),
      );
    }
    for (const chunk of chunks([...ids.apiKeys], IDS_PER_STATEMENT)) {
      kinds.push({ orgId, kind: 'key' });
      statements.push(
        db
          .select({ id: apiKeys.id, userId: apiKeys.userId })
          .from(apiKeys)
          .where(
            and(
              eq(apiKeys.orgId, orgId),
              isNull(apiKeys.revokedAt),
              or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)),
              inArray(apiKeys.id, chunk),
            ),
          ),
      );
    }
  }
  const live = new Set<string>();
  if (statements.length > 0) {
    const results = await db.batch(statements as [(typeof statements)[number], ...typeof statements]);
    results.forEach((rows, i) => {
      const { orgId, kind } = kinds[i]!;
      for (const row of rows) live.add(keyOf(orgId, kind, row.id, row.userId));
    });
  }
  return { holds: (orgId, kind, id, userId) => live.has(keyOf(orgId, kind, id, userId)) };
};
