/** The records with later duplicates of an id replacing earlier ones (upsert semantics within a call). */
export const lastById = <T extends { id: string }>(records: readonly T[]): T[] => [
  ...new Map(records.map((r) => [r.id, r])).values(),
];
