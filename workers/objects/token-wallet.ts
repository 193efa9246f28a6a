import { DurableObject } from 'cloudflare:workers';
import {
  type AllowanceSource,
  applyEntry,
  available,
  billingPlans,
  expireReservations,
  type LedgerEntry,
  MAX_TOKENS_PER_ENTRY,
  newWalletState,
  outboxStatements,
  planOf,
  type Reservation,
  release,
  reserve,
  rollover,
  type SettledUsage,
  settle,
  storedPlan,
  type UsageRecord,
  type WalletCredit,
  type WalletReserve,
  type WalletState,
  type WalletView,
} from '@flowspark/billing';
import { describeError, logger, newId, type Plan } from '@flowspark/core';
import type { Env } from '../env';

/** Below this share of the allowance, the organization's admins are told (once per crossing). */
const LOW_BALANCE_SHARE = 0.1;
/** How long to wait before retrying an outbox D1 could not take. */
const FLUSH_RETRY_MS = 5_000;
/** Settled reservation ids kept to answer a repeated settle without charging twice. */
const SETTLED_KEPT_MS = 24 * 60 * 60 * 1000;

const SCHEMA = [
  'CREATE TABLE IF NOT EXISTS state (id INTEGER PRIMARY KEY CHECK (id = 1), value TEXT NOT NULL)',
  'CREATE TABLE IF NOT EXISTS reservations (id TEXT PRIMARY KEY, amount INTEGER NOT NULL, feature TEXT NOT NULL, expires_at INTEGER NOT NULL)',
  'CREATE TABLE IF NOT EXISTS settled (id TEXT PRIMARY KEY, at INTEGER NOT NULL)',
  'CREATE TABLE IF NOT EXISTS credits (reference TEXT PRIMARY KEY, at INTEGER NOT NULL)',
  // Ledger entries and usage events not yet written to D1, in order.
  'CREATE TABLE IF NOT EXISTS outbox (n INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, value TEXT NOT NULL)',
];

/**
 * The token wallet of one organization (named by its id): its balance, its reservations and the
 * ledger entries it writes to D1. Every change is made synchronously on the object's own SQLite
 * storage before anything is awaited, so concurrent calls see one another's effects in order and a
 * reservation is checked and taken in one step (packages/billing/src/wallet.ts). D1 gets the ledger
 * and the usage events from an outbox, written right after each change without holding up the
 * answer (a settle answers before D1 has it), and again from an alarm when that failed: D1's ledger
 * follows the object's within milliseconds and sums to its balance once written. `view` and
 * `credit` answer only once D1 has everything.
 */
