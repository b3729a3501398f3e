import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { approxBalanced2Means, balanced2Means, balancedKMeans, meanCentroidSimilarity, purity, targetClusterCount } from '../../../src/ngame/cluster';
import type { Clustering } from '../../../src/ngame/cluster';
import { selectSmallest } from '../../../src/ngame/cluster/select';
import { mat } from '../../../src/ngame/matrix';
import { planted, randomMat } from './helpers';

function expectPartition(c: Clustering, n: number): void {
  const seen = new Int32Array(n);
  c.clusters.forEach((members, id) => {
    for (const p of members) {
      seen[p]++;
      expect(c.assign[p]).toBe(id);
    }
  });
  for (let i = 0; i < n; i++) expect(seen[i]).toBe(1);
}

const sizeCase = fc
  .record({ n: fc.integer({ min: 1, max: 400 }), d: fc.integer({ min: 1, max: 12 }), seed: fc.integer({ min: 0, max: 1e6 }), frac: fc.double({ min: 0, max: 1, noNaN: true }) })
  .map(({ n, d, seed, frac }) => ({ n, d, seed, s: 1 + Math.floor(frac * (n - 1)) }));

describe('balanced2Means', () => {
  it('partitions the points; siblings differ by at most 1; sizes in [floor(s/2), s]', () => {
    fc.assert(
      fc.property(sizeCase, ({ n, d, seed, s }) => {
        const x = randomMat(n, d, seed);
        const r = balanced2Means(x, { clusterSize: s, seed, keepLevels: true });
        expectPartition(r, n);
        const C = targetClusterCount(n, s);
        expect(r.clusters.length).toBe(Math.min(C, n));
        for (const c of r.clusters) {
          expect(c.length).toBeLessThanOrEqual(s);
          expect(c.length).toBeGreaterThanOrEqual(Math.floor(s / 2));
          expect(c.length).toBeGreaterThanOrEqual(1);
        }
        // the tree: each level's ranges nest in the previous level's, splits are balanced
        const levels = r.levels!;
        expect(levels[0]).toEqual(Int32Array.from([0, n]));
        for (let L = 1; L < levels.length; L++) {
          const parent = levels[L - 1], child = new Set(levels[L]);
          for (const b of parent) expect(child.has(b)).toBe(true);
          for (let c = 0; c + 1 < parent.length; c++) {
            const inside = levels[L].filter((b) => b > parent[c] && b < parent[c + 1]);
            const size = parent[c + 1] - parent[c];
            if (size < 2) expect(inside.length).toBe(0);
            else {
              expect(inside.length).toBe(1);
              const left = inside[0] - parent[c], right = parent[c + 1] - inside[0];
              expect(Math.abs(left - right)).toBeLessThanOrEqual(1);
            }
          }
        }
        // the final ranges of the tree are the clusters
        const last = levels[levels.length - 1];
        for (let c = 0; c + 1 < last.length; c++) {
          const members = Array.from(r.order!.subarray(last[c], last[c + 1])).sort((a, b) => a - b);
          expect(members).toEqual(Array.from(r.clusters[c]));
        }
      }),
      { seed: 42, numRuns: 40 },
    );
  });

  it('recovers planted clusters (purity >= 0.95 at the planted size)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }), fc.integer({ min: 4, max: 32 }), fc.integer({ min: 8, max: 32 }), fc.integer({ min: 0, max: 1e6 }),
        (logK, size, d, seed) => {
          const { x, labels } = planted(2 ** logK, size, d, 0.1, seed);
          const r = balanced2Means(x, { clusterSize: size, seed });
          expect(purity(r.assign, labels)).toBeGreaterThanOrEqual(0.95);
        },
      ),
      { seed: 42, numRuns: 20 },
    );
  });

  it('is deterministic for a seed and handles zero rows', () => {
    const x = randomMat(300, 8, 5);
    x.data.fill(0, 0, 8 * 10); // ten zero rows
    const a = balanced2Means(x, { clusterSize: 20, seed: 9 });
    const b = balanced2Means(x, { clusterSize: 20, seed: 9 });
    expect(Array.from(a.assign)).toEqual(Array.from(b.assign));
    expectPartition(a, 300);
  });

  it('rejects bad input with clear errors', () => {
    const x = randomMat(10, 4, 1);
    expect(() => balanced2Means(x, { clusterSize: 0 })).toThrow(/clusterSize must be an integer >= 1/);
    expect(() => balanced2Means(x, { clusterSize: 11 })).toThrow(/larger than the number of points 10/);
    const bad = mat(2, 2, Float32Array.from([1, NaN, 0, 1]));
    expect(() => balanced2Means(bad, { clusterSize: 1 })).toThrow(/non-finite value NaN at row 0, column 1/);
  });
});

