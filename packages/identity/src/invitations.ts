import {
  hashPassword,
  loadSigningKeys,
  looksLikeApiKey,
  randomToken,
  sha256Hex,
  verifyAccessToken,
} from '@flowspark/auth';
import {
  AppError,
  conflict,
  forbidden,
  newId,
  notFound,
  type PageRequest,
  ROLE_RANK,
  type Role,
  validationError,
} from '@flowspark/core';
import { paginate, schema } from '@flowspark/db';
import { and, desc, eq, gt, isNull } from 'drizzle-orm';
import { isUniqueViolation } from './accounts';
import type { ClientInfo, IdentityContext } from './context';
import { ssoRequired } from './login';
import type { MemberActor } from './members';
import { type OrganizationView, presentOrganization, presentUser, type UserView } from './presenters';
import { type IssuedTokens, startSession } from './sessions';

const { invitations, memberships, organizations, sessions, users } = schema;

/** Recognisable prefix, like refresh tokens (`fsr_`) and API keys (`fsk_`). */
export const INVITATION_TOKEN_PREFIX = 'fsi_';
/** `fsi_` + 32 random bytes in unpadded base64url. */
export const INVITATION_TOKEN_PATTERN = /^fsi_[A-Za-z0-9_-]{43}$/;

export interface InvitationView {
  id: string;
  email: string;
  role: Role;
  expires_at: string;
  created_at: string;
  invited_by: string;
}

const present = (row: typeof invitations.$inferSelect): InvitationView => ({
  id: row.id,
  email: row.email,
  role: row.role,
  expires_at: row.expiresAt,
  created_at: row.createdAt,
  invited_by: row.invitedBy,
});

/** An invitation that can still be accepted at `nowIso`: not accepted, not revoked, not expired. */
export const invitationStillPending = (nowIso: string) =>
  and(isNull(invitations.acceptedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, nowIso));

const pending = (orgId: string, nowIso: string) => and(eq(invitations.orgId, orgId), invitationStillPending(nowIso));

/**
 * Invites an address with a role no higher than the inviter's. A pending invitation for the same
 * address is replaced, so only the newest link works. The raw token only ever exists in the mail.
 */
export const createInvitation = async (
  ctx: IdentityContext,
  actor: MemberActor,
  orgId: string,
  input: { email: string; role: Role },
): Promise<InvitationView> => {
  if (ROLE_RANK[input.role] > ROLE_RANK[actor.role]) throw forbidden(`Only an owner can invite an ${input.role}`);
  const [orgRows, memberRows, inviterRows] = await ctx.db.batch([
    ctx.db.select({ name: organizations.name }).from(organizations).where(eq(organizations.id, orgId)).limit(1),
    ctx.db
      .select({ id: memberships.id })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.orgId, orgId), eq(users.email, input.email)))
      .limit(1),
    ctx.db.select({ name: users.name }).from(users).where(eq(users.id, actor.userId)).limit(1),
  ]);
  const org = orgRows[0];
  if (!org) throw notFound('Organization');
  if (memberRows[0]) throw conflict('This person is already a member of the organization');

  const token = `${INVITATION_TOKEN_PREFIX}${randomToken(32)}`;
  const now = new Date();
  const row: typeof invitations.$inferInsert = {
    id: newId('inv'),
    orgId,
    email: input.email,
    role: input.role,
    tokenHash: await sha256Hex(token),
    invitedBy: actor.userId,
    expiresAt: new Date(now.getTime() + ctx.config.invitationTtlSeconds * 1000).toISOString(),
    createdAt: now.toISOString(),
  };
  await ctx.db.batch([
    ctx.db
      .update(invitations)
      .set({ revokedAt: row.createdAt })
      .where(and(pending(orgId, row.createdAt), eq(invitations.email, input.email))),
    ctx.db.insert(invitations).values(row),
  ]);

  const link = `${ctx.config.appUrl}/invitations/accept?token=${token}`;
  const inviter = inviterRows[0]?.name ?? 'A member';
  const mail = {
    to: input.email,
    subject: `You are invited to join ${org.name} on FlowSpark`,
    text: [
      `${inviter} invited you to join ${org.name} on FlowSpark as ${input.role}.`,
      '',
      `Accept the invitation: ${link}`,
      '',
      `Invitation token (for API clients, POST /api/v1/invitations/{token}/accept): ${token}`,
      '',
      `The invitation expires at ${row.expiresAt}. If you did not expect it, ignore this mail.`,
    ].join('\n'),
  };
  try {
    await ctx.mailer.send(mail);
  } catch (err) {
    // Nobody holds an unsent token: withdraw the invitation so the list does not show it as pending.
    await ctx.db.update(invitations).set({ revokedAt: new Date().toISOString() }).where(eq(invitations.id, row.id!));
    throw err;
  }
  return present(row as typeof invitations.$inferSelect);
};

