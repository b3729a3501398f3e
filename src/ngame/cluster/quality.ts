// Clustering quality: mean cosine similarity of each point to its own cluster's normalized
// centroid. For unit rows x in cluster c, Σ x·(S_c/|S_c|) = |S_c| with S_c the cluster's
// sum, so the measure is Σ_c |S_c| / N. Higher is better; 1 means every cluster is one direction.
import { Mat, checkMat, normalizeRows } from '../matrix';

export function meanCentroidSimilarity(x: Mat, assign: Int32Array): number {
  checkMat(x, 'meanCentroidSimilarity: points');
  if (assign.length !== x.rows) {
    throw new Error(`meanCentroidSimilarity: assign has ${assign.length} entries for ${x.rows} points`);
  }
  const u = normalizeRows(x);
  let k = 0;
  for (let i = 0; i < assign.length; i++) {
    if (assign[i] < 0) throw new Error(`meanCentroidSimilarity: point ${i} has no cluster (${assign[i]})`);
    k = Math.max(k, assign[i] + 1);
  }
  const d = x.cols;
  const sums = new Float64Array(k * d);
  for (let i = 0; i < x.rows; i++) {
    const o = assign[i] * d;
    for (let j = 0; j < d; j++) sums[o + j] += u.data[i * d + j];
  }
  let total = 0;
  for (let c = 0; c < k; c++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += sums[c * d + j] ** 2;
    total += Math.sqrt(s);
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
