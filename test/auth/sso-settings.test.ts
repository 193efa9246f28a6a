import { afterEach, describe, expect, it } from 'vitest';
import {
  addMember,
  call,
  createTenant,
  expectError,
  expectOk,
  lastMailTo,
  login,
  type TestTenant,
  uniqueEmail,
} from '../helpers/harness';
import { fakeTxtRecords, resetSsoFakes, ssoSignIn, uniqueDomain } from './sso-helpers';

afterEach(resetSsoFakes);

const SETTINGS = '/api/v1/organizations/current/sso';
const DOMAINS = `${SETTINGS}/domains`;

const requireSso = (tenant: Pick<TestTenant, 'accessToken'>, required: boolean) =>
  call('PUT', SETTINGS, { token: tenant.accessToken, body: { required } });

describe('organization SSO settings', () => {
  it('answers the settings: not required, the providers, no domains', async () => {
    const tenant = await createTenant();
    const res = expectOk(await tenant.as('GET', SETTINGS));
    expect(res.body.data).toEqual({ required: false, providers: ['local'], domains: [] });
  });

  it('needs the caller to have signed in with SSO before requiring it', async () => {
    const tenant = await createTenant();
    const res = expectError(await requireSso(tenant, true), 409, 'CONFLICT');
    expect(res.body.error.message).toMatch(/locked out/);
    expectOk(await ssoSignIn({ email: tenant.email }));
    expect(expectOk(await requireSso(tenant, true)).body.data.required).toBe(true);
    expect(expectOk(await requireSso(tenant, false)).body.data.required).toBe(false);
    expectError(await tenant.as('PUT', SETTINGS, { body: { required: 'yes' } }), 400, 'VALIDATION_ERROR');
    expectError(await tenant.as('PUT', SETTINGS, { body: { required: true, extra: 1 } }), 400, 'VALIDATION_ERROR');
  });

  it('refuses password login to an organization requiring SSO, and lets SSO in', async () => {
    const tenant = await createTenant();
    const member = await addMember(tenant, 'member', { via: 'api' });
    expectOk(await ssoSignIn({ email: tenant.email }));
    expectOk(await requireSso(tenant, true));

    const refused = expectError(await login(member, tenant.orgId), 403, 'SSO_REQUIRED');
    expect(refused.body.error.message).toMatch(/single sign-on/);
    expect(refused.body.error.details).toEqual({ organization_id: tenant.orgId });
    expectError(await login(tenant), 403, 'SSO_REQUIRED');
    // A wrong password still says nothing about the organization.
    expectError(await login({ ...member, password: 'not the password' }, tenant.orgId), 401, 'INVALID_CREDENTIALS');
    // The member's own organization does not require SSO.
    expectOk(await login(member));

    const sso = expectOk(await ssoSignIn({ email: member.email }, { organization_id: tenant.orgId }));
    expect(sso.body.data.organization.id).toBe(tenant.orgId);
    expect(sso.body.data.role).toBe('member');

    expectOk(await requireSso(tenant, false));
    expectOk(await login(member, tenant.orgId));
  });

  it('refuses accepting an invitation with a password while the organization requires SSO', async () => {
    const tenant = await createTenant();
    expectOk(await ssoSignIn({ email: tenant.email }));
    expectOk(await requireSso(tenant, true));
    const email = uniqueEmail('invitee');
    expectOk(await tenant.as('POST', '/api/v1/invitations', { body: { email, role: 'member' } }), 201);
    const token = (await lastMailTo(email))?.body.match(/fsi_[A-Za-z0-9_-]{43}/)?.[0];
    const res = await call('POST', `/api/v1/invitations/${token}/accept`, {
      body: { name: 'Invitee', password: 'a long enough password' },
    });
    expectError(res, 403, 'SSO_REQUIRED');
    expectOk(await ssoSignIn({ email }, { invitation_token: token }));
  });

  it('is for owners and admins only', async () => {
    const tenant = await createTenant();
    const admin = await addMember(tenant, 'admin');
    const member = await addMember(tenant, 'member');
    expectOk(await call('GET', SETTINGS, { token: admin.accessToken }));
    expectOk(await call('POST', DOMAINS, { token: admin.accessToken, body: { domain: uniqueDomain() } }), 201);
    expectError(await call('GET', SETTINGS, { token: member.accessToken }), 403, 'INSUFFICIENT_SCOPE');
    expectError(await requireSso(member, false), 403, 'INSUFFICIENT_SCOPE');
    expectError(
      await call('POST', DOMAINS, { token: member.accessToken, body: { domain: uniqueDomain() } }),
      403,
      'INSUFFICIENT_SCOPE',
    );
    expectError(await call('GET', SETTINGS), 401, 'UNAUTHENTICATED');
  });
});

