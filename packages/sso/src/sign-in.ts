import { hashPassword, OidcClient, type OidcIdentity, randomToken, sha256Hex } from '@flowspark/auth';
import { AppError, conflict, forbidden, newId, notFound, type Role, validationError } from '@flowspark/core';
import { isUniqueViolation, schema } from '@flowspark/db';
import {
  type ClientInfo,
  claimInvitation,
  createMemberAccount,
  invitationStillPending,
  isEmailReserved,
  joinOrganization,
  landingMembership,
  type MfaRequired,
  releaseInvitation,
  type SignedIn,
  sendSecurityNotice,
  signInAs,
} from '@flowspark/identity';
import { and, eq, isNotNull } from 'drizzle-orm';
import type { SsoContext } from './context';
import { emailDomain } from './domains';
import { consumeSsoState, createSsoState, SSO_STATE_TTL_SECONDS } from './states';

const { invitations, memberships, ssoDomains, ssoIdentities, users } = schema;

type UserRow = typeof users.$inferSelect;
type InvitationRow = typeof invitations.$inferSelect;

const providerOf = (ctx: SsoContext, id: string) => {
  const config = ctx.sso.providers.get(id);
  if (!config) throw notFound('SSO provider');
  return new OidcClient(config, ctx.fetch);
};

const pendingInvitation = (ctx: SsoContext, where: ReturnType<typeof eq>) =>
  ctx.db
    .select()
    .from(invitations)
    .where(and(where, invitationStillPending(new Date().toISOString())))
    .limit(1);

export interface StartSsoInput {
  redirectUri?: string;
  organizationId?: string;
  invitationToken?: string;
  loginHint?: string;
}

/** Opens a sign-in attempt and answers where to send the browser. */
export const startSso = async (
  ctx: SsoContext,
  providerId: string,
  input: StartSsoInput,
): Promise<{ authorization_url: string; expires_in: number }> => {
  const client = providerOf(ctx, providerId);
  const redirectUri = input.redirectUri ?? ctx.sso.redirectUris[0];
  if (!redirectUri) throw new AppError('SERVICE_UNAVAILABLE', 'No SSO redirect URI is configured (SSO_REDIRECT_URIS)');
  if (!ctx.sso.redirectUris.includes(redirectUri)) {
    throw validationError('This redirect URI is not allowed', { redirect_uri: ['Not on the allowed list'] });
  }
  let invitation: InvitationRow | undefined;
  if (input.invitationToken) {
    [invitation] = await pendingInvitation(ctx, eq(invitations.tokenHash, await sha256Hex(input.invitationToken)));
    if (!invitation) throw new AppError('GONE', 'This invitation is unknown, used, revoked or expired');
  }
  const started = await createSsoState(ctx, {
    provider: client.config.id,
    redirectUri,
    orgId: invitation?.orgId ?? input.organizationId,
    invitationId: invitation?.id,
  });
  const authorizationUrl = await client.authorizationUrl({
    state: started.state,
    nonce: started.nonce,
    codeVerifier: started.verifier,
    redirectUri,
    loginHint: input.loginHint ?? invitation?.email,
  });
  return { authorization_url: authorizationUrl, expires_in: SSO_STATE_TTL_SECONDS };
};

export interface SsoCallbackInput {
  state: string;
  code?: string;
  /** The provider's `error` parameter (the person declined, the request was refused). */
  error?: string;
}

/** The verified address's domain, when some organization has verified it. */
const domainRule = async (ctx: SsoContext, email: string) =>
  (
    await ctx.db
      .select({ orgId: ssoDomains.orgId, role: ssoDomains.role })
      .from(ssoDomains)
      .where(and(eq(ssoDomains.domain, emailDomain(email)), isNotNull(ssoDomains.verifiedAt)))
      .limit(1)
  )[0];

