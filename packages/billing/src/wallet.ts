/**
 * The token wallet of one organization, as pure state transitions. The TokenWallet Durable Object
 * (workers/objects/token-wallet.ts) holds the state, one object per organization, and applies these
 * one at a time: it is single-threaded, so a reservation is checked and taken atomically and
 * concurrent work can never drive the balance below zero.
 *
 * - `balance`: tokens the organization has; the ledger's rows sum to it.
 * - `reserved`: tokens held by operations under way (their estimates); `available` = balance − reserved.
 * - An AI operation reserves its estimate before calling the provider (refused when not available:
 *   402 INSUFFICIENT_TOKENS before any provider cost), then settles its actual usage: one `debit`
 *   of what it used, at most its reservation plus what nobody else holds; the rest of the
 *   reservation is free again. An operation that failed releases its reservation (no ledger entry).
 *   A reservation not settled in time expires and frees its tokens.
 * - Each calendar month (UTC) the wallet is topped up to the plan's allowance (`grant`) when the
 *   allowance is granted; a paid subscription's allowance comes with its paid invoices (`purchase`).
 */
import type { Plan } from '@flowspark/core';

export type LedgerKind = 'grant' | 'purchase' | 'debit' | 'refund';
export type AllowanceSource = 'grant' | 'invoice';

export interface WalletState {
  org_id: string;
  plan: Plan;
  /** The plan's monthly tokens. */
  allowance: number;
  allowance_source: AllowanceSource;
  balance: number;
  reserved: number;
  /** The last ledger entry's sequence number. */
  seq: number;
  period_start: string;
  period_end: string;
}

export interface Reservation {
  id: string;
  amount: number;
  feature: string;
  expires_at: number;
}

export interface LedgerEntry {
  id: string;
  org_id: string;
  seq: number;
  kind: LedgerKind;
  amount: number;
  balance_after: number;
  feature: string | null;
  reference: string | null;
  note: string | null;
  created_at: string;
}

/**
 * The semantic cache's part in an AI call (workers/lib/ai-cache.ts): `hit` answered from the cache
 * (no provider tokens), `miss` asked the provider and cached the answer, `bypass` asked the provider
 * without reading the cache (Cache-Control: no-cache, or the cache is off).
 */
export type UsageCacheStatus = 'hit' | 'miss' | 'bypass';

/** What an operation actually used, as it settles. */
export interface SettledUsage {
  feature: string;
  model: string | null;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  estimated: boolean;
  latency_ms: number | null;
  user_id: string | null;
  job_id: string | null;
  resource_id: string | null;
  /** Absent or null: the call does not go through the semantic cache. */
  cache_status?: UsageCacheStatus | null;
}

export interface UsageRecord extends SettledUsage {
  id: string;
  org_id: string;
  charged_tokens: number;
  created_at: string;
}

/** Longest a reservation may be held: a job waiting in the queue, then running. */
export const MAX_RESERVATION_MS = 6 * 60 * 60 * 1000;
/** Largest single reservation, credit or usage: far above any real operation, far below overflow. */
export const MAX_TOKENS_PER_ENTRY = 1_000_000_000;

const monthStart = (at: Date) => new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
const nextMonthStart = (at: Date) => new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));

/** The calendar month (UTC) holding `now`: [start, end). */
export const periodOf = (now: number): { start: string; end: string } => {
  const at = new Date(now);
  return { start: monthStart(at).toISOString(), end: nextMonthStart(at).toISOString() };
};

/** The ledger reference of a period's allowance grant: one per organization and month. */
export const allowanceReference = (periodStart: string) => `allowance:${periodStart.slice(0, 7)}`;

export const newWalletState = (orgId: string, plan: Plan, allowance: number, now: number): WalletState => {
  const period = periodOf(now);
  return {
    org_id: orgId,
    plan,
    allowance,
    allowance_source: 'grant',
    balance: 0,
    reserved: 0,
    seq: 0,
    // Ended, so that the first rollover grants this month's allowance.
    period_start: period.start,
    period_end: period.start,
  };
};

type IdMaker = () => string;

/** A ledger entry applied to the state (its balance and sequence move with it). */
export const applyEntry = (
  state: WalletState,
  entry: { kind: LedgerKind; amount: number; feature?: string | null; reference?: string | null; note?: string | null },
  now: number,
  id: IdMaker,
): LedgerEntry => {
  state.balance += entry.amount;
  state.seq += 1;
  return {
    id: id(),
    org_id: state.org_id,
    seq: state.seq,
    kind: entry.kind,
    amount: entry.amount,
    balance_after: state.balance,
    feature: entry.feature ?? null,
    reference: entry.reference ?? null,
    note: entry.note ?? null,
    created_at: new Date(now).toISOString(),
  };
};

