import { afterEach, describe, expect, it, vi } from 'vitest';
import { GATE_LEASE_MS, GateLeases, type LeaseSubject } from '../../workers/api/lib/gate-leases';
import type { LeaseRequest } from '../../workers/objects/rate-limiter';
import { env } from '../helpers/harness';

let seq = 0;
/** A gate object of its own per test, and a counter of the calls made to it. */
const gateFor = () => {
  const name = `org_lease_${Date.now()}_${seq++}`;
  const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(name));
  const calls: LeaseRequest[] = [];
  return {
    name,
    stub,
    calls,
    gate: () => ({
      lease: (request: LeaseRequest) => {
        calls.push(request);
        return stub.lease(request);
      },
    }),
  };
};

const subject = (orgId: string, perMinute: number, over: Partial<LeaseSubject> = {}): LeaseSubject => ({
  orgId,
  buckets: [{ key: 'tenant', per_minute: perMinute }],
  sessionId: 'ses_a',
  apiKeyId: null,
  userId: 'usr_a',
  issuedAt: 1,
  ...over,
});

/** `n` requests at once through one isolate; leases fetched ahead have arrived when it returns. */
const burst = async (isolate: GateLeases, gate: ReturnType<typeof gateFor>, who: LeaseSubject, n: number) => {
  const background: Promise<unknown>[] = [];
  const verdicts = await Promise.all(
    Array.from({ length: n }, () => isolate.admit(gate.gate, who, (p) => background.push(p))),
  );
  await Promise.all(background);
  return verdicts.filter((v) => v.allowed).length;
};

afterEach(() => {
  vi.useRealTimers();
});

describe('gate leases', () => {
  it('several isolates bursting at once admit exactly the limit, never more', async () => {
    const gate = gateFor();
    const isolates = Array.from({ length: 5 }, () => new GateLeases());
    const admitted = await Promise.all(
      isolates.map((isolate, i) => burst(isolate, gate, subject(gate.name, 60, { sessionId: `ses_${i}` }), 30)),
    );
    // 150 requests against a bucket of 60: never more than 60 admitted, and every token the gate
    // granted is accounted for: admitted, or still leased by an isolate (a lease fetched ahead that
    // arrived after its isolate's last request; it goes back on that isolate's next call).
    const total = admitted.reduce((a, b) => a + b, 0);
    const held = isolates.reduce((sum, isolate) => sum + isolate.heldTokens(gate.name), 0);
    expect(total).toBeLessThanOrEqual(60);
    expect(total + held).toBe(60);
    expect(total).toBeGreaterThanOrEqual(60 - isolates.length * Math.floor(60 / 8));
  });

  it('the tighter credential bucket holds across isolates too', async () => {
    const gate = gateFor();
    const buckets = [
      { key: 'tenant', per_minute: 100 },
      { key: 'usr:usr_a', per_minute: 30 },
    ];
    const isolates = Array.from({ length: 4 }, () => new GateLeases());
    const started = Date.now();
    const admitted = await Promise.all(
      isolates.map((isolate) => burst(isolate, gate, subject(gate.name, 0, { buckets }), 25)),
    );
    // Buckets refill while the test runs (the credential's one token per 2 s, the tenant's one per
    // 600 ms): on a slow machine a refill may land in the middle, so the bounds count them.
    const refilled = (perMinute: number) => Math.floor(((Date.now() - started) * perMinute) / 60_000);
    const total = admitted.reduce((a, b) => a + b, 0);
    const granted = total + isolates.reduce((sum, isolate) => sum + isolate.heldTokens(gate.name), 0);
    expect(granted).toBeGreaterThanOrEqual(30);
    expect(granted).toBeLessThanOrEqual(30 + refilled(30));
    // What the credential left in the tenant's bucket is the tenant's: 70 more for someone else.
    const other = new GateLeases();
    const more = await burst(other, gate, subject(gate.name, 100, { userId: 'usr_b', sessionId: 'ses_b' }), 90);
    expect(more).toBeGreaterThanOrEqual(100 - granted);
    expect(more).toBeLessThanOrEqual(100 - granted + refilled(100));
  });

  it('serial requests of one credential make one gate call per lease, fetched ahead', async () => {
    const gate = gateFor();
    const isolate = new GateLeases();
    const who = subject(gate.name, 1_000);
    const verdicts = [];
    const callsSeen = [];
    for (let i = 0; i < 20; i += 1) {
      verdicts.push(await isolate.admit(gate.gate, who));
      callsSeen.push(gate.calls.length);
    }
    // The first lease asks for 16 (an eighth of 1,000 would allow 125). Spent fast, the next one is
    // fetched ahead, asking for twice as much, when a quarter is left (after request 12), so no
    // later request waits for the gate.
    expect(callsSeen).toEqual([...Array(11).fill(1), ...Array(9).fill(2)]);
    expect(gate.calls.map((c) => c.want)).toEqual([16, 32]);
    expect(verdicts.map((v) => v.remaining)).toEqual(Array.from({ length: 20 }, (_, i) => 999 - i));
    expect(verdicts.every((v) => v.allowed && v.limit === 1_000)).toBe(true);
  });

  it('tokens left in a dropped lease go back to the gate on the next call', async () => {
    const gate = gateFor();
    const a = new GateLeases();
    const b = new GateLeases();
    const who = subject(gate.name, 16);
    expect((await a.admit(gate.gate, who)).allowed).toBe(true); // leases 2 (an eighth of 16), spends 1
    a.forgetOrg(gate.name);
    expect((await a.admit(gate.gate, who)).allowed).toBe(true); // gives the unspent one back
    expect(gate.calls[1]!.returning).toEqual([{ buckets: who.buckets, tokens: 1 }]);
    const rest = (await burst(b, gate, who, 30)) + (await burst(a, gate, who, 30));
    // Nothing lost: 2 + the rest is the whole bucket.
    expect(2 + rest).toBe(16);
  });

  it('an expired lease is not spent: the next request asks the gate, which knows of revocations', async () => {
    const gate = gateFor();
    const isolate = new GateLeases();
    const who = subject(gate.name, 1_000);
    expect((await isolate.admit(gate.gate, who)).allowed).toBe(true);
    // Revoked through another isolate: this one's lease is still good until it expires.
    await gate.stub.revokeSessions(['ses_a']);
    expect((await isolate.admit(gate.gate, who)).revoked).toBe(false);
    expect(gate.calls).toHaveLength(1);
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + GATE_LEASE_MS + 1 });
    const refused = await isolate.admit(gate.gate, who);
    expect(refused).toMatchObject({ allowed: true, revoked: true });
    expect(gate.calls).toHaveLength(2);
    // A revocation in this isolate drops the tenant's leases at once.
    const other = subject(gate.name, 1_000, { sessionId: 'ses_b' });
    expect((await isolate.admit(gate.gate, other)).revoked).toBe(false);
    await gate.stub.revokeSessions(['ses_b']);
    isolate.forgetOrg(gate.name);
    expect((await isolate.admit(gate.gate, other)).revoked).toBe(true);
  });

  it('a refusal carries the gate figures and spends nothing', async () => {
    const gate = gateFor();
    const isolate = new GateLeases();
    const who = subject(gate.name, 3);
    expect(await burst(isolate, gate, who, 3)).toBe(3);
    const refused = await isolate.admit(gate.gate, who);
    expect(refused).toMatchObject({ allowed: false, limit: 3, remaining: 0, retryAfterSeconds: 20, revoked: false });
  });
});