/** Pending invitations (not accepted, revoked or expired), newest first. */
export const listInvitations = async (
  ctx: IdentityContext,
  orgId: string,
  page: PageRequest,
): Promise<{ items: InvitationView[]; total: number }> => {
  const where = pending(orgId, new Date().toISOString());
  const { items, total } = await paginate(
    ctx.db,
    ctx.db.select().from(invitations).where(where).orderBy(desc(invitations.createdAt), desc(invitations.id)),
    { table: invitations, where },
    page,
  );
  return { items: items.map(present), total };
};

/** Revoking twice is harmless; an accepted invitation cannot be taken back (remove the member instead). */
export const revokeInvitation = async (ctx: IdentityContext, orgId: string, id: string): Promise<void> => {
  const result = await ctx.db
    .update(invitations)
    .set({ revokedAt: new Date().toISOString() })
    .where(
      and(
        eq(invitations.id, id),
        eq(invitations.orgId, orgId),
        isNull(invitations.acceptedAt),
        isNull(invitations.revokedAt),
      ),
    );
  if (result.meta.changes === 1) return;
  const row = (
    await ctx.db
      .select({ acceptedAt: invitations.acceptedAt })
      .from(invitations)
      .where(and(eq(invitations.id, id), eq(invitations.orgId, orgId)))
      .limit(1)
  )[0];
  if (!row) throw notFound('Invitation');
  if (row.acceptedAt) throw conflict('This invitation was already accepted; remove the member instead');
};

export interface AcceptInvitationInput {
  token: string;
  name?: string;
  password?: string;
  /** The raw Authorization header: required when the invited address already has an account. */
  authorization?: string;
  client: ClientInfo;
}

export interface AcceptedInvitation {
  user: UserView;
  organization: OrganizationView;
  role: Role;
  tokens: IssuedTokens;
  /** True when accepting created the account. */
  created: boolean;
}

const gone = (message: string) => new AppError('GONE', message);

/** Marks the invitation accepted; only one caller can win, and only while it is still valid. */
export const claimInvitation = async (ctx: IdentityContext, id: string, nowIso: string) => {
  const result = await ctx.db
    .update(invitations)
    .set({ acceptedAt: nowIso })
    .where(and(eq(invitations.id, id), invitationStillPending(nowIso)));
  if (result.meta.changes !== 1) throw gone('This invitation is no longer valid');
};

/** Undoes {@link claimInvitation} when what it was claimed for could not be written. */
export const releaseInvitation = (ctx: IdentityContext, id: string) =>
  ctx.db.update(invitations).set({ acceptedAt: null }).where(eq(invitations.id, id));

/** The bearer token must be a live access token of the invited account itself. */
const assertSignedInAs = async (ctx: IdentityContext, userId: string, authorization: string | undefined) => {
  const match = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
  if (!match) {
    throw new AppError(
      'UNAUTHENTICATED',
      'An account with this email already exists: sign in to it and send its access token as "Authorization: Bearer <token>" to accept',
    );
  }
  const token = match[1]!;
  if (looksLikeApiKey(token)) {
    throw new AppError('INVALID_TOKEN', 'Accept invitations with an access token, not an API key');
  }
  const claims = await verifyAccessToken(await loadSigningKeys(ctx.secrets), token, {
    issuer: ctx.config.issuer,
    audience: ctx.config.audience,
  });
  if (claims.sub !== userId) {
    throw forbidden('This invitation was sent to another account: sign in as the invited email address to accept it');
  }
  // The route bypasses the tenant gate, so a logged-out or revoked session is checked here.
  const live = await ctx.db
    .select({ id: sessions.id })
    .from(sessions)
    .where(
      and(
        eq(sessions.id, claims.sid),
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, new Date().toISOString()),
      ),
    )
    .limit(1);
  if (!live[0]) throw new AppError('INVALID_TOKEN', 'Session has been revoked or has expired');
};

/**
 * A new active account that is a member of `orgId` from the start (an accepted invitation, an SSO
 * placement), written in one batch. Null when the email was registered meanwhile (the unique index
 * decides).
 */
