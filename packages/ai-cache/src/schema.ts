/**
 * The SemanticCache object's SQLite tables. `entries` holds one answer per exact key (a newer answer
 * for the same key replaces it); `state` the organization the object serves and its counters.
 * Embeddings are Float32 BLOBs; answers JSON ({text, model, provider, usage}).
 */
export const CACHE_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scope TEXT NOT NULL,
    prompt_hash TEXT NOT NULL UNIQUE,
    guard TEXT NOT NULL,
    embedding_model TEXT,
    embedding BLOB,
    answer TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    hits INTEGER NOT NULL DEFAULT 0,
    last_hit_at INTEGER)`,
  'CREATE INDEX IF NOT EXISTS entries_expires ON entries (expires_at)',
  `CREATE TABLE IF NOT EXISTS state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    org_id TEXT NOT NULL,
    counting_since INTEGER,
    exact_hits INTEGER NOT NULL DEFAULT 0,
    similar_hits INTEGER NOT NULL DEFAULT 0,
    misses INTEGER NOT NULL DEFAULT 0,
    tokens_saved INTEGER NOT NULL DEFAULT 0)`,
] as const;