/**
 * Starts the current month when the last period has ended: with a granted allowance, the balance is
 * topped up to it (a `grant` of the difference; purchased tokens above it are kept).
 */
export const rollover = (state: WalletState, now: number, id: IdMaker): LedgerEntry[] => {
  if (now < Date.parse(state.period_end)) return [];
  const period = periodOf(now);
  state.period_start = period.start;
  state.period_end = period.end;
  if (state.allowance_source !== 'grant') return [];
  const missing = state.allowance - state.balance;
  if (missing <= 0) return [];
  return [
    applyEntry(
      state,
      { kind: 'grant', amount: missing, reference: allowanceReference(period.start), note: `${state.plan} allowance` },
      now,
      id,
    ),
  ];
};

/** Drops the reservations that expired, freeing what they held. */
export const expireReservations = (state: WalletState, reservations: Map<string, Reservation>, now: number) => {
  for (const [key, reservation] of reservations) {
    if (reservation.expires_at > now) continue;
    reservations.delete(key);
    state.reserved -= reservation.amount;
  }
};

export const available = (state: WalletState) => Math.max(0, state.balance - state.reserved);

export type ReserveOutcome =
  | { ok: true; reservation: Reservation; available: number }
  | { ok: false; required: number; available: number };

/** Holds `amount` for an operation if that much is available; nothing changes otherwise. */
export const reserve = (
  state: WalletState,
  reservations: Map<string, Reservation>,
  request: { id: string; amount: number; feature: string; ttl_ms: number },
  now: number,
): ReserveOutcome => {
  const free = available(state);
  if (request.amount > free) return { ok: false, required: request.amount, available: free };
  const reservation: Reservation = {
    id: request.id,
    amount: request.amount,
    feature: request.feature,
    expires_at: now + Math.min(Math.max(1_000, request.ttl_ms), MAX_RESERVATION_MS),
  };
  reservations.set(reservation.id, reservation);
  state.reserved += reservation.amount;
  return { ok: true, reservation, available: free - reservation.amount };
};

/**
 * Ends a reservation with what the operation used: a `debit` of the usage, at most what the balance
 * holds beyond the other reservations (so never below zero; the reservation itself is always within
 * that). An unknown reservation (expired, or settled already) is charged from what is available.
 */
export const settle = (
  state: WalletState,
  reservations: Map<string, Reservation>,
  reservationId: string,
  usage: SettledUsage,
  now: number,
  ids: { entry: IdMaker; usage: IdMaker },
): { entry: LedgerEntry | null; usage: UsageRecord } => {
  const held = reservations.get(reservationId);
  if (held) {
    reservations.delete(reservationId);
    state.reserved -= held.amount;
  }
  const used = Math.max(0, Math.min(MAX_TOKENS_PER_ENTRY, Math.round(usage.total_tokens)));
  const charge = Math.min(used, Math.max(0, state.balance - state.reserved));
  const entry =
    charge > 0
      ? applyEntry(
          state,
          {
            kind: 'debit',
            amount: -charge,
            feature: usage.feature,
            reference: reservationId,
            note: charge < used ? `${used - charge} tokens beyond the balance were not charged` : null,
          },
          now,
          ids.entry,
        )
      : null;
  return {
    entry,
    usage: {
      ...usage,
      id: ids.usage(),
      org_id: state.org_id,
      charged_tokens: charge,
      created_at: new Date(now).toISOString(),
    },
  };
};

/** Frees a reservation whose operation failed or was not needed. True when it was held. */
export const release = (state: WalletState, reservations: Map<string, Reservation>, reservationId: string) => {
  const held = reservations.get(reservationId);
  if (!held) return false;
  reservations.delete(reservationId);
  state.reserved -= held.amount;
  return true;
};

/** What the API shows of a wallet. */
export interface WalletView {
  plan: Plan;
  balance: number;
  reserved: number;
  available: number;
  allowance: number;
  allowance_source: AllowanceSource;
  period_start: string;
  period_end: string;
}

export type WalletReserve =
  | { ok: true; reservation_id: string; available: number }
  | { ok: false; required: number; available: number };

export interface WalletCredit {
  kind: Exclude<LedgerKind, 'debit'>;
  amount: number;
  /** Idempotency: a credit with a reference already applied changes nothing (an invoice paid twice). */
  reference: string;
  note?: string | null;
}
