// Which balanced 2-means clusters a training run's documents: the exact one (balanced2means.ts)
// up to a size, the sampled one (approx.ts) above it, and what the run log records of the
// result: the method, its balance (smallest and largest cluster), its quality (quality.ts, over
// every point: one O(N·d) pass) and, for the sampled method, its quality against the exact one
// on a fixed sample of the points.
import { Rng } from '../../util/rng';
import { Mat, gatherRows } from '../matrix';
import { balanced2Means, type Clustering } from './balanced2means';
import { approxBalanced2Means } from './approx';
import { meanCentroidSimilarity } from './quality';

export interface ClusteringChoice {
  /** 'exact', 'sampled', or 'auto': sampled when there are more than `autoAbove` points */
  method: 'exact' | 'sampled' | 'auto';
  autoAbove: number;
  /** sampled: points the tree's top levels are grown on; 0 = one in SAMPLE_SHARE of the points */
  sampleSize: number;
  /** sampled: points of the fixed sample both methods are compared on (0 = no comparison) */
  checkPoints: number;
}

/**
 * The sampled method's default sample: one point in 8. Measured on bench/cluster.ts's data
 * (1,000 noisy centres, d = 256, N = 50,000; CPU seconds on a shared 2-core machine): at cluster
 * size 2 it ran 2.4× faster than the exact method at 0.99 of its quality, at size 16 1.8× at
 * 0.90; one in 4 kept 0.99 / 0.94 at 1.6×, one in 16 0.99 / 0.88 at 2.9× / 1.9×.
 */
export const SAMPLE_SHARE = 8;

/** The exact method always: what callers that do not choose get. */
export const EXACT_CLUSTERING: ClusteringChoice = { method: 'exact', autoAbove: 0, sampleSize: 0, checkPoints: 0 };

export interface ClusteringReport {
  method: 'exact' | 'sampled';
  points: number;
  clusters: number;
  minSize: number;
  maxSize: number;
  /** mean cosine of every point to its own cluster's centroid (meanCentroidSimilarity) */
  quality: number;
  /** sampled: the points its tree was grown on */
  sampleSize?: number;
  /**
   * sampled, with checkPoints > 0: on a fixed random sample of `points` of the points (the
   * same cluster size, the same share of them in the tree's sample), the quality of the exact
   * and the sampled method, and sampled / exact (1 when the exact quality is 0: all points zero,
   * as M1's memory bank is before its first forward pass).
   */
  check?: { points: number; exact: number; sampled: number; ratio: number };
}

export function checkClusteringChoice(c: ClusteringChoice, where: string): void {
  if (!['exact', 'sampled', 'auto'].includes(c.method)) throw new Error(`${where}: clustering.method must be exact, sampled or auto, got ${JSON.stringify(c.method)}`);
  for (const k of ['autoAbove', 'sampleSize', 'checkPoints'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 0) throw new Error(`${where}: clustering.${k} must be a non-negative integer, got ${c[k]}`);
  }
}

/** The method `choice` picks for n points. */
export function clusteringMethod(choice: ClusteringChoice, n: number): 'exact' | 'sampled' {
  if (choice.method === 'auto') return n > choice.autoAbove ? 'sampled' : 'exact';
  return choice.method;
}

/**
 * Balanced clusters of about `clusterSize` rows of x (clamped to [1, rows]) by the method
 * `choice` picks, seeded by `seed`; the exact method runs exactly as balanced2Means does alone.
 */
export function clusterPoints(x: Mat, clusterSize: number, seed: number, choice: ClusteringChoice): { clustering: Clustering; report: ClusteringReport } {
  const n = x.rows;
  const s = Math.max(1, Math.min(clusterSize, n));
  const method = clusteringMethod(choice, n);
  if (method === 'exact') {
    const clustering = balanced2Means(x, { clusterSize: s, seed });
    return { clustering, report: { method, ...summary(x, clustering) } };
  }
  const sampleSize = Math.min(n, choice.sampleSize || Math.ceil(n / SAMPLE_SHARE));
  const clustering = approxBalanced2Means(x, { clusterSize: s, seed, sampleSize });
  const report: ClusteringReport = { method, ...summary(x, clustering), sampleSize };
  if (choice.checkPoints > 0) report.check = compareOnSample(x, s, seed, sampleSize / n, choice.checkPoints);
  return { clustering, report };
}

function summary(x: Mat, c: Clustering): Pick<ClusteringReport, 'points' | 'clusters' | 'minSize' | 'maxSize' | 'quality'> {
  let minSize = Infinity, maxSize = 0;
  for (const m of c.clusters) {
    minSize = Math.min(minSize, m.length);
    maxSize = Math.max(maxSize, m.length);
  }
  return { points: x.rows, clusters: c.clusters.length, minSize, maxSize, quality: meanCentroidSimilarity(x, c.assign) };
}

/**
 * Both methods on `points` rows of x drawn with `seed` (all rows when there are fewer), at
 * cluster size s, the sampled one growing its tree on the same share of them as on all of x.
 */
function compareOnSample(x: Mat, s: number, seed: number, share: number, points: number): NonNullable<ClusteringReport['check']> {
  const q = Math.min(points, x.rows);
  const ids = new Rng(seed).permutation(x.rows).subarray(0, q).sort();
  const sub = gatherRows(x, ids);
  const size = Math.min(s, q);
  const exact = meanCentroidSimilarity(sub, balanced2Means(sub, { clusterSize: size, seed }).assign);
  const sampleSize = Math.max(1, Math.round(share * q));
  const sampled = meanCentroidSimilarity(sub, approxBalanced2Means(sub, { clusterSize: size, seed, sampleSize }).assign);
  return { points: q, exact, sampled, ratio: exact > 0 ? sampled / exact : 1 };
}
