import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';

/**
 * One instance per tenant, the single authority on the tenant's token buckets (the tenant's, and the
 * calling user's or API key's share of it) and on revocations. `admit` counts one request; `lease`
 * hands an isolate a few tokens at once, deducted here before they are spent there, so no window
 * ever admits more than its buckets hold however many isolates lease. Both also tell whether the
 * caller's session, token or API key was revoked. A Durable Object runs one call at a time, so
 * counting stays exact under concurrency.
 *
 * Buckets live in memory: losing them on eviction only forgives a few requests. Revocations are
 * persisted, because forgetting one would let a revoked access token back in.
 */
export interface BucketRequest {
  /** `tenant`, `usr:<user id>` or `key:<api key id>` (or `public` in a per-IP object) */
  key: string;
  per_minute: number;
}

export interface AdmitRequest {
  buckets: BucketRequest[];
  sessionId?: string | null;
  apiKeyId?: string | null;
  userId?: string | null;
  /** The access token's `iat` (seconds), checked against the user's not-before time. */
  issuedAt?: number | null;
}

/** Tokens an isolate leased and did not spend, credited back to the buckets they came from. */
export interface LeaseReturn {
  buckets: BucketRequest[];
  tokens: number;
}

export interface LeaseRequest extends AdmitRequest {
  /** The most tokens the isolate wants; it gets at most an eighth of what the tightest bucket holds. */
  want: number;
  returning?: LeaseReturn[];
}

export interface LeaseResult extends AdmitResult {
  /** Tokens granted (already deducted), the request at hand included; 0 when refused. */
  granted: number;
}

