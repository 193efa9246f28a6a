import { AppError, notFound } from '@flowspark/core';
import { schema } from '@flowspark/db';
import { eq } from 'drizzle-orm';
import type { SsoContext } from './context';
import { listSsoDomains, type SsoDomainView } from './domains';

const { organizations, ssoIdentities } = schema;

type SettingsContext = Pick<SsoContext, 'db' | 'sso'>;

export interface SsoSettingsView {
  /** Members sign in to the organization only through SSO; password login to it is refused. */
  required: boolean;
  /** The providers this deployment offers (`POST /auth/sso/{provider}`). */
  providers: string[];
  domains: SsoDomainView[];
}

export const getSsoSettings = async (ctx: SettingsContext, orgId: string): Promise<SsoSettingsView> => {
  const [[org], domains] = await Promise.all([
    ctx.db.select({ ssoRequired: organizations.ssoRequired }).from(organizations).where(eq(organizations.id, orgId)),
    listSsoDomains(ctx, orgId),
  ]);
  if (!org) throw notFound('Organization');
  return { required: org.ssoRequired, providers: [...ctx.sso.providers.keys()], domains };
};

/**
 * Turns "require SSO" on or off. Turning it on needs the caller's own account to have signed in with
 * SSO once (a linked identity), so an administrator cannot lock themselves out with it.
 */
export const updateSsoSettings = async (
  ctx: SettingsContext,
  actor: { userId: string; orgId: string },
  input: { required: boolean },
): Promise<SsoSettingsView> => {
  if (input.required) {
    const [linked] = await ctx.db
      .select({ id: ssoIdentities.id })
      .from(ssoIdentities)
      .where(eq(ssoIdentities.userId, actor.userId))
      .limit(1);
    if (!linked) {
      throw new AppError('CONFLICT', 'Sign in with SSO once yourself before requiring it, so you cannot be locked out');
    }
  }
  await ctx.db
    .update(organizations)
    .set({ ssoRequired: input.required, updatedAt: new Date().toISOString() })
    .where(eq(organizations.id, actor.orgId));
  return getSsoSettings(ctx, actor.orgId);
};