/** Binds the provider's `sub` to the account; one identity per provider per account. */
const linkIdentity = async (ctx: SsoContext, provider: string, user: UserRow, identity: OidcIdentity) => {
  const nowIso = new Date().toISOString();
  try {
    await ctx.db.insert(ssoIdentities).values({
      id: newId('ssi'),
      userId: user.id,
      provider,
      subject: identity.subject,
      email: identity.email,
      createdAt: nowIso,
      lastUsedAt: nowIso,
    });
  } catch (err) {
    if (isUniqueViolation(err, 'sso_identities.user_id')) throw identityConflict();
    if (isUniqueViolation(err, 'sso_identities.provider'))
      throw conflict('This identity was just linked: sign in again');
    throw err;
  }
};

const identityConflict = () =>
  new AppError('SSO_IDENTITY_CONFLICT', 'This account is linked to another identity at this provider');

/** A new account has no password anyone knows: a random one, hashed like any other (no timing tell at login). */
const unusablePasswordHash = () => hashPassword(randomToken(32));

/**
 * A first SSO sign-in with no account: created only when an invitation to this very address or a
 * verified-domain rule places it in an organization.
 */
const createPlacedAccount = async (
  ctx: SsoContext,
  identity: OidcIdentity,
  invitation: InvitationRow | undefined,
): Promise<{ user: UserRow; orgId: string }> => {
  const placement: { orgId: string; role: Role } | undefined = invitation ?? (await domainRule(ctx, identity.email));
  if (!placement) {
    throw new AppError(
      'SSO_NO_ORGANIZATION',
      'No organization has invited this address or verified its domain: ask an administrator for an invitation',
    );
  }
  if (await isEmailReserved(ctx, identity.email)) throw conflict('This email address cannot be used right now');
  const passwordHash = await unusablePasswordHash();
  if (invitation) await claimInvitation(ctx, invitation.id, new Date().toISOString());
  let user: UserRow | null;
  try {
    user = await createMemberAccount(ctx, {
      email: identity.email,
      name: identity.name ?? identity.email.split('@')[0]!,
      passwordHash,
      orgId: placement.orgId,
      role: placement.role,
    });
  } catch (err) {
    if (invitation) await releaseInvitation(ctx, invitation.id);
    throw err;
  }
  if (!user) {
    if (invitation) await releaseInvitation(ctx, invitation.id);
    throw conflict('An account with this email was just created: sign in again');
  }
  return { user, orgId: placement.orgId };
};

/**
 * The account this identity signs in to: the one its `sub` is bound to; else the account with the
 * same verified email, which gets the `sub` bound (and a notice by mail); else a new account, if an
 * invitation or a verified domain places it. Returns the organization the sign-in must land in, if
 * placement decided one.
 */
const resolveAccount = async (
  ctx: SsoContext,
  provider: string,
  identity: OidcIdentity,
  invitation: InvitationRow | undefined,
): Promise<{ user: UserRow; orgId?: string }> => {
  const [bound, byEmail] = await ctx.db.batch([
    ctx.db
      .select({ user: users })
      .from(ssoIdentities)
      .innerJoin(users, eq(users.id, ssoIdentities.userId))
      .where(and(eq(ssoIdentities.provider, provider), eq(ssoIdentities.subject, identity.subject)))
      .limit(1),
    ctx.db
      .select({ user: users, linkedSubject: ssoIdentities.subject })
      .from(users)
      .leftJoin(ssoIdentities, and(eq(ssoIdentities.userId, users.id), eq(ssoIdentities.provider, provider)))
      .where(eq(users.email, identity.email))
      .limit(1),
  ]);
  const found = bound[0]?.user ?? byEmail[0]?.user;
  // Before anything is linked or joined: a disabled account stays as it is.
  if (found && !found.isActive) throw forbidden('This account is disabled');
  if (bound[0]) {
    await ctx.db
      .update(ssoIdentities)
      .set({ lastUsedAt: new Date().toISOString() })
      .where(and(eq(ssoIdentities.provider, provider), eq(ssoIdentities.subject, identity.subject)));
    return { user: bound[0].user };
  }
  const existing = byEmail[0];
  if (existing) {
    // Another `sub` with this email is another person at the provider (a recycled address): never merged.
    if (existing.linkedSubject !== null) throw identityConflict();
    await linkIdentity(ctx, provider, existing.user, identity);
    ctx.defer(
      sendSecurityNotice(ctx, existing.user.email, 'Single sign-on was linked to your FlowSpark account', [
        `Your account can now be signed in to with single sign-on (${provider}).`,
      ]),
    );
    return { user: existing.user };
  }
  const created = await createPlacedAccount(ctx, identity, invitation);
  await linkIdentity(ctx, provider, created.user, identity);
  return created;
};

