// Approximate balanced 2-means for large N: grow the hierarchy on a random sample (with the
// full iterative splits), then route every point down the sample's tree. At each node the
// node's points are ranked along the sample's split direction c1 − c0 and cut at the middle,
// so balance is exact at every level (the leaves get floor/ceil sizes as in the exact method)
// and no iterations run on the full data: cost ≈ one ranking pass per level.
//
// A sample of m points directs the top C' = 2^floor(log2(m / 2)) clusters (at least two
// sample points per leaf). When the target C is deeper than that (small cluster sizes: at size
// 2, C ≥ N/2), the sample's tree directs the top log2(C') levels and the levels below split
// with the exact iterations within each routed cluster; the top levels, where the exact method
// iterates longest over the most points, are the ones the sample saves. (Requiring 8 sample
// points per leaf instead was measured slower at no better quality: N = 50,000, m = N/8.)
import { Rng } from '../../util/rng';
import { Mat, gatherRows, normalizeRows } from '../matrix';
import {
  Balanced2MeansOptions,
  HierarchicalClustering,
  SplitTree,
  balanced2Means,
  checkClusterArgs,
  targetClusterCount,
} from './balanced2means';

export interface ApproxBalanced2MeansOptions extends Balanced2MeansOptions {
  /** points in the sample the tree is grown on (default 8·C, at most N; below 2·C the tree's
   *  lower levels split exactly, see above) */
  sampleSize?: number;
}

export function approxBalanced2Means(x: Mat, opts: ApproxBalanced2MeansOptions): HierarchicalClustering & { sampleSize: number } {
  checkClusterArgs(x, opts.clusterSize, 'approxBalanced2Means');
  const n = x.rows;
  const C = targetClusterCount(n, opts.clusterSize);
  if (opts.sampleSize !== undefined && (!Number.isInteger(opts.sampleSize) || opts.sampleSize < 1)) {
    throw new Error(`approxBalanced2Means: sampleSize must be a positive integer, got ${opts.sampleSize}`);
  }
  const m = Math.min(n, opts.sampleSize ?? 8 * C);
  if (m >= n) return { ...balanced2Means(x, opts), sampleSize: n };
  // clusters the sample directs: C itself when m >= 2·C, as before this hybrid existed
  const top = Math.min(C, 2 ** Math.max(0, Math.floor(Math.log2(m / 2))));
  const rng = new Rng(opts.seed ?? 0);
  const sample = rng.permutation(n).subarray(0, m).sort();
  const maxIter = opts.maxIter ?? 25;
  const tol = opts.tol ?? 1e-4;
  const sampleTree = new SplitTree(normalizeRows(gatherRows(x, sample)), tol, maxIter, true);
  sampleTree.grow(top, rng);
  const full = new SplitTree(normalizeRows(x), tol, maxIter, false);
  full.grow(top, null, sampleTree.dirs);
  full.grow(C, rng); // the levels below the sample's tree (none when top = C)
  const res = full.result(opts.keepLevels ?? false);
  res.iterations += sampleTree.iterations;
  return { ...res, sampleSize: m };
}
