/**
 * `items` cut into consecutive slices of at most `size`: D1 statements under their 100 bound
 * parameters, Vectorize calls under their batch limits, embedding calls under the model's.
 */
export const batches = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};
