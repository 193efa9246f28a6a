import {
  type Actor,
  AppError,
  conflict,
  forbidden,
  notFound,
  type PageRequest,
  ROLE_RANK,
  type Role,
} from '@flowspark/core';
import { paginate, schema } from '@flowspark/db';
import { and, asc, count, eq, isNull, type SQL, sql } from 'drizzle-orm';
import type { IdentityContext } from './context';
import { revokeUserSessions } from './sessions';

const { apiKeys, memberships, users } = schema;

/** Who acts on a membership: a signed-in person, or an API key acting for its creator. */
export type MemberActor = Pick<Actor, 'kind' | 'userId' | 'role' | 'scopes'>;

export interface MemberView {
  user_id: string;
  email: string;
  name: string;
  role: Role;
  joined_at: string;
}

const memberColumns = {
  membershipId: memberships.id,
  user_id: memberships.userId,
  email: users.email,
  name: users.name,
  role: memberships.role,
  joined_at: memberships.createdAt,
};

type MemberRow = { membershipId: string } & MemberView;

const present = ({ membershipId: _, ...view }: MemberRow): MemberView => view;

/** One query for the page and one for the total, sent together. */
export const listMembers = async (
  ctx: IdentityContext,
  orgId: string,
  page: PageRequest,
  filter: { role?: Role } = {},
): Promise<{ items: MemberView[]; total: number }> => {
  const where = filter.role
    ? and(eq(memberships.orgId, orgId), eq(memberships.role, filter.role))
    : eq(memberships.orgId, orgId);
  const { items, total } = await paginate(
    ctx.db,
    ctx.db
      .select(memberColumns)
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(where)
      .orderBy(asc(memberships.createdAt), asc(memberships.id)),
    { table: memberships, where },
    page,
  );
  return { items: items.map(present), total };
};

/** The member and the tenant's owner count, read together so the role rules see one snapshot. */
const loadMember = async (ctx: IdentityContext, orgId: string, userId: string) => {
  const [rows, owners] = await ctx.db.batch([
    ctx.db
      .select(memberColumns)
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)))
      .limit(1),
    ctx.db
      .select({ n: count() })
      .from(memberships)
      .where(and(eq(memberships.orgId, orgId), eq(memberships.role, 'owner'))),
  ]);
  const member = rows[0];
  if (!member) throw notFound('Member');
  return { member, ownerCount: owners[0]?.n ?? 0 };
};

/**
 * Guards writes against races the rules above them cannot see: the row must still have the role the
 * rules were checked against, and an owner row may only change while another owner remains.
 */
const unchangedAndKeepsAnOwner = (member: MemberRow, orgId: string): SQL =>
  and(
    eq(memberships.id, member.membershipId),
    eq(memberships.role, member.role),
    sql`(${memberships.role} <> 'owner' OR (SELECT count(*) FROM memberships AS o WHERE o.org_id = ${orgId} AND o.role = 'owner') > 1)`,
  )!;

const raceLost = () =>
  conflict('The membership changed while this request ran (or it would leave no owner); reload and try again');

const lastOwner = (self: boolean) =>
  conflict(
    self
      ? 'You are the last owner of this organization: make another member an owner first'
      : 'This member is the last owner of this organization: make another member an owner first',
  );

/** Role rules: owners alone grant or take away `owner`; nobody changes their own role but a spare owner. */
const assertMayChangeRole = (actor: MemberActor, member: MemberView, role: Role, ownerCount: number) => {
  const self = actor.userId === member.user_id;
  if (self && !(member.role === 'owner' && role !== 'owner')) {
    throw forbidden('You cannot change your own role');
  }
  if (ROLE_RANK[member.role] > ROLE_RANK[actor.role]) {
    throw forbidden(`Only an owner can change the role of an ${member.role}`);
  }
  if (ROLE_RANK[role] > ROLE_RANK[actor.role]) throw forbidden(`Only an owner can grant the ${role} role`);
  if (member.role === 'owner' && role !== 'owner' && ownerCount <= 1) throw lastOwner(self);
};

export const changeMemberRole = async (
  ctx: IdentityContext,
  actor: MemberActor,
  orgId: string,
  userId: string,
  role: Role,
): Promise<MemberView> => {
  const { member, ownerCount } = await loadMember(ctx, orgId, userId);
  assertMayChangeRole(actor, member, role, ownerCount);
  if (member.role === role) return present(member);
  const result = await ctx.db
    .update(memberships)
    .set({ role, updatedAt: new Date().toISOString() })
    .where(unchangedAndKeepsAnOwner(member, orgId));
  if (result.meta.changes !== 1) throw raceLost();
  // Access tokens carry the role: make the member's current ones refresh to pick up the new one.
  await ctx.revocations.invalidateUserTokens(orgId, userId);
  return present({ ...member, role });
};

/**
 * Removes a member, or lets a signed-in member leave. The membership, the member's API keys in this
 * tenant and their default organization pointer go in one batch; then every live connection they hold in
 * this tenant (through a session or an API key) is closed and their sessions here are revoked.
 */
export const removeMember = async (
  ctx: IdentityContext,
  actor: MemberActor,
  orgId: string,
  userId: string,
): Promise<void> => {
  const self = actor.userId === userId;
  const manages = actor.scopes.has('members:write');
  // Leaving is a person's own decision: an API key needs members:write even to remove its creator.
  if (!manages && !(self && actor.kind === 'user')) {
    throw new AppError('INSUFFICIENT_SCOPE', 'This action needs the members:write permission', {
      details: { required_scope: 'members:write' },
    });
  }
  const { member, ownerCount } = await loadMember(ctx, orgId, userId);
  if (!self && ROLE_RANK[member.role] > ROLE_RANK[actor.role]) {
    throw forbidden(`Only an owner can remove an ${member.role}`);
  }
  if (member.role === 'owner' && ownerCount <= 1) throw lastOwner(self);

  const now = new Date().toISOString();
  // The follow-up writes only apply once the membership is really gone, so a refused delete changes nothing.
  const gone = sql`NOT EXISTS (SELECT 1 FROM memberships AS m WHERE m.org_id = ${orgId} AND m.user_id = ${userId})`;
  const [deleted] = await ctx.db.batch([
    ctx.db.delete(memberships).where(unchangedAndKeepsAnOwner(member, orgId)),
    ctx.db
      .update(apiKeys)
      .set({ revokedAt: now })
      .where(and(eq(apiKeys.orgId, orgId), eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt), gone)),
    ctx.db
      .update(users)
      .set({ defaultOrgId: null, updatedAt: now })
      .where(and(eq(users.id, userId), eq(users.defaultOrgId, orgId), gone)),
  ]);
  if (deleted.meta.changes !== 1) throw raceLost();
  // Every socket of the member here, opened with a session or an API key, closes as "membership ended";
  // one that reconnects meanwhile is refused by the feed's own check of the membership in D1.
  await ctx.revocations.closeConnections(orgId, { userIds: [userId] });
  await revokeUserSessions(ctx, userId, 'membership_removed', { orgId });
};