export class TokenWallet extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private state: WalletState | null = null;
  private readonly reservations = new Map<string, Reservation>();
  /** The outbox write under way, if any; `flushPending`: more rows came meanwhile. */
  private flushing: Promise<void> | null = null;
  private flushPending = false;
  private alarmArmed = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    for (const statement of SCHEMA) this.sql.exec(statement);
    const row = this.sql.exec<{ value: string }>('SELECT value FROM state WHERE id = 1').toArray()[0];
    if (row) this.state = JSON.parse(row.value) as WalletState;
    for (const r of this.sql.exec<{ id: string; amount: number; feature: string; expires_at: number }>(
      'SELECT id, amount, feature, expires_at FROM reservations',
    )) {
      this.reservations.set(r.id, { ...r });
    }
  }

  /** Reserves `amount` tokens for an operation, or says how many are available. */
  async reserve(
    orgId: string,
    request: { amount: number; feature: string; ttl_ms: number; reference?: string },
  ): Promise<WalletReserve> {
    const state = await this.open(orgId);
    const amount = Math.max(0, Math.min(MAX_TOKENS_PER_ENTRY, Math.ceil(request.amount)));
    const outcome = reserve(
      state,
      this.reservations,
      { id: request.reference ?? newId('rsv'), amount, feature: request.feature, ttl_ms: request.ttl_ms },
      Date.now(),
    );
    if (!outcome.ok) {
      this.save([]);
      return outcome;
    }
    const r = outcome.reservation;
    this.sql.exec(
      'INSERT OR REPLACE INTO reservations (id, amount, feature, expires_at) VALUES (?, ?, ?, ?)',
      r.id,
      r.amount,
      r.feature,
      r.expires_at,
    );
    this.save([]);
    return { ok: true, reservation_id: r.id, available: outcome.available };
  }

  /**
   * Settles a reservation with the operation's usage: a debit of what it used and a usage event, both
   * written to D1 before this answers (or by the alarm soon after, should D1 fail). A repeated settle
   * of the same reservation charges nothing more.
   */
  async settle(
    orgId: string,
    reservationId: string,
    usage: SettledUsage,
  ): Promise<{ charged: number; balance: number }> {
    const state = await this.open(orgId);
    const now = Date.now();
    if (this.sql.exec('SELECT 1 FROM settled WHERE id = ?', reservationId).toArray().length > 0) {
      return { charged: 0, balance: state.balance };
    }
    const before = state.balance;
    const { entry, usage: record } = settle(state, this.reservations, reservationId, usage, now, {
      entry: () => newId('tle'),
      usage: () => newId('use'),
    });
    this.sql.exec('DELETE FROM reservations WHERE id = ?', reservationId);
    this.sql.exec('INSERT OR REPLACE INTO settled (id, at) VALUES (?, ?)', reservationId, now);
    this.save(entry ? [entry] : [], [record]);
    // Not awaited: the answer does not wait for D1 (the alarm writes the outbox should this fail).
    void this.flush();
    const low = Math.floor(state.allowance * LOW_BALANCE_SHARE);
    if (before >= low && state.balance < low) void this.tellLowBalance(state);
    return { charged: record.charged_tokens, balance: state.balance };
  }

  /** Frees a reservation whose operation failed or asked no model. */
  async release(orgId: string, reservationId: string): Promise<{ released: boolean }> {
    const state = await this.open(orgId);
    const released = release(state, this.reservations, reservationId);
    if (released) this.sql.exec('DELETE FROM reservations WHERE id = ?', reservationId);
    this.save([]);
    return { released };
  }

  /** Adds tokens (a grant, a purchase or a refund) once per reference. */
  async credit(orgId: string, credit: WalletCredit): Promise<{ applied: boolean; balance: number }> {
    const state = await this.open(orgId);
    const amount = Math.floor(credit.amount);
    if (!(amount > 0 && amount <= MAX_TOKENS_PER_ENTRY)) throw new RangeError('A credit is a positive token count');
    if (this.sql.exec('SELECT 1 FROM credits WHERE reference = ?', credit.reference).toArray().length > 0) {
      return { applied: false, balance: state.balance };
    }
    const entry = applyEntry(
      state,
      { kind: credit.kind, amount, reference: credit.reference, note: credit.note ?? null },
      Date.now(),
      () => newId('tle'),
    );
    this.sql.exec('INSERT INTO credits (reference, at) VALUES (?, ?)', credit.reference, Date.now());
    this.save([entry]);
    await this.flush();
    return { applied: true, balance: state.balance };
  }

  /**
   * The organization's plan changed: its allowance follows, and where it comes from (`grant`: topped
   * up each month; `invoice`: bought with each paid invoice of a subscription).
   */
  async configure(orgId: string, settings: { plan: Plan; allowance_source?: AllowanceSource }): Promise<WalletView> {
    const state = await this.open(orgId);
    state.plan = settings.plan;
    state.allowance = billingPlans(this.env.BILLING_PLANS)[settings.plan].monthly_tokens;
    if (settings.allowance_source) state.allowance_source = settings.allowance_source;
    this.save([]);
    await this.flush();
    return this.present(state);
  }

  /** The wallet as it is now (the month rolled over, expired reservations dropped). */
  async view(orgId: string): Promise<WalletView> {
    const state = await this.open(orgId);
    this.save([]);
    await this.flush();
    return this.present(state);
  }

  private present(state: WalletState): WalletView {
    return {
      plan: state.plan,
      balance: state.balance,
      reserved: state.reserved,
      available: available(state),
      allowance: state.allowance,
      allowance_source: state.allowance_source,
      period_start: state.period_start,
      period_end: state.period_end,
    };
  }

  /** The balance fell below LOW_BALANCE_SHARE of the allowance: a `billing.tokens.low` event for the admins. */
  private async tellLowBalance(state: WalletState): Promise<void> {
    const { emitTenantEvent } = await import('../lib/tenant-events');
    const data = { balance: state.balance, allowance: state.allowance, plan: state.plan };
    await emitTenantEvent(this.env, state.org_id, 'billing.tokens.low', data, {
      notify: {
        to: 'admins',
        type: 'billing.tokens.low',
        title: 'Tokens are running low',
        body: `${state.balance.toLocaleString('en-US')} of the plan's ${state.allowance.toLocaleString('en-US')} monthly tokens are left.`,
        data,
      },
    });
  }

  override async alarm(): Promise<void> {
    this.alarmArmed = false;
    await this.flush();
  }

  /**
   * The state, made on first use from the organization's stored plan, with the month rolled over and
   * expired reservations dropped (what those change goes to the outbox with the caller's changes).
   */
  private async open(orgId: string): Promise<WalletState> {
    if (!this.state) {
      await this.ctx.blockConcurrencyWhile(async () => {
        if (this.state) return;
        const plan = planOf(await storedPlan(this.env.DB, orgId));
        const allowance = billingPlans(this.env.BILLING_PLANS)[plan].monthly_tokens;
        this.state = newWalletState(orgId, plan, allowance, Date.now());
      });
    }
    const state = this.state!;
    if (state.org_id !== orgId) throw new Error('This wallet belongs to another organization');
    const now = Date.now();
    expireReservations(state, this.reservations, now);
    this.sql.exec('DELETE FROM reservations WHERE expires_at <= ?', now);
    const entries = rollover(state, now, () => newId('tle'));
    if (entries.length > 0) {
      for (const e of entries)
        if (e.reference) this.sql.exec('INSERT OR IGNORE INTO credits VALUES (?, ?)', e.reference, now);
      this.save(entries);
      void this.flush();
    }
    return state;
  }

  /** Stores the state and queues these rows for D1, in one synchronous step. */
  private save(ledger: LedgerEntry[], usage: UsageRecord[] = []): void {
    this.ctx.storage.transactionSync(() => {
      this.sql.exec('INSERT OR REPLACE INTO state (id, value) VALUES (1, ?)', JSON.stringify(this.state));
      for (const entry of ledger)
        this.sql.exec("INSERT INTO outbox (kind, value) VALUES ('ledger', ?)", JSON.stringify(entry));
      for (const record of usage)
        this.sql.exec("INSERT INTO outbox (kind, value) VALUES ('usage', ?)", JSON.stringify(record));
    });
  }

  /**
   * Writes the outbox to D1, one batch at a time: a call while a write is under way waits for that
   * write and one more (which takes what came meanwhile), so concurrent changes share batches. Rows are
   * removed once written; on failure they stay and an alarm retries. Rows are written with their ids,
   * so a retry after a lost answer writes nothing twice. An alarm is armed while rows wait, should the
   * object be evicted before they are written.
   */
  private flush(): Promise<void> {
    this.flushPending = true;
    if (!this.alarmArmed) {
      this.alarmArmed = true;
      void this.ctx.storage.setAlarm(Date.now() + FLUSH_RETRY_MS);
    }
    this.flushing ??= (async () => {
      try {
        while (this.flushPending) {
          this.flushPending = false;
          if (!(await this.writeOutbox())) return;
        }
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
  }

  /** One batch of the outbox to D1; false when D1 failed (the alarm retries). */
  private async writeOutbox(): Promise<boolean> {
    const rows = this.sql
      .exec<{ n: number; kind: string; value: string }>('SELECT n, kind, value FROM outbox ORDER BY n')
      .toArray();
    if (rows.length === 0) return true;
    const ledger = rows.filter((r) => r.kind === 'ledger').map((r) => JSON.parse(r.value) as LedgerEntry);
    const usage = rows.filter((r) => r.kind === 'usage').map((r) => JSON.parse(r.value) as UsageRecord);
    try {
      await this.env.DB.batch(outboxStatements(this.env.DB, ledger, usage));
      this.sql.exec('DELETE FROM outbox WHERE n <= ?', rows.at(-1)!.n);
      this.sql.exec('DELETE FROM settled WHERE at < ?', Date.now() - SETTLED_KEPT_MS);
      return true;
    } catch (err) {
      logger.warn('wallet outbox not written; retrying', { org_id: this.state?.org_id, ...describeError(err) });
      return false;
    }
  }
}