/**
 * Finishes a sign-in at the callback: spends the state, exchanges the code with the PKCE verifier,
 * verifies the ID token (signature, issuer, audience, expiry, nonce), and signs the account in
 * exactly as a password would, MFA included.
 */
export const finishSso = async (
  ctx: SsoContext,
  providerId: string,
  input: SsoCallbackInput,
  client: ClientInfo,
): Promise<SignedIn | MfaRequired> => {
  const oidc = providerOf(ctx, providerId);
  const attempt = await consumeSsoState(ctx, oidc.config.id, input.state);
  if (input.error) {
    const error = /^[a-z_]{1,64}$/.test(input.error) ? input.error : 'invalid_request';
    throw new AppError('SSO_AUTHORIZATION_FAILED', 'The identity provider did not authorize the sign-in', {
      details: { error },
    });
  }
  if (!input.code) throw validationError('The callback has no authorization code', { code: ['Required'] });
  const identity = await oidc.exchangeCode({
    code: input.code,
    redirectUri: attempt.redirectUri,
    codeVerifier: attempt.verifier,
    nonce: attempt.nonce,
  });
  if (!identity.emailVerified) {
    throw new AppError(
      'SSO_EMAIL_NOT_VERIFIED',
      'The identity provider has not verified this email address, so it cannot be used to sign in',
    );
  }

  let invitation: InvitationRow | undefined;
  if (attempt.invitationId) {
    [invitation] = await pendingInvitation(ctx, eq(invitations.id, attempt.invitationId));
    if (!invitation) throw new AppError('GONE', 'This invitation is no longer valid');
    if (invitation.email !== identity.email) {
      throw forbidden('This invitation was sent to another address: sign in with the invited one');
    }
  }

  const { user, orgId: placedIn } = await resolveAccount(ctx, oidc.config.id, identity, invitation);
  if (invitation && !placedIn) {
    await claimInvitation(ctx, invitation.id, new Date().toISOString());
    await joinOrganization(ctx, { orgId: invitation.orgId, userId: user.id, role: invitation.role });
  }
  const requested = placedIn ?? attempt.orgId ?? undefined;
  if (requested && !placedIn) await joinByDomainRule(ctx, user, requested, identity.email);

  const [member] = await landingMembership(ctx, user.email, requested);
  if (!member || (requested && member.organization.id !== requested)) {
    throw forbidden(
      requested ? 'Not a member of that organization' : 'This account does not belong to any organization',
    );
  }
  // The provider authenticated the person; an account's own second factor is still asked for, as after
  // a password (the provider may not require one, and the account's owner chose to).
  return signInAs(ctx, user, member.organization, member.role, client, null);
};

/**
 * Asked for an organization the account is not in: its verified-domain rule lets the verified address
 * join it (that organization proved it owns the domain).
 */
const joinByDomainRule = async (ctx: SsoContext, user: UserRow, orgId: string, email: string) => {
  const [isMember] = await ctx.db
    .select({ id: memberships.id })
    .from(memberships)
    .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, user.id)))
    .limit(1);
  if (isMember) return;
  const rule = await domainRule(ctx, email);
  if (rule?.orgId === orgId) await joinOrganization(ctx, { orgId, userId: user.id, role: rule.role });
};
