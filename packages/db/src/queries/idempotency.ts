import { and, eq } from 'drizzle-orm';
import type { Database } from '../client';
import { idempotencyKeys } from '../schema';

export interface IdempotencyScope {
  orgId: string;
  actorId: string;
  key: string;
}

export type IdempotencyRecord = typeof idempotencyKeys.$inferSelect;

const match = (scope: IdempotencyScope) =>
  and(
    eq(idempotencyKeys.orgId, scope.orgId),
    eq(idempotencyKeys.actorId, scope.actorId),
    eq(idempotencyKeys.key, scope.key),
  );

/** Claims the key for this request. Returns false when someone already holds it. */
export const claimIdempotencyKey = async (
  db: Database,
  scope: IdempotencyScope,
  requestHash: string,
  now: Date,
  ttlSeconds: number,
): Promise<boolean> => {
  const result = await db
    .insert(idempotencyKeys)
    .values({
      ...scope,
      requestHash,
      status: 'pending',
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + ttlSeconds * 1000).toISOString(),
    })
    .onConflictDoNothing();
  return result.meta.changes === 1;
};

export const findIdempotencyKey = async (db: Database, scope: IdempotencyScope): Promise<IdempotencyRecord | null> =>
  (await db.select().from(idempotencyKeys).where(match(scope)).limit(1))[0] ?? null;

export const completeIdempotencyKey = async (
  db: Database,
  scope: IdempotencyScope,
  responseStatus: number,
  responseBody: string,
): Promise<void> => {
  await db.update(idempotencyKeys).set({ status: 'done', responseStatus, responseBody }).where(match(scope));
};

export const releaseIdempotencyKey = async (db: Database, scope: IdempotencyScope): Promise<void> => {
  await db.delete(idempotencyKeys).where(match(scope));
};
