/** `items` cut into consecutive slices of at most `size`. */
export const batches = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

/** The records with later duplicates of an id replacing earlier ones (upsert semantics within a call). */
export const lastById = <T extends { id: string }>(records: readonly T[]): T[] => [
  ...new Map(records.map((r) => [r.id, r])).values(),
];
