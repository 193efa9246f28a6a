import { cosine } from './vectors';

/**
 * The live entries of one organization's cache as the object keeps them in memory: by exact key,
 * and per scope for the similarity scan, so a lookup compares a prompt only with the entries that
 * could answer it. Answers stay in SQLite (read on a hit only), so memory holds keys and vectors.
 */
export interface IndexedEntry {
  id: number;
  scope: string;
  promptHash: string;
  guard: string;
  embeddingModel: string | null;
  vector: Float32Array | null;
  createdAt: number;
  expiresAt: number;
  /** The last hit, or the creation: what least-recently-used eviction orders by. */
  usedAt: number;
}

export interface SimilarQuery {
  scope: string;
  guard: string;
  embeddingModel: string | null;
  vector: Float32Array | null;
  threshold: number;
  now: number;
}

export interface IndexMatch {
  entry: IndexedEntry;
  match: 'exact' | 'similar';
  similarity: number;
}

const live = (entry: IndexedEntry, now: number) => entry.expiresAt > now;

export class CacheIndex {
  private readonly byId = new Map<number, IndexedEntry>();
  private readonly byHash = new Map<string, IndexedEntry>();
  private readonly byScope = new Map<string, Set<IndexedEntry>>();

  get size(): number {
    return this.byId.size;
  }

  /** Adds an entry, replacing the one with the same exact key. */
  add(entry: IndexedEntry): void {
    const previous = this.byHash.get(entry.promptHash);
    if (previous) this.remove(previous.id);
    this.byId.set(entry.id, entry);
    this.byHash.set(entry.promptHash, entry);
    let scoped = this.byScope.get(entry.scope);
    if (!scoped) {
      scoped = new Set();
      this.byScope.set(entry.scope, scoped);
    }
    scoped.add(entry);
  }

  remove(id: number): void {
    const entry = this.byId.get(id);
    if (!entry) return;
    this.byId.delete(id);
    this.byHash.delete(entry.promptHash);
    const scoped = this.byScope.get(entry.scope);
    scoped?.delete(entry);
    if (scoped?.size === 0) this.byScope.delete(entry.scope);
  }

  clear(): void {
    this.byId.clear();
    this.byHash.clear();
    this.byScope.clear();
  }

  get(id: number): IndexedEntry | undefined {
    return this.byId.get(id);
  }

  /**
   * The entry that answers: the live one with this exact key, else the most similar live entry of the
   * scope (same embedding model and dimensions, same guard) at or above the threshold, the newest of
   * equals. Null when none does.
   */
  lookup(promptHash: string, query: SimilarQuery): IndexMatch | null {
    const exact = this.byHash.get(promptHash);
    if (exact && exact.scope === query.scope && live(exact, query.now)) {
      return { entry: exact, match: 'exact', similarity: 1 };
    }
    const { vector } = query;
    if (!vector) return null;
    let best: IndexMatch | null = null;
    for (const entry of this.byScope.get(query.scope) ?? []) {
      if (!entry.vector || entry.embeddingModel !== query.embeddingModel || entry.guard !== query.guard) continue;
      if (!live(entry, query.now)) continue;
      const similarity = cosine(entry.vector, vector);
      if (similarity < query.threshold) continue;
      if (
        !best ||
        similarity > best.similarity ||
        (similarity === best.similarity && entry.createdAt > best.entry.createdAt)
      ) {
        best = { entry, match: 'similar', similarity };
      }
    }
    return best;
  }

  /** Entries expired by `now`. */
  expired(now: number): IndexedEntry[] {
    return [...this.byId.values()].filter((entry) => !live(entry, now));
  }

  /**
   * What must go for the index to hold at most `max` entries: the expired ones first, then the least
   * recently used (oldest `usedAt`, then the lowest id).
   */
  overCap(max: number, now: number): { expired: IndexedEntry[]; evicted: IndexedEntry[] } {
    const expired = this.expired(now);
    const excess = this.size - expired.length - max;
    if (excess <= 0) return { expired, evicted: [] };
    const gone = new Set(expired);
    const evicted = [...this.byId.values()]
      .filter((entry) => !gone.has(entry))
      .sort((a, b) => a.usedAt - b.usedAt || a.id - b.id)
      .slice(0, excess);
    return { expired, evicted };
  }
}
