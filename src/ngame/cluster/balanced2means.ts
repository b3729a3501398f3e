// Balanced hierarchical spherical 2-means, as the NGAME code clusters its memory bank.
//
// Rows are L2-normalized. Every cluster is split in two, level by level, until there are at
// least C = 2^ceil(log2(N/s)) clusters for target size s. One split: pick two distinct random
// points as centroids c0, c1; repeat { order the points by sim(c1) − sim(c0) = x·(c1 − c0),
// the first floor(n/2) go to child 0 and the rest to child 1, recompute both normalized
// centroids } until the mean similarity to the own centroid improves by < tol or maxIter.
// Singletons are not split.
//
// Layout: the points of every cluster sit in one contiguous range of a permutation `perm`,
// with a copy of their rows in the same order, so the inner loops read memory sequentially.
// Zero rows (special case): they stay zero after normalization, score 0 against every
// centroid and are placed by the deterministic (key, index) order like any other point.
import { Rng } from '../../util/rng';
import { Mat, checkMat, dot, normalizeRows } from '../matrix';
import { selectSmallest } from './select';

export interface Balanced2MeansOptions {
  /** target cluster size s: final sizes lie in [floor(s/2), s] (in (s/2, s] when N/C is not below s/2 + 1) */
  clusterSize: number;
  /** seed for the random initial centroids (default 0) */
  seed?: number;
  /** iteration cap per split (default 25) */
  maxIter?: number;
  /** stop a split when mean similarity to own centroid improves by less than this (default 1e-4) */
  tol?: number;
  /** keep the tree (order + per-level cluster starts) in the result (default false) */
  keepLevels?: boolean;
}

export interface Clustering {
  /** (N) cluster id of every point */
  assign: Int32Array;
  /** members of each cluster, ascending point ids */
  clusters: Int32Array[];
}

export interface HierarchicalClustering extends Clustering {
  /** present with keepLevels: points in final tree order, and for each level the cluster
   *  start offsets into `order` (with N appended). Level 0 is the single root cluster. */
  order?: Int32Array;
  levels?: Int32Array[];
  /** splits performed and total split iterations (for diagnostics) */
  splits: number;
  iterations: number;
}

/** Number of clusters the hierarchy aims for: C = 2^ceil(log2(N / s)). */
export function targetClusterCount(n: number, clusterSize: number): number {
  return 2 ** Math.max(0, Math.ceil(Math.log2(n / clusterSize) - 1e-12));
}

export function checkClusterArgs(x: Mat, clusterSize: number, fn: string): void {
  checkMat(x, `${fn}: points`);
  if (x.rows < 1) throw new Error(`${fn}: need at least one point`);
  if (!Number.isInteger(clusterSize) || clusterSize < 1) {
    throw new Error(`${fn}: clusterSize must be an integer >= 1, got ${clusterSize}`);
  }
  if (clusterSize > x.rows) {
    throw new Error(`${fn}: clusterSize ${clusterSize} is larger than the number of points ${x.rows}`);
  }
}

export function balanced2Means(x: Mat, opts: Balanced2MeansOptions): HierarchicalClustering {
  checkClusterArgs(x, opts.clusterSize, 'balanced2Means');
  const maxIter = opts.maxIter ?? 25;
  if (!Number.isInteger(maxIter) || maxIter < 1) throw new Error(`balanced2Means: maxIter must be an integer >= 1, got ${maxIter}`);
  const tree = new SplitTree(normalizeRows(x), opts.tol ?? 1e-4, maxIter, false);
  tree.grow(targetClusterCount(x.rows, opts.clusterSize), new Rng(opts.seed ?? 0));
  return tree.result(opts.keepLevels ?? false);
}

/**
 * The level-by-level splitter. With `fixedDirs` (one direction c1 − c0 per node, per level)
 * it does no iterations: each node's points are ranked along the given direction and cut
 * at the middle (used by the approximate method to route all points down a sample's tree).
 *
 * Memory (it matters at millions of points: 2.2M × 256 f32 is 2.3 GB): the tree takes `x`'s
 * array as its own working rows (callers pass a fresh normalized copy) plus one scratch array
 * of the same size; the per-node directions (d floats per split) are kept only when
 * `keepDirs`, for a sample's tree whose directions route the full data.
 */
