/** A unit-length float32 copy of `values` (all zeros stays all zeros: it scores 0 against everything). */
export const unitVector = (values: ArrayLike<number>): Float32Array => {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] * values[i];
  const out = new Float32Array(values.length);
  if (sum === 0) return out;
  const inv = 1 / Math.sqrt(sum);
  for (let i = 0; i < values.length; i++) out[i] = values[i] * inv;
  return out;
};

/** Dot product of two equal-length vectors, accumulated in float64. */
export const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** Cosine similarity of two unit vectors, clamped to -1..1 (float32 rounding can overshoot 1 slightly). */
export const unitCosine = (a: ArrayLike<number>, b: ArrayLike<number>): number => Math.max(-1, Math.min(1, dot(a, b)));

/**
 * Symmetric int8 quantisation of `dims` values from `source[offset…]` into `out[outOffset…]`:
 * code = round(x / scale) with scale = max|x| / 127. Returns the scale (0 for an all-zero vector).
 */
export const quantize = (
  source: ArrayLike<number>,
  offset: number,
  dims: number,
  out: Int8Array,
  outOffset: number,
): number => {
  let max = 0;
  for (let i = 0; i < dims; i++) max = Math.max(max, Math.abs(source[offset + i]));
  if (max === 0) {
    out.fill(0, outOffset, outOffset + dims);
    return 0;
  }
  const scale = max / 127;
  for (let i = 0; i < dims; i++) out[outOffset + i] = Math.round(source[offset + i] / scale);
  return scale;
};

/** Cosine similarity of two vectors of any length (0 when either is all zeros). */
export const cosineSimilarity = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let product = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    product += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : product / Math.sqrt(na * nb);
};
