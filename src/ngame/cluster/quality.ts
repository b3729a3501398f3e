// Clustering quality: mean cosine similarity of each point to its own cluster's normalized
// centroid. For unit rows x in cluster c, Σ x·(S_c/|S_c|) = |S_c| with S_c the cluster's
// sum, so the measure is Σ_c |S_c| / N. Higher is better; 1 means every cluster is one direction.
import { Mat, checkMat, dot } from '../matrix';

/**
 * Memory O(N + d), not O(clusters · d) (at cluster size 2 that would be 4× the points' own
 * bytes): points are visited cluster by cluster, in ascending index within each, normalized
 * one at a time (as normalizeRows does) into one running sum.
 */
export function meanCentroidSimilarity(x: Mat, assign: Int32Array): number {
  checkMat(x, 'meanCentroidSimilarity: points');
  if (assign.length !== x.rows) {
    throw new Error(`meanCentroidSimilarity: assign has ${assign.length} entries for ${x.rows} points`);
  }
  let k = 0;
  for (let i = 0; i < assign.length; i++) {
    if (assign[i] < 0) throw new Error(`meanCentroidSimilarity: point ${i} has no cluster (${assign[i]})`);
    k = Math.max(k, assign[i] + 1);
  }
  // counting sort of the points by cluster (stable: ascending index within a cluster)
  const start = new Int32Array(k + 1);
  for (let i = 0; i < assign.length; i++) start[assign[i] + 1]++;
  for (let c = 0; c < k; c++) start[c + 1] += start[c];
  const order = new Int32Array(assign.length);
  const fill = start.slice(0, k);
  for (let i = 0; i < assign.length; i++) order[fill[assign[i]]++] = i;
  const d = x.cols;
  const sum = new Float64Array(d);
  const u = new Float32Array(d);
  let total = 0;
  for (let c = 0; c < k; c++) {
    sum.fill(0);
    for (let t = start[c]; t < start[c + 1]; t++) {
      const off = order[t] * d;
      const n = Math.sqrt(dot(x.data, x.data, d, off, off));
      const inv = n > 0 ? 1 / n : 0;
      for (let j = 0; j < d; j++) u[j] = n > 0 ? x.data[off + j] * inv : x.data[off + j];
      for (let j = 0; j < d; j++) sum[j] += u[j];
    }
    let s2 = 0;
    for (let j = 0; j < d; j++) s2 += sum[j] ** 2;
    total += Math.sqrt(s2);
  }
  return total / x.rows;
}

/** Fraction of points whose cluster's majority label equals their own label. */
export function purity(assign: Int32Array, labels: Int32Array): number {
  const byCluster = new Map<number, Map<number, number>>();
  for (let i = 0; i < assign.length; i++) {
    let m = byCluster.get(assign[i]);
    if (!m) byCluster.set(assign[i], (m = new Map()));
    m.set(labels[i], (m.get(labels[i]) ?? 0) + 1);
  }
  let good = 0;
  for (const m of byCluster.values()) good += Math.max(...m.values());
  return good / assign.length;
}