describe('SSO domains', () => {
  it('adds a domain with its TXT record, verifies it from DNS, and removes it', async () => {
    const tenant = await createTenant();
    const domain = uniqueDomain();
    const added = expectOk(await tenant.as('POST', DOMAINS, { body: { domain: ` ${domain.toUpperCase()} ` } }), 201)
      .body.data;
    expect(added).toMatchObject({
      id: expect.stringMatching(/^sdm_/),
      domain,
      role: 'member',
      verified: false,
      verified_at: null,
      verification: {
        type: 'TXT',
        name: `_flowspark-challenge.${domain}`,
        value: expect.stringMatching(/^flowspark-domain-verification=[A-Za-z0-9_-]{32}$/),
      },
    });
    expectError(await tenant.as('POST', DOMAINS, { body: { domain } }), 409, 'CONFLICT');

    fakeTxtRecords({ [added.verification.name]: ['flowspark-domain-verification=not-the-token'] });
    const missing = expectError(await tenant.as('POST', `${DOMAINS}/${added.id}/verify`), 422, 'DOMAIN_NOT_VERIFIED');
    expect(missing.body.error.details.record).toEqual(added.verification);

    fakeTxtRecords({ [added.verification.name]: [added.verification.value] });
    const verified = expectOk(await tenant.as('POST', `${DOMAINS}/${added.id}/verify`)).body.data;
    expect(verified).toMatchObject({ id: added.id, verified: true, verified_at: expect.any(String) });
    expect(expectOk(await tenant.as('GET', SETTINGS)).body.data.domains).toEqual([verified]);

    expect((await tenant.as('DELETE', `${DOMAINS}/${added.id}`)).status).toBe(204);
    expectError(await tenant.as('DELETE', `${DOMAINS}/${added.id}`), 404, 'NOT_FOUND');
  });

  it('answers 503 when the DNS lookup fails', async () => {
    const tenant = await createTenant();
    const added = expectOk(await tenant.as('POST', DOMAINS, { body: { domain: uniqueDomain() } }), 201).body.data;
    const { setTxtResolver } = await import('../../workers/lib/outbound');
    setTxtResolver(async () => {
      throw new Error('resolver down');
    });
    const res = expectError(await tenant.as('POST', `${DOMAINS}/${added.id}/verify`), 503, 'SERVICE_UNAVAILABLE');
    expect(res.body.error.details).toEqual({ reason: 'DNS_LOOKUP_FAILED' });
  });

  it.each([
    'localhost',
    'acme',
    '-acme.com',
    'acme..com',
    `${'a'.repeat(64)}.com`,
    'acme.com.',
    'ac me.com',
    'https://acme.com',
  ])('refuses %s as a domain', async (domain) => {
    const tenant = await createTenant();
    expectError(await tenant.as('POST', DOMAINS, { body: { domain } }), 400, 'VALIDATION_ERROR');
  });

  it('refuses role owner or admin for a domain rule', async () => {
    const tenant = await createTenant();
    expectError(
      await tenant.as('POST', DOMAINS, { body: { domain: uniqueDomain(), role: 'admin' } }),
      400,
      'VALIDATION_ERROR',
    );
  });

  it('keeps a domain verified by one organization from being verified by another', async () => {
    const first = await createTenant();
    const second = await createTenant();
    const domain = uniqueDomain();
    const a = expectOk(await first.as('POST', DOMAINS, { body: { domain } }), 201).body.data;
    const b = expectOk(await second.as('POST', DOMAINS, { body: { domain } }), 201).body.data;
    fakeTxtRecords({ [a.verification.name]: [a.verification.value, b.verification.value] });
    expectOk(await first.as('POST', `${DOMAINS}/${a.id}/verify`));
    expectError(await second.as('POST', `${DOMAINS}/${b.id}/verify`), 409, 'CONFLICT');
  });

  it("isolates tenants: another organization's domains are invisible and 404", async () => {
    const owner = await createTenant();
    const other = await createTenant();
    const added = expectOk(await owner.as('POST', DOMAINS, { body: { domain: uniqueDomain() } }), 201).body.data;
    fakeTxtRecords({ [added.verification.name]: [added.verification.value] });
    expect(expectOk(await other.as('GET', SETTINGS)).body.data.domains).toEqual([]);
    expectError(await other.as('POST', `${DOMAINS}/${added.id}/verify`), 404, 'NOT_FOUND');
    expectError(await other.as('DELETE', `${DOMAINS}/${added.id}`), 404, 'NOT_FOUND');
    // Still the owner's, still unverified.
    expect(expectOk(await owner.as('GET', SETTINGS)).body.data.domains).toEqual([added]);

    // Another organization's require switch changes nothing here.
    expectOk(await ssoSignIn({ email: other.email }));
    expectOk(await requireSso(other, true));
    expect(expectOk(await owner.as('GET', SETTINGS)).body.data.required).toBe(false);
    expectOk(await login(owner));
  });
});
