import { describe, expect, it } from 'vitest';
import { billingPlans } from './plans';
import {
  allowanceReference,
  available,
  expireReservations,
  newWalletState,
  type Reservation,
  release,
  reserve,
  rollover,
  type SettledUsage,
  settle,
  type WalletState,
} from './wallet';

const DEC_7 = Date.parse('2026-12-07T10:00:00.000Z');
const JAN_2 = Date.parse('2027-01-02T00:00:00.000Z');

let n = 0;
const id = () => `id_${++n}`;
const ids = { entry: id, usage: id };

const usage = (total: number): SettledUsage => ({
  feature: 'kb.answer',
  model: 'm',
  input_tokens: Math.floor(total / 2),
  output_tokens: total - Math.floor(total / 2),
  total_tokens: total,
  estimated: false,
  latency_ms: 12,
  user_id: 'usr_1',
  job_id: null,
  resource_id: null,
});

const fresh = (allowance = 1_000): { state: WalletState; held: Map<string, Reservation> } => {
  const state = newWalletState('org_1', 'free', allowance, DEC_7);
  rollover(state, DEC_7, id);
  return { state, held: new Map() };
};

describe('the token wallet', () => {
  it('grants the allowance for the month on first use, once, and tops it up the next month', () => {
    const state = newWalletState('org_1', 'free', 1_000, DEC_7);
    const [grant] = rollover(state, DEC_7, id);
    expect(grant).toMatchObject({ kind: 'grant', amount: 1_000, balance_after: 1_000, seq: 1 });
    expect(grant!.reference).toBe(allowanceReference('2026-12-01T00:00:00.000Z'));
    expect(state).toMatchObject({ period_start: '2026-12-01T00:00:00.000Z', period_end: '2027-01-01T00:00:00.000Z' });
    expect(rollover(state, DEC_7 + 1_000, id)).toEqual([]);

    state.balance = 300;
    const [topUp] = rollover(state, JAN_2, id);
    expect(topUp).toMatchObject({ kind: 'grant', amount: 700, balance_after: 1_000, reference: 'allowance:2027-01' });
    // Purchased tokens above the allowance are kept: no grant, no loss.
    state.balance = 5_000;
    state.period_end = '2027-01-02T00:00:00.000Z';
    expect(rollover(state, JAN_2, id)).toEqual([]);
    expect(state.balance).toBe(5_000);
  });

  it('an invoiced allowance is not granted by the month', () => {
    const state = newWalletState('org_1', 'pro', 20_000, DEC_7);
    state.allowance_source = 'invoice';
    expect(rollover(state, DEC_7, id)).toEqual([]);
    expect(state.balance).toBe(0);
  });

  it('reserves only what is available, atomically per call', () => {
    const { state, held } = fresh();
    expect(reserve(state, held, { id: 'r1', amount: 600, feature: 'kb.answer', ttl_ms: 60_000 }, DEC_7)).toMatchObject({
      ok: true,
      available: 400,
    });
    expect(reserve(state, held, { id: 'r2', amount: 401, feature: 'kb.answer', ttl_ms: 60_000 }, DEC_7)).toEqual({
      ok: false,
      required: 401,
      available: 400,
    });
    expect(state).toMatchObject({ balance: 1_000, reserved: 600 });
  });

  it('settles the actual usage and frees the rest; beyond the balance is never charged', () => {
    const { state, held } = fresh();
    reserve(state, held, { id: 'r1', amount: 600, feature: 'kb.answer', ttl_ms: 60_000 }, DEC_7);
    reserve(state, held, { id: 'r2', amount: 300, feature: 'kb.answer', ttl_ms: 60_000 }, DEC_7);
    const first = settle(state, held, 'r1', usage(250), DEC_7, ids);
    expect(first.entry).toMatchObject({ kind: 'debit', amount: -250, balance_after: 750, reference: 'r1' });
    expect(first.usage).toMatchObject({ charged_tokens: 250, total_tokens: 250, org_id: 'org_1' });
    expect(state).toMatchObject({ balance: 750, reserved: 300 });
    // Used far more than reserved: charged what nobody else holds (750 − 0), never below zero.
    const second = settle(state, held, 'r2', usage(5_000), DEC_7, ids);
    expect(second.entry).toMatchObject({ amount: -750, balance_after: 0 });
    expect(second.entry!.note).toContain('4250 tokens beyond the balance');
    expect(second.usage.charged_tokens).toBe(750);
    expect(state).toMatchObject({ balance: 0, reserved: 0 });
  });

  it('a settle beyond its reservation does not take what others hold', () => {
    const { state, held } = fresh();
    reserve(state, held, { id: 'a', amount: 100, feature: 'x', ttl_ms: 60_000 }, DEC_7);
    reserve(state, held, { id: 'b', amount: 800, feature: 'x', ttl_ms: 60_000 }, DEC_7);
    const { entry } = settle(state, held, 'a', usage(1_000), DEC_7, ids);
    expect(entry!.amount).toBe(-200);
    expect(state.balance - state.reserved).toBe(0);
    expect(state.reserved).toBe(800);
  });

  it('releases and expires reservations; an unknown reservation is charged from what is available', () => {
    const { state, held } = fresh();
    reserve(state, held, { id: 'r1', amount: 400, feature: 'x', ttl_ms: 60_000 }, DEC_7);
    reserve(state, held, { id: 'r2', amount: 400, feature: 'x', ttl_ms: 1_000 }, DEC_7);
    expect(release(state, held, 'r1')).toBe(true);
    expect(release(state, held, 'r1')).toBe(false);
    expireReservations(state, held, DEC_7 + 5_000);
    expect(state.reserved).toBe(0);
    expect(held.size).toBe(0);
    const { entry } = settle(state, held, 'gone', usage(30), DEC_7, ids);
    expect(entry).toMatchObject({ amount: -30, balance_after: 970 });
    expect(available(state)).toBe(970);
  });

  it('a usage of nothing writes no ledger entry but still a usage event', () => {
    const { state, held } = fresh();
    reserve(state, held, { id: 'r', amount: 10, feature: 'x', ttl_ms: 60_000 }, DEC_7);
    const outcome = settle(state, held, 'r', usage(0), DEC_7, ids);
    expect(outcome.entry).toBeNull();
    expect(outcome.usage.charged_tokens).toBe(0);
    expect(state).toMatchObject({ balance: 1_000, reserved: 0, seq: 1 });
  });
});

describe('plans', () => {
  it('come from the defaults, with BILLING_PLANS overriding known fields only', () => {
    const plans = billingPlans(
      JSON.stringify({ free: { monthly_tokens: 5, max_bots: -1, features: ['documents', 'nope'] }, gold: {} }),
    );
    expect(plans.free).toMatchObject({ monthly_tokens: 5, max_bots: 5, features: ['documents'] });
    expect(plans.pro.monthly_tokens).toBe(billingPlans().pro.monthly_tokens);
    expect(billingPlans('not json')).toEqual(billingPlans());
    expect(Object.keys(plans)).toEqual(['free', 'pro', 'enterprise']);
  });
});
