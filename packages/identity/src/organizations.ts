import { notFound } from '@flowspark/core';
import { schema } from '@flowspark/db';
import { count, eq } from 'drizzle-orm';
import type { IdentityContext } from './context';
import { type OrganizationView, presentOrganization } from './presenters';

const { memberships, organizations } = schema;

export interface OrganizationWithCount extends OrganizationView {
  member_count: number;
}

/** The organization and its member count, read in one batch (one round trip to D1). */
export const getOrganization = async (ctx: IdentityContext, orgId: string): Promise<OrganizationWithCount> => {
  const [orgRows, countRows] = await ctx.db.batch([
    ctx.db.select().from(organizations).where(eq(organizations.id, orgId)).limit(1),
    ctx.db.select({ n: count() }).from(memberships).where(eq(memberships.orgId, orgId)),
  ]);
  const org = orgRows[0];
  if (!org) throw notFound('Organization');
  return { ...presentOrganization(org), member_count: countRows[0]?.n ?? 0 };
};

export interface OrganizationUpdate {
  name?: string;
}

/** Renames the organization. The slug never changes: links and integrations may depend on it. */
export const updateOrganization = async (
  ctx: IdentityContext,
  orgId: string,
  update: OrganizationUpdate,
): Promise<OrganizationWithCount> => {
  const changes: Partial<typeof organizations.$inferInsert> = { updatedAt: new Date().toISOString() };
  if (update.name !== undefined) changes.name = update.name;
  const [updated, countRows] = await ctx.db.batch([
    ctx.db.update(organizations).set(changes).where(eq(organizations.id, orgId)).returning(),
    ctx.db.select({ n: count() }).from(memberships).where(eq(memberships.orgId, orgId)),
  ]);
  const org = updated[0];
  if (!org) throw notFound('Organization');
  return { ...presentOrganization(org), member_count: countRows[0]?.n ?? 0 };
};
