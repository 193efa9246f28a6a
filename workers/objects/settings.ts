/** A Durable Object's `settings` table (key → value), read once when the object starts. */
export const readSettings = (sql: SqlStorage): Map<string, string> =>
  new Map(
    sql
      .exec<{ key: string; value: string }>('SELECT key, value FROM settings')
      .toArray()
      .map((r) => [r.key, r.value]),
  );
