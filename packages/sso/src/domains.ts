import { randomToken } from '@flowspark/auth';
import { AppError, conflict, newId, notFound } from '@flowspark/core';
import { isUniqueViolation, schema } from '@flowspark/db';
import { and, asc, eq, isNull } from 'drizzle-orm';
import type { SsoContext } from './context';

const { ssoDomains } = schema;

/**
 * How a domain is proven: the organization publishes a TXT record `flowspark-domain-verification=<token>`
 * at `_flowspark-challenge.<domain>`, which only whoever controls the domain's DNS can do. The
 * Worker reads TXT records through this port (DNS over HTTPS in production, a fake in tests).
 */
export type TxtResolver = (name: string) => Promise<string[]>;

export const DOMAIN_CHALLENGE_LABEL = '_flowspark-challenge';
export const DOMAIN_RECORD_PREFIX = 'flowspark-domain-verification=';

/** Lower-case ASCII host names with at least two labels (`acme.com`, `eu.acme.co.uk`). */
export const DOMAIN_PATTERN = /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

export const emailDomain = (email: string) => email.slice(email.lastIndexOf('@') + 1);

type SettingsContext = Pick<SsoContext, 'db'>;
type DomainRow = typeof ssoDomains.$inferSelect;

export interface SsoDomainView {
  id: string;
  domain: string;
  /** The role a first sign-in from this domain joins with. */
  role: 'member' | 'viewer';
  verified: boolean;
  verified_at: string | null;
  /** The DNS record that proves the domain (publish it, then verify). */
  verification: { type: 'TXT'; name: string; value: string };
  created_at: string;
}

export const presentDomain = (row: DomainRow): SsoDomainView => ({
  id: row.id,
  domain: row.domain,
  role: row.role,
  verified: row.verifiedAt !== null,
  verified_at: row.verifiedAt,
  verification: {
    type: 'TXT',
    name: `${DOMAIN_CHALLENGE_LABEL}.${row.domain}`,
    value: `${DOMAIN_RECORD_PREFIX}${row.verificationToken}`,
  },
  created_at: row.createdAt,
});

export const listSsoDomains = async (ctx: SettingsContext, orgId: string): Promise<SsoDomainView[]> =>
  (
    await ctx.db
      .select()
      .from(ssoDomains)
      .where(eq(ssoDomains.orgId, orgId))
      .orderBy(asc(ssoDomains.createdAt), asc(ssoDomains.id))
  ).map(presentDomain);

/** Adds an unverified domain with its verification token; once per organization. */
export const addSsoDomain = async (
  ctx: SettingsContext,
  actor: { userId: string; orgId: string },
  input: { domain: string; role: 'member' | 'viewer' },
): Promise<SsoDomainView> => {
  const row: DomainRow = {
    id: newId('sdm'),
    orgId: actor.orgId,
    domain: input.domain,
    role: input.role,
    verificationToken: randomToken(24),
    verifiedAt: null,
    createdBy: actor.userId,
    createdAt: new Date().toISOString(),
  };
  try {
    await ctx.db.insert(ssoDomains).values(row);
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('This domain is already added to the organization');
    throw err;
  }
  return presentDomain(row);
};

const findDomain = async (ctx: SettingsContext, orgId: string, id: string): Promise<DomainRow> => {
  const [row] = await ctx.db
    .select()
    .from(ssoDomains)
    .where(and(eq(ssoDomains.id, id), eq(ssoDomains.orgId, orgId)))
    .limit(1);
  if (!row) throw notFound('SSO domain');
  return row;
};

/** TXT strings may be quoted and split in chunks by resolvers: compare their joined, unquoted text. */
const normalizeTxt = (value: string) => value.replace(/"\s*"/g, '').replace(/^"|"$/g, '').trim();

/** Checks the domain's TXT record; verified, the domain places first sign-ins from it in this organization. */
export const verifySsoDomain = async (
  ctx: SettingsContext,
  orgId: string,
  id: string,
  resolveTxt: TxtResolver,
): Promise<SsoDomainView> => {
  const row = await findDomain(ctx, orgId, id);
  if (row.verifiedAt) return presentDomain(row);
  const view = presentDomain(row);
  let records: string[];
  try {
    records = await resolveTxt(view.verification.name);
  } catch {
    throw new AppError('SERVICE_UNAVAILABLE', 'The DNS lookup failed; try again later', {
      details: { reason: 'DNS_LOOKUP_FAILED' },
    });
  }
  if (!records.map(normalizeTxt).includes(view.verification.value)) {
    throw new AppError('DOMAIN_NOT_VERIFIED', 'The TXT record with the verification value was not found', {
      details: { record: view.verification },
    });
  }
  const verifiedAt = new Date().toISOString();
  try {
    await ctx.db
      .update(ssoDomains)
      .set({ verifiedAt })
      .where(and(eq(ssoDomains.id, id), eq(ssoDomains.orgId, orgId), isNull(ssoDomains.verifiedAt)));
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('This domain is verified by another organization');
    throw err;
  }
  return { ...view, verified: true, verified_at: verifiedAt };
};

export const removeSsoDomain = async (ctx: SettingsContext, orgId: string, id: string): Promise<void> => {
  const result = await ctx.db.delete(ssoDomains).where(and(eq(ssoDomains.id, id), eq(ssoDomains.orgId, orgId)));
  if (result.meta.changes !== 1) throw notFound('SSO domain');
};