export const createMemberAccount = async (
  ctx: IdentityContext,
  input: { email: string; name: string; passwordHash: string; orgId: string; role: Role },
): Promise<typeof users.$inferSelect | null> => {
  const nowIso = new Date().toISOString();
  const userId = newId('usr');
  try {
    const [, , rows] = await ctx.db.batch([
      ctx.db.insert(users).values({
        id: userId,
        email: input.email,
        name: input.name,
        passwordHash: input.passwordHash,
        defaultOrgId: input.orgId,
        lastLoginAt: nowIso,
        createdAt: nowIso,
        updatedAt: nowIso,
      }),
      ctx.db.insert(memberships).values({
        id: newId('mem'),
        orgId: input.orgId,
        userId,
        role: input.role,
        createdAt: nowIso,
        updatedAt: nowIso,
      }),
      ctx.db.select().from(users).where(eq(users.id, userId)).limit(1),
    ]);
    if (!rows[0]) throw new AppError('INTERNAL_ERROR', 'Account was not created');
    return rows[0];
  } catch (err) {
    if (isUniqueViolation(err, 'users.email')) return null;
    throw err;
  }
};

/**
 * Makes an existing account a member of `orgId` with `role` (their default organization when they
 * had none). Already a member (a race with another path in): the existing role stands and is returned.
 */
export const joinOrganization = async (
  ctx: IdentityContext,
  input: { orgId: string; userId: string; role: Role },
): Promise<Role> => {
  const nowIso = new Date().toISOString();
  const [, , roles] = await ctx.db.batch([
    ctx.db
      .insert(memberships)
      .values({
        id: newId('mem'),
        orgId: input.orgId,
        userId: input.userId,
        role: input.role,
        createdAt: nowIso,
        updatedAt: nowIso,
      })
      .onConflictDoNothing(),
    ctx.db
      .update(users)
      .set({ defaultOrgId: input.orgId, updatedAt: nowIso })
      .where(and(eq(users.id, input.userId), isNull(users.defaultOrgId))),
    ctx.db
      .select({ role: memberships.role })
      .from(memberships)
      .where(and(eq(memberships.orgId, input.orgId), eq(memberships.userId, input.userId)))
      .limit(1),
  ]);
  return roles[0]?.role ?? input.role;
};

/**
 * Accepts an invitation: creates the account when the address has none (name and password needed),
 * otherwise requires that account's own access token. Either way the caller ends up signed in to the
 * invited organization.
 */
export const acceptInvitation = async (
  ctx: IdentityContext,
  input: AcceptInvitationInput,
): Promise<AcceptedInvitation> => {
  const found = (
    await ctx.db
      .select({ invitation: invitations, organization: organizations, user: users })
      .from(invitations)
      .innerJoin(organizations, eq(organizations.id, invitations.orgId))
      .leftJoin(users, eq(users.email, invitations.email))
      .where(eq(invitations.tokenHash, await sha256Hex(input.token)))
      .limit(1)
  )[0];
  if (!found) throw notFound('Invitation');
  const { invitation, organization, user } = found;
  const nowIso = new Date().toISOString();
  if (invitation.acceptedAt) throw gone('This invitation was already accepted');
  if (invitation.revokedAt) throw gone('This invitation was revoked');
  if (invitation.expiresAt <= nowIso) throw gone('This invitation has expired; ask for a new one');
  // Accepting signs in with a password: an organization that requires SSO is joined through SSO.
  if (organization.ssoRequired) throw ssoRequired(organization.id);

  if (!user) {
    const { name, password } = input;
    if (!name || !password) {
      const fields: Record<string, string[]> = {};
      if (!name) fields.name = ['Required to create your account'];
      if (!password) fields.password = ['Required to create your account'];
      throw validationError('A name and a password are needed to create your account', fields);
    }
    const passwordHash = await hashPassword(password);
    await claimInvitation(ctx, invitation.id, nowIso);
    let created: typeof users.$inferSelect | null;
    try {
      created = await createMemberAccount(ctx, {
        email: invitation.email,
        name,
        passwordHash,
        orgId: invitation.orgId,
        role: invitation.role,
      });
    } catch (err) {
      await releaseInvitation(ctx, invitation.id);
      throw err;
    }
    if (!created) {
      await releaseInvitation(ctx, invitation.id);
      // The address registered between our read and write: it must now accept as that account.
      throw conflict('An account with this email now exists: sign in and accept again');
    }
    const subject = { userId: created.id, orgId: organization.id, role: invitation.role, plan: organization.plan };
    const tokens = await startSession(ctx, subject, input.client);
    return {
      user: presentUser(created),
      organization: presentOrganization(organization),
      role: invitation.role,
      tokens,
      created: true,
    };
  }

  await assertSignedInAs(ctx, user.id, input.authorization);
  if (!user.isActive) throw forbidden('This account is disabled');
  await claimInvitation(ctx, invitation.id, nowIso);
  const role = await joinOrganization(ctx, { orgId: invitation.orgId, userId: user.id, role: invitation.role });
  const tokens = await startSession(
    ctx,
    { userId: user.id, orgId: organization.id, role, plan: organization.plan },
    input.client,
  );
  return { user: presentUser(user), organization: presentOrganization(organization), role, tokens, created: false };
};
