/**
 * API keys for programs. The full key is shown once at creation; only its SHA-256 and a short display
 * prefix are stored. A key acts with its creator's current role, so its scopes are checked against
 * that role at creation and again on every request (see the authenticate middleware).
 */
import { generateApiKey, hashApiKey } from '@flowspark/auth';
import {
  type Actor,
  AppError,
  newId,
  notFound,
  type PageRequest,
  ROLE_RANK,
  ROLE_SCOPES,
  type Role,
  type Scope,
  validationError,
} from '@flowspark/core';
import { paginate, schema } from '@flowspark/db';
import { and, desc, eq, isNull, type SQL } from 'drizzle-orm';
import type { IdentityContext } from './context';

const { apiKeys } = schema;

/** The person behind the request; keys are always created and managed by a signed-in user. */
export type ApiKeyActor = Pick<Actor, 'orgId' | 'userId' | 'role' | 'plan'>;

export interface NewApiKey {
  name: string;
  /** Concrete scopes, or exactly `['*']` for every scope of the creator's role. */
  scopes: readonly string[];
  expiresAt?: string;
  rateLimitPerMinute?: number;
}

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  rate_limit_per_minute: number | null;
  expires_at: string | null;
  last_used_at: string | null;
  created_at: string;
  /** The creator, whose role the key acts with. */
  user_id: string;
}

const present = (row: typeof apiKeys.$inferSelect): ApiKeyView => ({
  id: row.id,
  name: row.name,
  prefix: row.displayPrefix,
  scopes: row.scopes,
  rate_limit_per_minute: row.rateLimitPerMinute,
  expires_at: row.expiresAt,
  last_used_at: row.lastUsedAt,
  created_at: row.createdAt,
  user_id: row.userId,
});

/** Admins and owners manage every key of the tenant; others only their own. */
const managesAllKeys = (role: Role) => ROLE_RANK[role] >= ROLE_RANK.admin;

const resolveScopes = (actor: ApiKeyActor, requested: readonly string[]): Scope[] => {
  const allowed = ROLE_SCOPES[actor.role];
  if (requested.length === 1 && requested[0] === '*') return [...allowed];
  const unique = [...new Set(requested)];
  const denied = unique.filter((scope) => !(allowed as readonly string[]).includes(scope));
  if (denied.length > 0) {
    throw new AppError('INSUFFICIENT_SCOPE', `Your role cannot grant: ${denied.join(', ')}`, {
      details: { scopes: denied },
    });
  }
  return unique as Scope[];
};

export const createApiKey = async (
  ctx: IdentityContext,
  actor: ApiKeyActor,
  input: NewApiKey,
): Promise<ApiKeyView & { key: string }> => {
  const scopes = resolveScopes(actor, input.scopes);
  const planLimit = ctx.config.rateLimits[actor.plan].per_minute;
  if (input.rateLimitPerMinute !== undefined && input.rateLimitPerMinute > planLimit) {
    throw validationError('A key can only carry a lower rate limit than the plan', {
      rate_limit_per_minute: [`Must be at most ${planLimit} (the ${actor.plan} plan's limit)`],
    });
  }
  const now = new Date();
  let expiresAt: string | null = null;
  if (input.expiresAt !== undefined) {
    const at = Date.parse(input.expiresAt);
    if (!(at > now.getTime())) {
      throw validationError('expires_at must be in the future', { expires_at: ['Must be a future date and time'] });
    }
    expiresAt = new Date(at).toISOString();
  }
  const { key, displayPrefix } = generateApiKey();
  const row: typeof apiKeys.$inferSelect = {
    id: newId('key'),
    orgId: actor.orgId,
    userId: actor.userId,
    name: input.name,
    displayPrefix,
    keyHash: await hashApiKey(key),
    scopes,
    rateLimitPerMinute: input.rateLimitPerMinute ?? null,
    lastUsedAt: null,
    expiresAt,
    revokedAt: null,
    createdAt: now.toISOString(),
  };
  await ctx.db.insert(apiKeys).values(row);
  return { ...present(row), key };
};

const visibleTo = (actor: ApiKeyActor): SQL => {
  const conditions = [eq(apiKeys.orgId, actor.orgId), isNull(apiKeys.revokedAt)];
  if (!managesAllKeys(actor.role)) conditions.push(eq(apiKeys.userId, actor.userId));
  return and(...conditions)!;
};

/** The tenant's live keys the actor may manage, newest first. */
export const listApiKeys = async (
  ctx: IdentityContext,
  actor: ApiKeyActor,
  page: PageRequest,
): Promise<{ items: ApiKeyView[]; total: number }> => {
  const where = visibleTo(actor);
  const { items, total } = await paginate(
    ctx.db,
    ctx.db.select().from(apiKeys).where(where).orderBy(desc(apiKeys.createdAt), desc(apiKeys.id)),
    { table: apiKeys, where },
    page,
  );
  return { items: items.map(present), total };
};

/**
 * Revokes a key at once (the tenant gate refuses it from the next request on) and closes the live
 * connections it opened. A key the actor may not manage is reported as not found, like a key of another
 * tenant: it is invisible to them.
 */
export const revokeApiKey = async (ctx: IdentityContext, actor: ApiKeyActor, id: string): Promise<void> => {
  const result = await ctx.db
    .update(apiKeys)
    .set({ revokedAt: new Date().toISOString() })
    .where(and(eq(apiKeys.id, id), visibleTo(actor)));
  if (result.meta.changes !== 1) throw notFound('API key');
  await ctx.revocations.revokeApiKeys(actor.orgId, [id]);
  await ctx.revocations.closeConnections(actor.orgId, { apiKeyIds: [id] });
};
