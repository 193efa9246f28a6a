import type { AdmitResult, BucketRequest, LeaseRequest, LeaseResult, LeaseReturn } from '../../objects/rate-limiter';

/**
 * How long leased tokens may be spent. It is also how long a revocation made in another isolate can
 * take to reach requests that this isolate admits from a lease; the isolate that revokes drops the
 * tenant's leases at once (`forgetOrg`).
 */
export const GATE_LEASE_MS = 1_000;
/**
 * What a lease asks for at first; a credential that spends its lease fast asks for twice as much
 * next time, up to the most. The gate object grants at most an eighth of what its tightest bucket
 * holds, whatever is asked.
 */
export const GATE_LEASE_WANT = 16;
export const GATE_LEASE_MAX_WANT = 256;
/** How many 1 ms steps a request waits for another request's gate call before making its own. */
export const GATE_WAIT_STEPS = 250;
/** Refusals kept for waiting requests; past this many credentials the map starts again. */
const MAX_REFUSALS = 10_000;
const MAX_UNSPENT_PER_ORG = 100;

/** What a lease is taken for: one credential (session or API key, and the token's `iat`) of a tenant. */
export interface LeaseSubject {
  orgId: string;
  buckets: BucketRequest[];
  sessionId: string | null;
  apiKeyId: string | null;
  userId: string;
  issuedAt: number | null;
}

export interface GateObject {
  lease(request: LeaseRequest): Promise<LeaseResult>;
}

interface Lease {
  buckets: BucketRequest[];
  tokens: number;
  /** Tokens of the newest grant; the next one is fetched ahead once a quarter of it is left. */
  granted: number;
  grantedAt: number;
  expiresAt: number;
  /** The gate's figures when the lease was granted, after deducting it: for the RateLimit headers. */
  limit: number;
  remaining: number;
  resetSeconds: number;
}

const subjectKey = (s: LeaseSubject) =>
  [
    s.orgId,
    s.apiKeyId ? `key:${s.apiKeyId}` : `ses:${s.sessionId ?? ''}:${s.userId}`,
    s.issuedAt ?? '',
    ...s.buckets.map((b) => `${b.key}=${b.per_minute}`),
  ].join('|');

/**
 * An isolate's leases on its tenants' gate objects. A request spends one token of its credential's
 * lease without any call; when the lease is spent or expired, a call to the tenant's gate returns
 * what was left of expired leases and takes a new one. Every token spent here was deducted by the
 * gate first, so exactness holds across isolates; tokens left in a lease that expires are given back
 * on the tenant's next call.
 *
 * One call per credential at a time, but a request never awaits a call another request started: in
 * the Workers runtime a promise settled by another request's I/O may never settle for the waiter
 * (that request can end first), and what follows it would run in the other request's context. So a
 * request that finds a call on its way waits on its own timer, re-reading the leases, for at most
 * `GATE_WAIT_STEPS` steps; then it spends from the lease that call brought, or takes the refusal it
 * brought (plain data, safe to share), or, if the call never ended, asks the gate itself.
 */
export class GateLeases {
  private readonly leases = new Map<string, Lease>();
  /** Credentials with a gate call on its way, by the call's number (no promise is shared). */
  private readonly calling = new Map<string, number>();
  /** The last refusal (rate limited or revoked) per credential and the number of the call it came from. */
  private readonly refusals = new Map<string, { result: LeaseResult; call: number }>();
  private calls = 0;
  private readonly unspent = new Map<string, LeaseReturn[]>();
  /** Bumped by `forgetOrg`: a lease that was on its way while the tenant's leases were dropped is not kept. */
  private readonly epochs = new Map<string, number>();

  /** Per credential: how many tokens its next lease asks for. */
  private readonly wants = new Map<string, number>();

  /**
   * Admits one request of `subject`. `background` keeps a lease fetched ahead alive after the request
   * that started it has answered (the Worker's `waitUntil`).
   */
  async admit(
    gate: (orgId: string) => GateObject,
    subject: LeaseSubject,
    background: (promise: Promise<unknown>) => void = () => undefined,
  ): Promise<AdmitResult> {
    const key = subjectKey(subject);
    // Counted in steps rather than by Date, which tests freeze and the runtime moves only on I/O.
    let waited = 0;
    let awaited: number | undefined;
    for (;;) {
      const now = Date.now();
      const lease = this.leases.get(key);
      if (lease && lease.expiresAt > now && lease.tokens > 0) {
        lease.tokens -= 1;
        // A lease of a few tokens (near the limit) is not fetched ahead: a token parked in an
        // isolate that gets no further request would be lost to the window until its next call.
        if (lease.granted >= 4 && lease.tokens * 4 <= lease.granted && !this.calling.has(key)) {
          // Spent fast: ask for more next time, and fetch it now so no request waits for it.
          if (now - lease.grantedAt < GATE_LEASE_MS / 2) {
            this.wants.set(key, Math.min(GATE_LEASE_MAX_WANT, (this.wants.get(key) ?? GATE_LEASE_WANT) * 2));
          }
          background(this.call(gate, subject, key).catch(() => undefined));
        }
        return this.verdict(lease);
      }
      if (lease) this.retire(subject.orgId, key, lease);
      const onItsWay = this.calling.get(key);
      if (onItsWay !== undefined && waited < GATE_WAIT_STEPS) {
        // Another request's call is on its way: wait on this request's own timer, then look again
        // (first at the leases: that call, or another, may have brought tokens).
        awaited ??= onItsWay;
        await new Promise((resolve) => setTimeout(resolve, 1));
        waited += 1;
        continue;
      }
      const refusal = this.refusals.get(key);
      if (awaited !== undefined && refusal && refusal.call >= awaited) return refusal.result;
      const result = await this.call(gate, subject, key);
      if (!result.allowed || result.revoked) return result;
      // Granted: loop to spend one token (waiting requests share the lease; the last ones may need
      // another).
    }
  }

