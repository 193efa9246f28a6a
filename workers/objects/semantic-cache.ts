import { DurableObject } from 'cloudflare:workers';
import {
  AI_CACHE_LIMITS,
  CACHE_SCHEMA,
  type CachedAnswer,
  CacheIndex,
  type CacheLookup,
  type CacheLookupResult,
  type CacheObjectStats,
  type CacheStore,
  type CacheStoreResult,
  type IndexedEntry,
  vectorBytes,
  vectorFromBytes,
} from '@flowspark/ai-cache';
import type { Env } from '../env';

/** Rows read per statement while loading, so no single result holds the whole table. */
const LOAD_PAGE = 1_000;

interface EntryRow extends Record<string, SqlStorageValue> {
  id: number;
  scope: string;
  prompt_hash: string;
  guard: string;
  embedding_model: string | null;
  embedding: ArrayBuffer | null;
  created_at: number;
  expires_at: number;
  last_hit_at: number | null;
}

interface StateRow extends Record<string, SqlStorageValue> {
  org_id: string;
  counting_since: number | null;
  exact_hits: number;
  similar_hits: number;
  misses: number;
  tokens_saved: number;
}

const indexed = (row: EntryRow): IndexedEntry => ({
  id: row.id,
  scope: row.scope,
  promptHash: row.prompt_hash,
  guard: row.guard,
  embeddingModel: row.embedding_model,
  vector: vectorFromBytes(row.embedding),
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  usedAt: row.last_hit_at ?? row.created_at,
});

/**
 * The semantic cache of one organization's LLM answers (named by its id, so tenants never share
 * one): entries in the object's SQLite storage, and their keys and embeddings in memory after the
 * first lookup, so a lookup is a scan of the scope's vectors and, on a hit, one row read. Every call
 * runs synchronously on storage (nothing awaited), so calls apply one at a time. Expired entries are
 * skipped by lookups and deleted by stores and by an alarm at the next expiry.
 */