export class SplitTree {
  readonly n: number;
  readonly d: number;
  perm: Int32Array;
  rows: Float32Array; // rows of the normalized points in `perm` order
  private next: Float32Array; // scratch for the next level's rows
  starts: Int32Array[] = [];
  /** with keepDirs: per level, per node that was split, its final direction c1 − c0 (d floats) */
  dirs: Float32Array[][] = [];
  splits = 0;
  iterations = 0;
  // scratch for one split
  private key: Float64Array;
  private id: Int32Array;
  private side: Uint8Array;
  private sum0: Float64Array;
  private total: Float64Array;

  /** x: (n, d) normalized rows, taken over (reordered in place); keepDirs: record `dirs`. */
  constructor(x: Mat, private tol: number, private maxIter: number, private keepDirs: boolean) {
    this.n = x.rows;
    this.d = x.cols;
    this.perm = new Int32Array(this.n);
    for (let i = 0; i < this.n; i++) this.perm[i] = i;
    this.rows = x.data.length === this.n * this.d ? x.data : x.data.slice(0, this.n * this.d);
    this.next = new Float32Array(x.data.length);
    this.key = new Float64Array(this.n);
    this.id = new Int32Array(this.n);
    this.side = new Uint8Array(this.n);
    this.sum0 = new Float64Array(this.d);
    this.total = new Float64Array(this.d);
    this.starts.push(Int32Array.from([0, this.n]));
  }

  /** Split level by level until `target` clusters or nothing can split. */
  grow(target: number, rng: Rng | null, fixedDirs?: Float32Array[][]): void {
    let level = 0;
    for (;;) {
      const cur = this.starts[this.starts.length - 1];
      const count = cur.length - 1;
      if (count >= target) break;
      const nextStarts: number[] = [0];
      const levelDirs: Float32Array[] = [];
      let node = 0; // nodes split so far on this level (the index into fixedDirs[level])
      let split = false;
      for (let c = 0; c < count; c++) {
        const a = cur[c], b = cur[c + 1];
        if (b - a < 2) {
          this.next.set(this.rows.subarray(a * this.d, b * this.d), a * this.d);
          nextStarts.push(b);
          continue;
        }
        const given = fixedDirs ? fixedDirs[level]?.[node] : undefined;
        if (fixedDirs && !given) throw new Error(`SplitTree: no direction for level ${level}, node ${node}`);
        node++;
        const { mid, dir } = this.split(a, b, rng, given);
        if (this.keepDirs) levelDirs.push(dir);
        nextStarts.push(mid, b);
        split = true;
      }
      if (!split) break;
      const t = this.rows;
      this.rows = this.next;
      this.next = t;
      this.starts.push(Int32Array.from(nextStarts));
      if (this.keepDirs) this.dirs.push(levelDirs);
      level++;
    }
  }

