import { describe, expect, it } from 'vitest';
import { syntheticCluster, syntheticVector, syntheticVectors } from './synthetic';
import { dot } from './vector-math';

describe('syntheticVectors', () => {
  it('is deterministic, unit length, and vector i does not depend on the count', () => {
    const a = syntheticVectors(50, 384, 42);
    const b = syntheticVectors(200, 384, 42);
    expect(a).toHaveLength(50);
    for (let i = 0; i < 50; i++) {
      expect(Array.from(a[i])).toEqual(Array.from(b[i]));
      expect(Array.from(syntheticVector(i, 384, 42))).toEqual(Array.from(a[i]));
      expect(dot(a[i], a[i])).toBeCloseTo(1, 5);
    }
    expect(Array.from(syntheticVector(0, 384, 43))).not.toEqual(Array.from(a[0]));
  });

  it('has cluster structure: same-cluster pairs are far closer than cross-cluster pairs', () => {
    const n = 400;
    const vectors = syntheticVectors(n, 128, 9, { clusters: 8 });
    let same = 0;
    let sameN = 0;
    let cross = 0;
    let crossN = 0;
    for (let i = 0; i < n; i += 3) {
      for (let j = i + 1; j < n; j += 7) {
        const s = dot(vectors[i], vectors[j]);
        if (syntheticCluster(i, 9, { clusters: 8 }) === syntheticCluster(j, 9, { clusters: 8 })) {
          same += s;
          sameN++;
        } else {
          cross += s;
          crossN++;
        }
      }
    }
    expect(same / sameN).toBeGreaterThan(0.5);
    expect(Math.abs(cross / crossN)).toBeLessThan(0.1);
    expect(new Set(Array.from({ length: n }, (_, i) => syntheticCluster(i, 9, { clusters: 8 }))).size).toBe(8);
  });
});
