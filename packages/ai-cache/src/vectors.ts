/**
 * Embeddings as the cache keeps them: unit-length Float32Arrays, so cosine similarity is a dot
 * product and a scan over thousands of entries stays within a few milliseconds.
 */

/** The unit vector of `values`, or null when it has no direction (empty, zero or not finite). */
export const unitVector = (values: ArrayLike<number>): Float32Array | null => {
  let norm = 0;
  for (let i = 0; i < values.length; i++) norm += values[i]! * values[i]!;
  norm = Math.sqrt(norm);
  if (!(norm > 0) || !Number.isFinite(norm)) return null;
  const unit = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) unit[i] = values[i]! / norm;
  return unit;
};

/** Cosine similarity of two unit vectors of the same length (-1..1); -1 when the lengths differ. */
export const cosine = (a: Float32Array, b: Float32Array): number => {
  if (a.length !== b.length) return -1;
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot;
};

/** A vector as a SQLite BLOB (its own buffer, never a view into a larger one). */
export const vectorBytes = (vector: Float32Array): ArrayBuffer =>
  vector.buffer.slice(vector.byteOffset, vector.byteOffset + vector.byteLength) as ArrayBuffer;

/** A BLOB back into a vector; null for a missing or malformed one. */
export const vectorFromBytes = (bytes: ArrayBuffer | null): Float32Array | null =>
  bytes && bytes.byteLength > 0 && bytes.byteLength % 4 === 0 ? new Float32Array(bytes.slice(0)) : null;
