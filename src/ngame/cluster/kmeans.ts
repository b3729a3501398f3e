// Flat balanced spherical k-means: k centroids, and an assignment in which every cluster
// holds floor(N/k) or ceil(N/k) points (capacity-constrained). Used as the IVF coarse
// quantizer and as an alternative to the hierarchical 2-means.
//
// Assignment (greedy by confidence): points are visited in order of their best similarity
// (highest first, ties by index); each takes its most similar centroid that still has room.
// The similarity products are the host's blocked top-k (ann/similarity.ts), in row blocks.
import { Rng } from '../../util/rng';
import { Mat, checkMat, dot, mat, normalizeRows } from '../matrix';
import { hostTopK } from '../ann/similarity';
import { Clustering } from './balanced2means';

export interface BalancedKMeansOptions {
  /** number of clusters, 1 <= k <= N */
  k: number;
  seed?: number;
  /** Lloyd iterations at most (default 10); stops early when no point moves */
  maxIter?: number;
  /** candidate centroids kept per point before falling back to a full scan (default 8) */
  candidates?: number;
}

export interface KMeansResult extends Clustering {
  /** (k, d) unit-norm centroids */
  centroids: Mat;
  iterations: number;
}

const BLOCK = 4096;

export function balancedKMeans(x: Mat, opts: BalancedKMeansOptions): KMeansResult {
  checkMat(x, 'balancedKMeans: points');
  const n = x.rows, d = x.cols, k = opts.k;
  if (!Number.isInteger(k) || k < 1) throw new Error(`balancedKMeans: k must be an integer >= 1, got ${k}`);
  if (k > n) throw new Error(`balancedKMeans: k = ${k} is larger than the number of points ${n}`);
  const maxIter = opts.maxIter ?? 10;
  const T = Math.min(k, opts.candidates ?? 8);
  const u = normalizeRows(x);
  const rng = new Rng(opts.seed ?? 0);
  // k distinct random points as initial centroids
  const init = rng.permutation(n).subarray(0, k);
  const cent = mat(k, d);
  for (let c = 0; c < k; c++) cent.data.set(u.data.subarray(init[c] * d, (init[c] + 1) * d), c * d);
  let assign: Int32Array = new Int32Array(n).fill(-1);
  let iterations = 0;
  for (let it = 0; it < Math.max(1, maxIter); it++) {
    iterations++;
    const next = capacityAssign(u, cent, T);
    let moved = 0;
    for (let i = 0; i < n; i++) if (next[i] !== assign[i]) moved++;
    assign = next;
    updateCentroids(u, assign, cent);
    if (moved === 0) break;
  }
  const clusters: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < n; i++) clusters[assign[i]].push(i);
  return { assign, clusters: clusters.map((c) => Int32Array.from(c)), centroids: cent, iterations };
}

/** Capacity-constrained assignment of unit rows u to centroids (sizes floor/ceil of N/k). */
export function capacityAssign(u: Mat, cent: Mat, T: number): Int32Array {
  const n = u.rows, k = cent.rows, d = u.cols;
  // top-T candidates per point, in row blocks to bound memory
  const candIx = new Int32Array(n * T);
  const candSc = new Float32Array(n * T);
  for (let r0 = 0; r0 < n; r0 += BLOCK) {
    const rb = Math.min(BLOCK, n - r0);
    const top = hostTopK(mat(rb, d, u.data.subarray(r0 * d, (r0 + rb) * d)), cent, T);
    candIx.set(top.indices, r0 * T);
    candSc.set(top.values, r0 * T);
  }
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => candSc[b * T] - candSc[a * T] || a - b);
  const base = Math.floor(n / k);
  let bigLeft = n - base * k; // clusters that may still grow to base + 1
  const size = new Int32Array(k);
  const full = (c: number) => size[c] >= base + 1 || (size[c] >= base && bigLeft === 0);
  const assign = new Int32Array(n);
  for (const i of order) {
    let c = -1;
    for (let t = 0; t < T; t++) {
      const cand = candIx[i * T + t];
      if (!full(cand)) {
        c = cand;
        break;
      }
    }
    if (c < 0) {
      // every candidate is full: scan all centroids
      let best = -Infinity;
      for (let j = 0; j < k; j++) {
        if (full(j)) continue;
        const s = dot(u.data, cent.data, d, i * d, j * d);
        if (s > best) {
          best = s;
          c = j;
        }
      }
    }
    assign[i] = c;
    size[c]++;
    if (size[c] === base + 1) bigLeft--;
  }
  return assign;
}

/** Centroid = normalized mean of the cluster's unit rows (a zero sum leaves a zero centroid). */
function updateCentroids(u: Mat, assign: Int32Array, cent: Mat): void {
  const d = u.cols;
  const sums = new Float64Array(cent.rows * d);
  for (let i = 0; i < u.rows; i++) {
    const o = assign[i] * d;
    for (let j = 0; j < d; j++) sums[o + j] += u.data[i * d + j];
  }
  for (let c = 0; c < cent.rows; c++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += sums[c * d + j] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < d; j++) cent.data[c * d + j] = sums[c * d + j] * inv;
  }
}