export interface AdmitResult {
  allowed: boolean;
  /** The most restrictive bucket's figures, for the RateLimit-* headers. */
  limit: number;
  remaining: number;
  resetSeconds: number;
  retryAfterSeconds: number;
  revoked: boolean;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * A bucket idle for a minute has refilled completely (it refills its capacity per minute), so
 * forgetting it changes nothing; per-user and per-key buckets are dropped that way once there are
 * many, at most once a minute, so memory stays bounded by the recently active credentials.
 */
const IDLE_BUCKET_MS = 60_000;
const MAX_RESIDENT_BUCKETS = 1_000;

/**
 * A lease takes at most this share of the tightest bucket, so leases held by busy isolates leave the
 * rest to others, and near the limit every request comes here again, one token at a time.
 */
const LEASE_SHARE = 1 / 8;

/** Access tokens live 15 minutes; a revocation older than that has nothing left to stop. */
const REVOCATION_TTL_MS = 16 * 60 * 1000;
/**
 * A revoked API key is refused by D1 once isolates' caches of verified keys (5 s) have expired; the
 * gate remembers it a good while longer than that.
 */
const KEY_REVOCATION_TTL_MS = 60 * 1000;

export class RateLimiter extends DurableObject<Env> {
  private readonly buckets = new Map<string, Bucket>();
  private prunedAt = 0;
  private readonly revokedSessions = new Map<string, number>();
  private readonly revokedKeys = new Map<string, number>();
  private readonly userNotBefore = new Map<string, number>();
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(
        'CREATE TABLE IF NOT EXISTS revocations (kind TEXT NOT NULL, id TEXT NOT NULL, at INTEGER NOT NULL, expires INTEGER NOT NULL, PRIMARY KEY (kind, id))',
      );
      const now = Date.now();
      this.sql.exec('DELETE FROM revocations WHERE expires < ?', now);
      for (const row of this.sql.exec<{ kind: string; id: string; at: number }>(
        'SELECT kind, id, at FROM revocations',
      )) {
        const map =
          row.kind === 'session' ? this.revokedSessions : row.kind === 'key' ? this.revokedKeys : this.userNotBefore;
        map.set(row.id, row.at);
      }
    });
  }

  admit(request: AdmitRequest): AdmitResult {
    const { granted: _granted, ...verdict } = this.take(request, 1);
    return verdict;
  }

  /** Grants up to `want` tokens from every bucket at once, after crediting back returned ones. */
  lease(request: LeaseRequest): LeaseResult {
    const now = Date.now();
    for (const back of request.returning ?? []) {
      if (!(back.tokens > 0)) continue;
      for (const rule of back.buckets) {
        const state = this.refilled(rule, now);
        state.tokens = Math.min(Math.max(1, rule.per_minute), state.tokens + back.tokens);
      }
    }
    return this.take(request, Math.max(1, Math.floor(request.want)));
  }

  private refilled(rule: BucketRequest, now: number): Bucket {
    const capacity = Math.max(1, rule.per_minute);
    const state = this.buckets.get(rule.key) ?? { tokens: capacity, updatedAt: now };
    state.tokens = Math.min(capacity, state.tokens + (now - state.updatedAt) * (capacity / 60_000));
    state.updatedAt = now;
    this.buckets.set(rule.key, state);
    return state;
  }

  private take(request: AdmitRequest, want: number): LeaseResult {
    const now = Date.now();
    const revoked = this.isRevoked(request, now);
    let allowed = true;
    let limit = 0;
    let remaining = Number.POSITIVE_INFINITY;
    let resetSeconds = 0;
    let retryAfterSeconds = 0;
    let fewest = Number.POSITIVE_INFINITY;
    const states: Bucket[] = [];
    for (const rule of request.buckets) {
      const perMs = Math.max(1, rule.per_minute) / 60_000;
      const state = this.refilled(rule, now);
      states.push(state);
      fewest = Math.min(fewest, state.tokens);
      if (state.tokens < 1) {
        allowed = false;
        retryAfterSeconds = Math.max(retryAfterSeconds, Math.ceil((1 - state.tokens) / perMs / 1000));
      }
    }
    // Deduct only when every bucket admits the request, so a refusal costs nothing.
    let granted = 0;
    if (allowed && !revoked) {
      granted = Number.isFinite(fewest) ? Math.max(1, Math.min(want, Math.floor(fewest * LEASE_SHARE))) : want;
      for (const state of states) state.tokens -= granted;
    }
    request.buckets.forEach((rule, i) => {
      const capacity = Math.max(1, rule.per_minute);
      const left = Math.floor(states[i]!.tokens);
      if (left < remaining || (left === remaining && capacity < limit)) {
        remaining = left;
        limit = capacity;
        resetSeconds = Math.ceil((capacity - states[i]!.tokens) / (capacity / 60));
      }
    });
    if (!Number.isFinite(remaining)) remaining = 0;
    if (this.buckets.size > MAX_RESIDENT_BUCKETS && now - this.prunedAt >= IDLE_BUCKET_MS) {
      this.prunedAt = now;
      for (const [key, state] of this.buckets) if (now - state.updatedAt >= IDLE_BUCKET_MS) this.buckets.delete(key);
    }
    return { allowed, limit, remaining: Math.max(0, remaining), resetSeconds, retryAfterSeconds, revoked, granted };
  }

  /** Access tokens of these sessions stop working at once. */
  revokeSessions(sessionIds: string[]): void {
    const now = Date.now();
    for (const id of sessionIds) {
      this.revokedSessions.set(id, now);
      this.sql.exec(
        'INSERT OR REPLACE INTO revocations (kind, id, at, expires) VALUES (?, ?, ?, ?)',
        'session',
        id,
        now,
        now + REVOCATION_TTL_MS,
      );
    }
  }

  /** These API keys stop working at once, also in isolates that still hold them as verified. */
  revokeApiKeys(apiKeyIds: string[]): void {
    const now = Date.now();
    for (const [id, at] of this.revokedKeys) if (at < now - KEY_REVOCATION_TTL_MS) this.revokedKeys.delete(id);
    this.sql.exec('DELETE FROM revocations WHERE kind = ? AND expires < ?', 'key', now);
    for (const id of apiKeyIds) {
      this.revokedKeys.set(id, now);
      this.sql.exec(
        'INSERT OR REPLACE INTO revocations (kind, id, at, expires) VALUES (?, ?, ?, ?)',
        'key',
        id,
        now,
        now + KEY_REVOCATION_TTL_MS,
      );
    }
  }

  /** Access tokens of this user issued before now must be refreshed (e.g. after a role change). */
  invalidateUserTokens(userId: string): void {
    // Token `iat` has one-second resolution: anything issued in this second or earlier is stale.
    const at = Math.floor(Date.now() / 1000) * 1000 + 1000;
    this.userNotBefore.set(userId, at);
    this.sql.exec(
      'INSERT OR REPLACE INTO revocations (kind, id, at, expires) VALUES (?, ?, ?, ?)',
      'user',
      userId,
      at,
      at + REVOCATION_TTL_MS,
    );
  }

  private isRevoked(request: AdmitRequest, now: number): boolean {
    if (request.sessionId && this.revokedSessions.has(request.sessionId)) return true;
    if (request.apiKeyId && this.revokedKeys.has(request.apiKeyId)) return true;
    if (request.userId && request.issuedAt != null) {
      const notBefore = this.userNotBefore.get(request.userId);
      if (notBefore !== undefined && notBefore > now - REVOCATION_TTL_MS && request.issuedAt * 1000 < notBefore) {
        return true;
      }
    }
    return false;
  }
}