describe('approxBalanced2Means', () => {
  it('partitions with the exact method\'s sizes and comparable quality', () => {
    fc.assert(
      fc.property(fc.integer({ min: 500, max: 3000 }), fc.integer({ min: 2, max: 16 }), fc.integer({ min: 0, max: 1e6 }), (n, d, seed) => {
        const x = randomMat(n, d, seed);
        const s = 16;
        const a = approxBalanced2Means(x, { clusterSize: s, seed, sampleSize: 256 });
        expectPartition(a, n);
        expect(a.clusters.length).toBe(targetClusterCount(n, s));
        for (const c of a.clusters) expect(c.length <= s && c.length >= s / 2).toBe(true);
        const e = balanced2Means(x, { clusterSize: s, seed });
        expect(meanCentroidSimilarity(x, a.assign)).toBeGreaterThan(0.8 * meanCentroidSimilarity(x, e.assign));
      }),
      { seed: 42, numRuns: 8 },
    );
  });

  it('with a sample too small for the whole tree, routes the top levels and splits the rest exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 900 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 97 }), fc.integer({ min: 0, max: 1e6 }), (n, d, sRaw, mRaw, seed) => {
        const s = Math.min(sRaw, n);
        const x = randomMat(n, d, seed);
        const a = approxBalanced2Means(x, { clusterSize: s, seed, sampleSize: mRaw });
        expectPartition(a, n);
        const e = balanced2Means(x, { clusterSize: s, seed });
        // the same number of clusters and the same sizes as the exact method (balanced halving)
        expect(a.clusters.map((c) => c.length).sort((p, q) => p - q)).toEqual(e.clusters.map((c) => c.length).sort((p, q) => p - q));
      }),
      { seed: 43, numRuns: 60 },
    );
    // planted directions: the routed tree with exact lower levels keeps most of the quality
    const { x } = planted(128, 16, 24, 0.3, 9);
    const e = meanCentroidSimilarity(x, balanced2Means(x, { clusterSize: 2, seed: 4 }).assign);
    const a = approxBalanced2Means(x, { clusterSize: 2, seed: 4, sampleSize: 256 }); // top 128 of 1,024 clusters routed
    expect(a.sampleSize).toBe(256);
    expect(meanCentroidSimilarity(x, a.assign)).toBeGreaterThan(0.95 * e);
  });
});

describe('balancedKMeans', () => {
  it('sizes are floor/ceil of N/k and every point is assigned once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 1e6 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, d, seed, f) => {
        const k = 1 + Math.floor(f * (n - 1));
        const r = balancedKMeans(randomMat(n, d, seed), { k, seed });
        expectPartition(r, n);
        for (const c of r.clusters) expect(c.length === Math.floor(n / k) || c.length === Math.ceil(n / k)).toBe(true);
      }),
      { seed: 42, numRuns: 40 },
    );
  });

  it('recovers planted clusters', () => {
    const { x, labels } = planted(16, 20, 16, 0.1, 3);
    expect(purity(balancedKMeans(x, { k: 16, seed: 1, maxIter: 20 }).assign, labels)).toBeGreaterThanOrEqual(0.9);
    expect(() => balancedKMeans(x, { k: 1000 })).toThrow(/k = 1000 is larger than the number of points 320/);
  });
});

describe('selectSmallest', () => {
  it('puts the kth smallest (key, id) pairs first, ties by id', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 1, maxLength: 60 }), fc.nat(), (vals, kRaw) => {
        const n = vals.length, kth = kRaw % (n + 1);
        const key = Float64Array.from(vals), id = Int32Array.from(vals, (_, i) => i);
        selectSmallest(key, id, n, kth);
        const sorted = vals.map((v, i) => [v, i]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).slice(0, kth).map((p) => p[1]).sort((a, b) => a - b);
        expect(Array.from(id.subarray(0, kth)).sort((a, b) => a - b)).toEqual(sorted);
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
