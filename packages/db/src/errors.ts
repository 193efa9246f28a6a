/**
 * True when a D1 error (possibly wrapped by drizzle, whose error carries D1's as its cause) is a
 * UNIQUE violation, on `column` (`table.column`) when one is given.
 */
export const isUniqueViolation = (err: unknown, column?: string): boolean => {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e.message.includes('UNIQUE constraint failed') && (column === undefined || e.message.includes(column)))
      return true;
  }
  return false;
};
