/**
 * Single-use socket tickets kept by the object they open (the job feed, a chat session): only the
 * ticket's SHA-256 is stored, with who it was issued to and when it expires.
 */
export const TICKETS_TABLE =
  'CREATE TABLE IF NOT EXISTS tickets (hash TEXT PRIMARY KEY, claims TEXT NOT NULL, expires INTEGER NOT NULL);';

/** Stores a ticket's hash for `ttlSeconds`, dropping expired ones. */
export const storeTicket = (sql: SqlStorage, hash: string, grant: object, ttlSeconds: number): void => {
  const now = Date.now();
  sql.exec('DELETE FROM tickets WHERE expires < ?', now);
  sql.exec(
    'INSERT INTO tickets (hash, claims, expires) VALUES (?, ?, ?)',
    hash,
    JSON.stringify(grant),
    now + ttlSeconds * 1000,
  );
};

/** Consumes a ticket: it works once, and not after it expired. */
export const takeTicket = <T>(sql: SqlStorage, hash: string): T | null => {
  const [row] = sql
    .exec<{ claims: string; expires: number }>('DELETE FROM tickets WHERE hash = ? RETURNING claims, expires', hash)
    .toArray();
  if (!row || row.expires < Date.now()) return null;
  return JSON.parse(row.claims) as T;
};