  /** Split range [a, b) of `perm`; writes the reordered rows into `next`. Returns the cut. */
  private split(a: number, b: number, rng: Rng | null, fixedDir?: Float32Array): { mid: number; dir: Float32Array } {
    const d = this.d, n = b - a, half = n >> 1;
    const X = this.rows, key = this.key, id = this.id, side = this.side, sum0 = this.sum0, total = this.total;
    const dir = new Float32Array(d); // c1 − c0
    this.splits++;
    if (fixedDir) {
      dir.set(fixedDir);
      this.rank(a, n, dir, half);
    } else {
      if (!rng) throw new Error('SplitTree: an Rng is needed when no directions are given');
      // two distinct random points as the initial centroids
      const i0 = rng.int(n);
      let i1 = rng.int(n - 1);
      if (i1 >= i0) i1++;
      for (let j = 0; j < d; j++) dir[j] = X[(a + i1) * d + j] - X[(a + i0) * d + j];
      total.fill(0);
      for (let t = 0; t < n; t++) {
        const o = (a + t) * d;
        for (let j = 0; j < d; j++) total[j] += X[o + j];
      }
      side.fill(2, 0, n); // 2 = not yet assigned
      sum0.fill(0);
      let prev = -Infinity;
      for (let it = 0; it < this.maxIter; it++) {
        this.iterations++;
        this.rank(a, n, dir, half);
        // update child 0's sum with the points that changed side (all of them the first time)
        for (let t = 0; t < n; t++) {
          const s = t < half ? 0 : 1;
          const p = id[t];
          const old = side[p];
          if (old === s) continue;
          side[p] = s;
          const o = (a + p) * d;
          if (s === 0) for (let j = 0; j < d; j++) sum0[j] += X[o + j];
          else if (old === 0) for (let j = 0; j < d; j++) sum0[j] -= X[o + j];
        }
        // the mean similarity to own normalized centroid is (|sum0| + |sum1|) / n
        let n0 = 0, n1 = 0;
        for (let j = 0; j < d; j++) {
          n0 += sum0[j] * sum0[j];
          const s1 = total[j] - sum0[j];
          n1 += s1 * s1;
        }
        n0 = Math.sqrt(n0);
        n1 = Math.sqrt(n1);
        const obj = (n0 + n1) / n;
        const inv0 = n0 > 0 ? 1 / n0 : 0, inv1 = n1 > 0 ? 1 / n1 : 0;
        for (let j = 0; j < d; j++) dir[j] = (total[j] - sum0[j]) * inv1 - sum0[j] * inv0;
        if (obj - prev < this.tol) break;
        prev = obj;
      }
      // the partition is the last ranking's: side 0 = id[0 .. half)
    }
    // write the range out: child 0 first, then child 1, each in ascending local order
    // (after rank, id[0 .. half) holds child 0's local indices)
    for (let t = 0; t < n; t++) side[id[t]] = t < half ? 0 : 1;
    const permOld = this.perm.slice(a, b);
    let w0 = 0, w1 = half;
    for (let t = 0; t < n; t++) {
      const dst = side[t] === 0 ? w0++ : w1++;
      this.perm[a + dst] = permOld[t];
      const src = (a + t) * d, to = (a + dst) * d;
      for (let j = 0; j < d; j++) this.next[to + j] = X[src + j];
    }
    return { mid: a + half, dir };
  }

  /** key[t] = x_t · dir for the n points from a; then the `half` lowest (key, t) to the front. */
  private rank(a: number, n: number, dir: Float32Array, half: number): void {
    const d = this.d, X = this.rows, key = this.key, id = this.id;
    let t = 0;
    // four rows at a time: each direction value is loaded once for four accumulators
    for (; t + 3 < n; t += 4) {
      const o0 = (a + t) * d, o1 = o0 + d, o2 = o1 + d, o3 = o2 + d;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let j = 0; j < d; j++) {
        const w = dir[j];
        s0 += X[o0 + j] * w;
        s1 += X[o1 + j] * w;
        s2 += X[o2 + j] * w;
        s3 += X[o3 + j] * w;
      }
      key[t] = s0;
      key[t + 1] = s1;
      key[t + 2] = s2;
      key[t + 3] = s3;
    }
    for (; t < n; t++) key[t] = dot(X, dir, d, (a + t) * d, 0);
    for (t = 0; t < n; t++) id[t] = t;
    selectSmallest(key, id, n, half);
  }

  result(keepLevels: boolean): HierarchicalClustering {
    const last = this.starts[this.starts.length - 1];
    const assign = new Int32Array(this.n);
    const clusters: Int32Array[] = [];
    for (let c = 0; c + 1 < last.length; c++) {
      const members = this.perm.slice(last[c], last[c + 1]).sort();
      for (const p of members) assign[p] = c;
      clusters.push(members);
    }
    const out: HierarchicalClustering = { assign, clusters, splits: this.splits, iterations: this.iterations };
    if (keepLevels) {
      out.order = this.perm.slice();
      out.levels = this.starts.map((s) => s.slice());
    }
    return out;
  }
}
