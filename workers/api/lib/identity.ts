import { createDb } from '@flowspark/db';
import { type IdentityContext, type Mailer, outboxMailer, webhookMailer } from '@flowspark/identity';
import type { Env } from '../../env';
import { forgetApiKeys } from './api-key-cache';
import type { AppContext } from './context';
import { gateLeases } from './gate-leases';

const gate = (env: Env, orgId: string) => env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(orgId));
const jobFeed = (env: Env, orgId: string) => env.JOB_FEED.get(env.JOB_FEED.idFromName(orgId));

const mailerFor = (env: Env): Mailer => {
  if (env.MAILER === 'webhook') {
    if (!env.MAIL_WEBHOOK_URL) throw new Error('MAILER=webhook needs MAIL_WEBHOOK_URL');
    return webhookMailer(env.MAIL_WEBHOOK_URL);
  }
  return outboxMailer(createDb(env.DB));
};

/** The identity services' context, built from the request: D1, config, secrets, gate, mailer. */
export const identityContext = (c: AppContext): IdentityContext => ({
  db: createDb(c.env.DB),
  config: c.get('config'),
  secrets: c.env,
  revocations: {
    // The gate object refuses what was revoked from the next call on; this isolate's leases on it
    // go at once, so its next request asks the gate too (other isolates within their lease time).
    revokeSessions: async (orgId, sessionIds) => {
      await gate(c.env, orgId).revokeSessions(sessionIds);
      gateLeases.forgetOrg(orgId);
    },
    invalidateUserTokens: async (orgId, userId) => {
      await gate(c.env, orgId).invalidateUserTokens(userId);
      gateLeases.forgetOrg(orgId);
    },
    revokeApiKeys: async (orgId, apiKeyIds) => {
      await forgetApiKeys({ apiKeyIds });
      await gate(c.env, orgId).revokeApiKeys(apiKeyIds);
      gateLeases.forgetOrg(orgId);
    },
    // The tenant's job feed finds the sockets by tag, and so does each conversation's chat session.
    closeConnections: async (orgId, who) => {
      // A removed member's or deactivated user's keys: this isolate re-reads them at once.
      await forgetApiKeys(who);
      // Loaded here: the chat package is not needed on the identity routes until something is revoked.
      const { closeChatConnections } = await import('../../lib/chat');
      await Promise.all([jobFeed(c.env, orgId).closeConnections(who), closeChatConnections(c.env, orgId, who)]);
    },
  },
  get mailer() {
    return mailerFor(c.env);
  },
  defer: (promise) => c.executionCtx.waitUntil(promise.catch(() => undefined)),
});
