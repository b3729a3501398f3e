// The choice between the exact and the sampled balanced 2-means by size, and its report
// (src/ngame/cluster/choose.ts).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  EXACT_CLUSTERING, approxBalanced2Means, balanced2Means, checkClusteringChoice, clusterPoints, clusteringMethod, meanCentroidSimilarity,
  targetClusterCount, type ClusteringChoice,
} from '../../../src/ngame/cluster';
import { planted, randomMat } from './helpers';

const auto = (autoAbove: number, more: Partial<ClusteringChoice> = {}): ClusteringChoice => ({ method: 'auto', autoAbove, sampleSize: 0, checkPoints: 0, ...more });

describe('clusterPoints', () => {
  it('at or below the threshold runs the exact method exactly as balanced2Means alone', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 1e6 }), (n, d, size, seed) => {
        const x = randomMat(n, d, seed);
        const s = Math.min(size, n);
        const want = balanced2Means(x, { clusterSize: s, seed });
        for (const choice of [EXACT_CLUSTERING, auto(n)]) {
          const { clustering, report } = clusterPoints(x, size, seed, choice);
          expect(clustering.clusters).toEqual(want.clusters);
          expect(report.method).toBe('exact');
          expect(report.points).toBe(n);
          expect(report.clusters).toBe(want.clusters.length);
          expect(report.minSize).toBe(Math.min(...want.clusters.map((c) => c.length)));
          expect(report.maxSize).toBe(Math.max(...want.clusters.map((c) => c.length)));
          expect(report.quality).toBe(meanCentroidSimilarity(x, want.assign));
          expect(report.check).toBeUndefined();
        }
      }),
      { seed: 11, numRuns: 30 },
    );
  });

  it('above the threshold samples: balanced clusters, its sample size and the check against the exact method on a sample', () => {
    const { x } = planted(64, 24, 16, 0.3, 5); // 1,536 points in 64 directions
    const { clustering, report } = clusterPoints(x, 4, 3, auto(1000, { checkPoints: 500 }));
    expect(report.method).toBe('sampled');
    expect(report.sampleSize).toBe(Math.ceil(1536 / 8));
    expect(clustering.clusters.length).toBe(targetClusterCount(1536, 4));
    expect(report.minSize).toBeGreaterThanOrEqual(2);
    expect(report.maxSize).toBeLessThanOrEqual(4);
    expect(report.quality).toBeCloseTo(meanCentroidSimilarity(x, clustering.assign), 12);
    // the same as the sampled method called alone with that sample
    expect(clustering.clusters).toEqual(approxBalanced2Means(x, { clusterSize: 4, seed: 3, sampleSize: 192 }).clusters);
    const c = report.check!;
    expect(c.points).toBe(500);
    expect(c.ratio).toBeCloseTo(c.sampled / c.exact, 12);
    expect(c.ratio).toBeGreaterThan(0.9);
    expect(c.ratio).toBeLessThan(1.1);
    // every point in exactly one cluster
    const seen = new Int32Array(1536);
    for (const m of clustering.clusters) for (const p of m) seen[p]++;
    expect(seen.every((v) => v === 1)).toBe(true);
  });

  it('method sampled with an explicit sample size; no check when checkPoints is 0', () => {
    const x = randomMat(400, 6, 2);
    const { report } = clusterPoints(x, 8, 1, { method: 'sampled', autoAbove: 0, sampleSize: 100, checkPoints: 0 });
    expect(report.method).toBe('sampled');
    expect(report.sampleSize).toBe(100);
    expect(report.check).toBeUndefined();
    expect(clusteringMethod({ ...EXACT_CLUSTERING, method: 'sampled' }, 1)).toBe('sampled');
    expect(clusteringMethod(auto(10), 10)).toBe('exact');
    expect(clusteringMethod(auto(10), 11)).toBe('sampled');
  });

  it('refuses a bad choice, naming the key', () => {
    expect(() => checkClusteringChoice({ ...EXACT_CLUSTERING, method: 'fast' as 'exact' }, 'cfg')).toThrow(/cfg: clustering.method must be exact, sampled or auto, got "fast"/);
    expect(() => checkClusteringChoice(auto(-1), 'cfg')).toThrow(/clustering.autoAbove must be a non-negative integer, got -1/);
    expect(() => checkClusteringChoice(auto(5, { checkPoints: 1.5 }), 'cfg')).toThrow(/clustering.checkPoints/);
  });
});
