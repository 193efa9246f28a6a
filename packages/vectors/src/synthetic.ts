/**
 * Deterministic test vectors for benchmarks and tests: unit vectors drawn around a fixed set of
 * cluster centres, so nearest-neighbour search has structure to find (members of one cluster are
 * closer to each other than to other clusters) instead of the near-orthogonal noise of uniform
 * random vectors. Pure: the same (index, dims, seed, options) always gives the same vector, and
 * vector `i` does not depend on how many are generated, so 10,000 vectors are a prefix of 100,000
 * and indexes beyond the stored count are fresh queries from the same distribution.
 */
export interface SyntheticOptions {
  /** Number of cluster centres (default 32). */
  clusters?: number;
  /** Noise norm relative to the unit centre (default 0.8: same-cluster cosine ≈ 0.6, across ≈ 0). */
  spread?: number;
}

/** A 32-bit mix of two integers (a murmur3 finaliser): independent streams per (seed, stream). */
const mix = (a: number, b: number): number => {
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
};

/** mulberry32: a small, fast, well-distributed PRNG. */
const prng = (state: number) => () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/** Standard normal samples (Box–Muller). */
const gaussian = (random: () => number) => () => {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
};

const normalizeInPlace = (v: Float32Array): Float32Array => {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  const inv = 1 / Math.sqrt(sum || 1);
  for (let i = 0; i < v.length; i++) v[i] *= inv;
  return v;
};

const centre = (cluster: number, dims: number, seed: number): Float32Array => {
  const g = gaussian(prng(mix(seed, 0x7fffffff - cluster)));
  return normalizeInPlace(Float32Array.from({ length: dims }, g));
};

const around = (c: Float32Array, index: number, seed: number, spread: number): Float32Array => {
  const g = gaussian(prng(mix(seed, index)));
  const sigma = spread / Math.sqrt(c.length);
  const v = new Float32Array(c.length);
  for (let i = 0; i < c.length; i++) v[i] = c[i] + sigma * g();
  return normalizeInPlace(v);
};

/** The cluster vector `index` belongs to. */
export const syntheticCluster = (index: number, seed: number, options: SyntheticOptions = {}): number =>
  mix(seed ^ 0x5bd1e995, index) % (options.clusters ?? 32);

/** Vector number `index` of the synthetic set. */
export const syntheticVector = (
  index: number,
  dims: number,
  seed: number,
  options: SyntheticOptions = {},
): Float32Array =>
  around(centre(syntheticCluster(index, seed, options), dims, seed), index, seed, options.spread ?? 0.8);

/** Vectors 0…count-1 of the synthetic set (centres computed once). */
export const syntheticVectors = (
  count: number,
  dims: number,
  seed: number,
  options: SyntheticOptions = {},
): Float32Array[] => {
  const centres = new Map<number, Float32Array>();
  const out: Float32Array[] = [];
  for (let i = 0; i < count; i++) {
    const k = syntheticCluster(i, seed, options);
    let c = centres.get(k);
    if (!c) {
      c = centre(k, dims, seed);
      centres.set(k, c);
    }
    out.push(around(c, i, seed, options.spread ?? 0.8));
  }
  return out;
};
