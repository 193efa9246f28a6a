import { afterEach, describe, expect, it } from 'vitest';
import { createTenant, env, expectError, expectOk, lastMailTo, type TestTenant, uniqueEmail } from '../helpers/harness';
import {
  addressAt,
  fakeTxtRecords,
  identityRows,
  resetSsoFakes,
  ssoSignIn,
  startSso,
  uniqueDomain,
} from './sso-helpers';

afterEach(resetSsoFakes);

const invite = async (tenant: TestTenant, email: string, role = 'member') => {
  expectOk(await tenant.as('POST', '/api/v1/invitations', { body: { email, role } }), 201);
  const token = (await lastMailTo(email))?.body.match(/fsi_[A-Za-z0-9_-]{43}/)?.[0];
  if (!token) throw new Error(`no invitation token mailed to ${email}`);
  return token;
};

const userByEmail = (email: string) =>
  env.DB.prepare('SELECT id, default_org_id FROM users WHERE email = ?')
    .bind(email)
    .first<{ id: string; default_org_id: string }>();

/** Adds a domain to the tenant and verifies it through a faked TXT record. */
const verifiedDomain = async (tenant: TestTenant, role?: string) => {
  const domain = uniqueDomain();
  const added = expectOk(
    await tenant.as('POST', '/api/v1/organizations/current/sso/domains', {
      body: role ? { domain, role } : { domain },
    }),
    201,
  ).body.data;
  fakeTxtRecords({ [added.verification.name]: ['v=spf1 -all', `"${added.verification.value}"`] });
  expectOk(await tenant.as('POST', `/api/v1/organizations/current/sso/domains/${added.id}/verify`));
  return { domain, id: added.id as string };
};

describe('SSO placement by invitation', () => {
  it('creates the invited account in the organization with the invited role and accepts the invitation', async () => {
    const tenant = await createTenant();
    const email = uniqueEmail('invitee');
    const token = await invite(tenant, email, 'viewer');
    const sub = `sub-${crypto.randomUUID()}`;
    const res = expectOk(await ssoSignIn({ email, name: 'Invited Person', sub }, { invitation_token: token }));
    expect(res.body.data.organization.id).toBe(tenant.orgId);
    expect(res.body.data.role).toBe('viewer');
    expect(res.body.data.user).toMatchObject({ email, name: 'Invited Person' });
    const user = await userByEmail(email);
    expect(user?.default_org_id).toBe(tenant.orgId);
    expect(await identityRows(user!.id)).toEqual([{ provider: 'local', subject: sub, email }]);
    const invitation = await env.DB.prepare('SELECT accepted_at FROM invitations WHERE org_id = ? AND email = ?')
      .bind(tenant.orgId, email)
      .first<{ accepted_at: string | null }>();
    expect(invitation?.accepted_at).not.toBeNull();
    // Spent: it places nobody again.
    expectError(await startSso({ invitation_token: token }), 410, 'GONE');
  });

  it('adds an existing account to the inviting organization', async () => {
    const tenant = await createTenant();
    const existing = await createTenant();
    const token = await invite(tenant, existing.email, 'member');
    const res = expectOk(await ssoSignIn({ email: existing.email }, { invitation_token: token }));
    expect(res.body.data.user.id).toBe(existing.userId);
    expect(res.body.data.organization.id).toBe(tenant.orgId);
    expect(res.body.data.role).toBe('member');
  });

  it('refuses an invitation for another address, and places nobody with it', async () => {
    const tenant = await createTenant();
    const invited = uniqueEmail('invited');
    const token = await invite(tenant, invited);
    const intruder = uniqueEmail('intruder');
    const res = expectError(await ssoSignIn({ email: intruder }, { invitation_token: token }), 403, 'FORBIDDEN');
    expect(res.body.error.message).toMatch(/another address/);
    expect(await userByEmail(intruder)).toBeNull();
  });

  it('refuses an unknown invitation token before sending anyone to the provider', async () => {
    expectError(await startSso({ invitation_token: `fsi_${'a'.repeat(43)}` }), 410, 'GONE');
  });
});

describe('SSO placement by verified domain', () => {
  it('creates a first-time account at a verified domain in that organization with the rule’s role', async () => {
    const tenant = await createTenant();
    const { domain } = await verifiedDomain(tenant, 'viewer');
    const email = addressAt(domain);
    const res = expectOk(await ssoSignIn({ email }));
    expect(res.body.data.organization.id).toBe(tenant.orgId);
    expect(res.body.data.role).toBe('viewer');
    expect((await userByEmail(email))?.default_org_id).toBe(tenant.orgId);
  });

  it('places nobody from an unverified domain, nor from a subdomain of a verified one', async () => {
    const tenant = await createTenant();
    const domain = uniqueDomain();
    expectOk(await tenant.as('POST', '/api/v1/organizations/current/sso/domains', { body: { domain } }), 201);
    expectError(await ssoSignIn({ email: addressAt(domain) }), 403, 'SSO_NO_ORGANIZATION');
    const verified = await verifiedDomain(tenant);
    expectError(await ssoSignIn({ email: addressAt(`eu.${verified.domain}`) }), 403, 'SSO_NO_ORGANIZATION');
  });

  it('joins an existing account to the organization it asks for when its domain rule matches', async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const { domain } = await verifiedDomain(tenant);
    const email = addressAt(domain);
    // The person first came in through another organization's invitation.
    const token = await invite(other, email);
    expectOk(await ssoSignIn({ email }, { invitation_token: token }));
    const res = expectOk(await ssoSignIn({ email }, { organization_id: tenant.orgId }));
    expect(res.body.data.organization.id).toBe(tenant.orgId);
    expect(res.body.data.role).toBe('member');
    // Without asking, the account stays where it was.
    expect(expectOk(await ssoSignIn({ email })).body.data.organization.id).toBe(other.orgId);
  });

  it('does not place an unverified address at a verified domain', async () => {
    const tenant = await createTenant();
    const { domain } = await verifiedDomain(tenant);
    const email = addressAt(domain);
    expectError(await ssoSignIn({ email, email_verified: false }), 403, 'SSO_EMAIL_NOT_VERIFIED');
    expect(await userByEmail(email)).toBeNull();
  });
});