  /** A call to the gate, marked for the requests that arrive while it is on its way. */
  private async call(gate: (orgId: string) => GateObject, subject: LeaseSubject, key: string): Promise<LeaseResult> {
    this.calls += 1;
    const number = this.calls;
    this.calling.set(key, number);
    try {
      const result = await this.take(gate, subject, key);
      if (!result.allowed || result.revoked) {
        if (this.refusals.size >= MAX_REFUSALS) this.refusals.clear();
        this.refusals.set(key, { result, call: number });
      } else {
        this.refusals.delete(key);
      }
      return result;
    } finally {
      if (this.calling.get(key) === number) this.calling.delete(key);
    }
  }

  /**
   * Tokens of the tenant this isolate holds: leased and not spent yet, or waiting to go back. Every
   * token the gate granted is either admitted a request or counted here.
   */
  heldTokens(orgId: string): number {
    let held = 0;
    for (const [key, lease] of this.leases) if (key.startsWith(`${orgId}|`)) held += lease.tokens;
    for (const unspent of this.unspent.get(orgId) ?? []) held += unspent.tokens;
    return held;
  }

  /** Drops a tenant's leases (a revocation in this isolate); their unspent tokens go back later. */
  forgetOrg(orgId: string): void {
    this.epochs.set(orgId, (this.epochs.get(orgId) ?? 0) + 1);
    for (const [key, lease] of this.leases) if (key.startsWith(`${orgId}|`)) this.retire(orgId, key, lease);
  }

  private retire(orgId: string, key: string, lease: Lease): void {
    this.leases.delete(key);
    if (lease.tokens > 0) this.giveBack(orgId, { buckets: lease.buckets, tokens: lease.tokens });
  }

  /** Kept for the tenant's next call; past a bound they are dropped (which only admits less). */
  private giveBack(orgId: string, unspent: LeaseReturn): void {
    const list = this.unspent.get(orgId) ?? [];
    if (list.length < MAX_UNSPENT_PER_ORG) list.push(unspent);
    this.unspent.set(orgId, list);
  }

  private async take(gate: (orgId: string) => GateObject, subject: LeaseSubject, key: string): Promise<LeaseResult> {
    const epoch = this.epochs.get(subject.orgId) ?? 0;
    const returning = this.unspent.get(subject.orgId);
    this.unspent.delete(subject.orgId);
    let result: LeaseResult;
    try {
      result = await gate(subject.orgId).lease({
        buckets: subject.buckets,
        sessionId: subject.sessionId,
        apiKeyId: subject.apiKeyId,
        userId: subject.userId,
        issuedAt: subject.issuedAt,
        want: this.wants.get(key) ?? GATE_LEASE_WANT,
        ...(returning ? { returning } : {}),
      });
    } catch (err) {
      // Not credited: keep them for the next call.
      if (returning) this.unspent.set(subject.orgId, [...returning, ...(this.unspent.get(subject.orgId) ?? [])]);
      throw err;
    }
    if ((this.epochs.get(subject.orgId) ?? 0) !== epoch) {
      // The tenant's leases were dropped while this one was on its way (a revocation): it is not
      // kept, its tokens go back, and the waiting requests ask the gate again.
      if (result.granted > 0) this.giveBack(subject.orgId, { buckets: subject.buckets, tokens: result.granted });
      return result;
    }
    const current = this.leases.get(key);
    if (result.revoked) {
      // Revoked meanwhile: what this isolate still holds for the credential is not spent either.
      if (current) this.retire(subject.orgId, key, current);
      return result;
    }
    if (result.allowed && result.granted > 0) {
      const now = Date.now();
      // Tokens of a lease still held stay with it: the gate granted both, and just re-checked the
      // credential, so the whole lease runs from now.
      const held = current && current.expiresAt > now ? current.tokens : 0;
      if (current && held === 0) this.retire(subject.orgId, key, current);
      this.leases.set(key, {
        buckets: subject.buckets,
        tokens: held + result.granted,
        granted: result.granted,
        grantedAt: now,
        expiresAt: now + GATE_LEASE_MS,
        limit: result.limit,
        remaining: result.remaining,
        resetSeconds: result.resetSeconds,
      });
    }
    return result;
  }

  private verdict(lease: Lease): AdmitResult {
    return {
      allowed: true,
      limit: lease.limit,
      // What the gate still holds plus what this lease has left: the caller's view of its budget.
      remaining: lease.remaining + lease.tokens,
      resetSeconds: lease.resetSeconds,
      retryAfterSeconds: 0,
      revoked: false,
    };
  }
}

/** This isolate's leases. */
export const gateLeases = new GateLeases();