export class SemanticCache extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private orgId: string | null;
  private index: CacheIndex | null = null;
  /** The alarm's time as last set (ms), or null when none is set. */
  private alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    for (const statement of CACHE_SCHEMA) this.sql.exec(statement);
    this.orgId =
      this.sql.exec<{ org_id: string }>('SELECT org_id FROM state WHERE id = 1').toArray()[0]?.org_id ?? null;
    ctx.blockConcurrencyWhile(async () => {
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  /** The exact entry, else the best similar one of the scope at or above the threshold, else a miss. */
  async lookup(orgId: string, query: CacheLookup): Promise<CacheLookupResult> {
    this.claim(orgId);
    const index = this.loaded();
    const found = index.lookup(query.prompt_hash, {
      scope: query.scope,
      guard: query.guard,
      embeddingModel: query.embedding_model,
      vector: query.vector,
      threshold: query.threshold,
      now: query.now,
    });
    if (!found) {
      this.count('misses', 0, query.now);
      return { status: 'miss' };
    }
    const row = this.sql
      .exec<{ answer: string }>('SELECT answer FROM entries WHERE id = ?', found.entry.id)
      .toArray()[0];
    if (!row) {
      // Deleted behind the index's back (it never is): forget it and answer as a miss.
      index.remove(found.entry.id);
      this.count('misses', 0, query.now);
      return { status: 'miss' };
    }
    const answer = JSON.parse(row.answer) as CachedAnswer;
    this.sql.exec(
      'UPDATE entries SET hits = hits + 1, last_hit_at = ? WHERE id = ?',
      Math.max(query.now, found.entry.createdAt),
      found.entry.id,
    );
    found.entry.usedAt = Math.max(found.entry.usedAt, query.now);
    this.count(found.match === 'exact' ? 'exact_hits' : 'similar_hits', answer.usage.total_tokens, query.now);
    return {
      status: 'hit',
      match: found.match,
      similarity: found.similarity,
      answer,
      cached_at: found.entry.createdAt,
    };
  }

  /**
   * Keeps an answer under its exact key (replacing the key's previous answer), then removes expired
   * entries and, past the cap, the least recently used ones.
   */
  async store(orgId: string, entry: CacheStore): Promise<CacheStoreResult> {
    this.claim(orgId);
    const answer = JSON.stringify(entry.answer);
    if (answer.length > AI_CACHE_LIMITS.answerChars) return { stored: false, evicted: 0 };
    const index = this.loaded();
    const ttl = Math.max(1_000, Math.min(entry.ttl_ms, AI_CACHE_LIMITS.maxTtlSeconds * 1000));
    const expiresAt = entry.now + ttl;
    const vector = entry.vector && entry.vector.length > 0 ? entry.vector : null;
    let evicted: IndexedEntry[] = [];
    this.ctx.storage.transactionSync(() => {
      const id = this.sql
        .exec<{ id: number }>(
          `INSERT INTO entries (scope, prompt_hash, guard, embedding_model, embedding, answer, created_at, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (prompt_hash) DO UPDATE SET scope = excluded.scope, guard = excluded.guard,
             embedding_model = excluded.embedding_model, embedding = excluded.embedding, answer = excluded.answer,
             created_at = excluded.created_at, expires_at = excluded.expires_at, hits = 0, last_hit_at = NULL
           RETURNING id`,
          entry.scope,
          entry.prompt_hash,
          entry.guard,
          vector ? entry.embedding_model : null,
          vector ? vectorBytes(vector) : null,
          answer,
          entry.now,
          expiresAt,
        )
        .one().id;
      index.add({
        id,
        scope: entry.scope,
        promptHash: entry.prompt_hash,
        guard: entry.guard,
        embeddingModel: vector ? entry.embedding_model : null,
        vector,
        createdAt: entry.now,
        expiresAt,
        usedAt: entry.now,
      });
      const cap = Math.max(1, Math.min(entry.max_entries, AI_CACHE_LIMITS.maxEntries));
      const gone = index.overCap(cap, entry.now);
      evicted = gone.evicted;
      this.delete(index, [...gone.expired, ...gone.evicted]);
    });
    this.armAlarm(expiresAt);
    return { stored: true, evicted: evicted.length };
  }

  /** Deletes every entry and starts counting again. */
  async purge(orgId: string): Promise<{ deleted: number }> {
    this.claim(orgId);
    const deleted = this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM entries').one().n;
    this.ctx.storage.transactionSync(() => {
      this.sql.exec('DELETE FROM entries');
      this.sql.exec(
        'UPDATE state SET counting_since = NULL, exact_hits = 0, similar_hits = 0, misses = 0, tokens_saved = 0 WHERE id = 1',
      );
    });
    this.index?.clear();
    return { deleted };
  }

  async stats(orgId: string, now = Date.now()): Promise<CacheObjectStats> {
    this.claim(orgId);
    const entries = this.sql
      .exec<{ n: number; oldest: number | null; newest: number | null }>(
        'SELECT COUNT(*) AS n, MIN(created_at) AS oldest, MAX(created_at) AS newest FROM entries WHERE expires_at > ?',
        now,
      )
      .one();
    const state = this.state();
    return {
      entries: entries.n,
      hits: (state?.exact_hits ?? 0) + (state?.similar_hits ?? 0),
      exact_hits: state?.exact_hits ?? 0,
      similar_hits: state?.similar_hits ?? 0,
      misses: state?.misses ?? 0,
      tokens_saved: state?.tokens_saved ?? 0,
      counting_since: state?.counting_since ?? null,
      oldest_entry_at: entries.oldest,
      newest_entry_at: entries.newest,
    };
  }

  /** Removes what expired, and wakes again at the next expiry. */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    const now = Date.now();
    const ids = this.sql
      .exec<{ id: number }>('DELETE FROM entries WHERE expires_at <= ? RETURNING id', now)
      .toArray()
      .map((r) => r.id);
    for (const id of ids) this.index?.remove(id);
    const next = this.sql.exec<{ at: number | null }>('SELECT MIN(expires_at) AS at FROM entries').one().at;
    if (next !== null) this.armAlarm(next);
  }

  /** One object, one organization: the first call names it, and calls for another are refused. */
  private claim(orgId: string): void {
    if (this.orgId === orgId) return;
    if (this.orgId !== null) throw new Error('This semantic cache belongs to another organization');
    this.sql.exec('INSERT OR IGNORE INTO state (id, org_id) VALUES (1, ?)', orgId);
    this.orgId = orgId;
  }

  private state(): StateRow | undefined {
    return this.sql
      .exec<StateRow>(
        'SELECT org_id, counting_since, exact_hits, similar_hits, misses, tokens_saved FROM state WHERE id = 1',
      )
      .toArray()[0];
  }

  private count(counter: 'exact_hits' | 'similar_hits' | 'misses', tokensSaved: number, now: number): void {
    this.sql.exec(
      `UPDATE state SET ${counter} = ${counter} + 1, tokens_saved = tokens_saved + ?,
         counting_since = COALESCE(counting_since, ?) WHERE id = 1`,
      Math.max(0, Math.round(tokensSaved)),
      now,
    );
  }

  /** The index, loaded from storage on first use (live entries only: the rest goes at the next store). */
  private loaded(): CacheIndex {
    if (this.index) return this.index;
    const index = new CacheIndex();
    let after = 0;
    for (;;) {
      const rows = this.sql
        .exec<EntryRow>(
          `SELECT id, scope, prompt_hash, guard, embedding_model, embedding, created_at, expires_at, last_hit_at
           FROM entries WHERE id > ? ORDER BY id LIMIT ?`,
          after,
          LOAD_PAGE,
        )
        .toArray();
      for (const row of rows) index.add(indexed(row));
      if (rows.length < LOAD_PAGE) break;
      after = rows.at(-1)!.id;
    }
    this.index = index;
    return index;
  }

  private delete(index: CacheIndex, entries: IndexedEntry[]): void {
    if (entries.length === 0) return;
    this.sql.exec(
      'DELETE FROM entries WHERE id IN (SELECT value FROM json_each(?))',
      JSON.stringify(entries.map((e) => e.id)),
    );
    for (const entry of entries) index.remove(entry.id);
  }

  /** The alarm at `at`, unless one is set sooner already. */
  private armAlarm(at: number): void {
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    this.alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }
}
