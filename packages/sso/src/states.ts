import { decryptSecret, encryptSecret, newPkceVerifier, randomToken, sha256Hex } from '@flowspark/auth';
import { AppError, newId } from '@flowspark/core';
import { schema } from '@flowspark/db';
import { and, eq, gt, inArray, isNull, lt } from 'drizzle-orm';
import type { SsoContext } from './context';

const { ssoStates } = schema;

/** How long a sign-in may take at the provider, from the authorization URL to the callback. */
export const SSO_STATE_TTL_SECONDS = 10 * 60;
/** 32 random bytes in base64url. */
export const SSO_STATE_PATTERN = /^[A-Za-z0-9_-]{43}$/;
// HKDF purpose: a box made for TOTP secrets or refresh tokens cannot be opened as a sign-in's secrets.
const STATE_PURPOSE = 'sso-state/v1';
/** Expired attempts removed alongside each new one, so the table stays small without a cron. */
const PRUNE_BATCH = 50;

export interface StartedState {
  state: string;
  nonce: string;
  verifier: string;
}

export interface ConsumedState {
  provider: string;
  redirectUri: string;
  orgId: string | null;
  invitationId: string | null;
  nonce: string;
  verifier: string;
}

/** Stores a new attempt: the state's hash, and the nonce and PKCE verifier encrypted. */
export const createSsoState = async (
  ctx: SsoContext,
  input: { provider: string; redirectUri: string; orgId?: string; invitationId?: string },
): Promise<StartedState> => {
  const started: StartedState = { state: randomToken(32), nonce: randomToken(32), verifier: newPkceVerifier() };
  const now = new Date();
  const nowIso = now.toISOString();
  const [stateHash, secretsEncrypted] = await Promise.all([
    sha256Hex(started.state),
    encryptSecret(
      ctx.secrets.ENCRYPTION_KEY,
      STATE_PURPOSE,
      JSON.stringify({ nonce: started.nonce, verifier: started.verifier }),
    ),
  ]);
  await ctx.db.batch([
    ctx.db
      .delete(ssoStates)
      .where(
        inArray(
          ssoStates.id,
          ctx.db.select({ id: ssoStates.id }).from(ssoStates).where(lt(ssoStates.expiresAt, nowIso)).limit(PRUNE_BATCH),
        ),
      ),
    ctx.db.insert(ssoStates).values({
      id: newId('sst'),
      stateHash,
      provider: input.provider,
      redirectUri: input.redirectUri,
      orgId: input.orgId ?? null,
      invitationId: input.invitationId ?? null,
      secretsEncrypted,
      createdAt: nowIso,
      expiresAt: new Date(now.getTime() + SSO_STATE_TTL_SECONDS * 1000).toISOString(),
    }),
  ]);
  return started;
};

const invalidState = () =>
  new AppError('SSO_STATE_INVALID', 'This sign-in is unknown, expired or already used: start it again');

/**
 * Spends the attempt: one conditional update, so of two callbacks with the same state only one gets
 * it; an unknown, expired, used or other provider's state is refused alike.
 */
export const consumeSsoState = async (ctx: SsoContext, provider: string, state: string): Promise<ConsumedState> => {
  if (!SSO_STATE_PATTERN.test(state)) throw invalidState();
  const nowIso = new Date().toISOString();
  const [row] = await ctx.db
    .update(ssoStates)
    .set({ usedAt: nowIso })
    .where(
      and(
        eq(ssoStates.stateHash, await sha256Hex(state)),
        eq(ssoStates.provider, provider),
        isNull(ssoStates.usedAt),
        gt(ssoStates.expiresAt, nowIso),
      ),
    )
    .returning();
  if (!row) throw invalidState();
  const secrets = JSON.parse(await decryptSecret(ctx.secrets.ENCRYPTION_KEY, STATE_PURPOSE, row.secretsEncrypted)) as {
    nonce: string;
    verifier: string;
  };
  return {
    provider: row.provider,
    redirectUri: row.redirectUri,
    orgId: row.orgId,
    invitationId: row.invitationId,
    nonce: secrets.nonce,
    verifier: secrets.verifier,
  };
};
