import { randomToken, sha256Hex } from '@flowspark/auth';
import type { Env } from '../../../env';
import type { FeedTicketGrant } from '../../../objects/job-feed';
import { offeredSubprotocol } from '../../lib/subprotocol';

/**
 * Short-lived, single-use tickets for opening the job feed from a browser, which cannot set an
 * Authorization header on a WebSocket. A ticket is `<tenant id>.<random>`: the tenant part names the
 * feed object that holds its SHA-256 (never the ticket itself), so a ticket can only ever open its
 * own tenant's feed.
 */
export const FEED_TICKET_TTL_SECONDS = 60;
export const TICKET_PROTOCOL_PREFIX = 'flowspark.ticket.';

const TICKET_PATTERN = /^(org_[0-9a-f]{32})\.([A-Za-z0-9_-]{43})$/;

const feedOf = (env: Env, orgId: string) => env.JOB_FEED.get(env.JOB_FEED.idFromName(orgId));

export const issueFeedTicket = async (env: Env, grant: FeedTicketGrant): Promise<string> => {
  const ticket = `${grant.orgId}.${randomToken(32)}`;
  await feedOf(env, grant.orgId).issueTicket(await sha256Hex(ticket), grant, FEED_TICKET_TTL_SECONDS);
  return ticket;
};

/** The ticket's grant, consuming it; null when malformed, unknown, used or expired. */
export const redeemFeedTicket = async (env: Env, ticket: string): Promise<FeedTicketGrant | null> => {
  const match = TICKET_PATTERN.exec(ticket);
  if (!match) return null;
  const orgId = match[1]!;
  const grant = await feedOf(env, orgId).redeemTicket(await sha256Hex(ticket));
  return grant && grant.orgId === orgId ? grant : null;
};

/** The ticket subprotocol the client offered in `Sec-WebSocket-Protocol`, if any. */
export const offeredTicketProtocol = (header: string | undefined): string | undefined =>
  offeredSubprotocol(header, TICKET_PROTOCOL_PREFIX);
