// Extreme-classification metrics for k = 1..K, computed as pyxclib (xclib/evaluation/xc_metrics.py)
// computes them. For test row i with true labels y_i and ranked predictions p_i1, p_i2, ...:
//
//   P@k      = mean_i  (1/k) Σ_{r≤k} [p_ir ∈ y_i]
//   nDCG@k   = mean_i  Σ_{r≤k} [p_ir ∈ y_i] / log2(r+1)  ÷  Σ_{r≤min(k,|y_i|)} 1/log2(r+1)   (0 if y_i = ∅)
//   R@k      = mean_i  Σ_{r≤k} [p_ir ∈ y_i] / |y_i|                                        (0 if y_i = ∅)
//   PSP@k    = Σ_i Σ_{r≤k} ip(p_ir)[p_ir ∈ y_i]  ÷  Σ_i Σ_{r≤k} ip(b_ir)   (b_i = y_i sorted by ip, desc)
//   PSnDCG@k = Σ_i psDCG_i@k / IDCG_i@k  ÷  Σ_i bestPsDCG_i@k / IDCG_i@k
//
// Every row counts (rows without labels add 0 to the numerators and, for P, nDCG and R, 1 to
// the row count). Filter pairs are removed from the predictions before ranking, never from the
// truth. Ranking: higher score first, equal scores → lower label id first. Truth entries are
// relevant whatever their stored value (binary relevance). All results are ×100 (percent).
import type { CSR, Pairs } from '../data/csr';
import { csrFromPairs } from '../data/csr';
import { inversePropensity } from './propensity';
import { TopKHeap } from '../../util/topk';

export interface EvalOptions {
  /** (row, label) pairs removed from the predictions, e.g. Dataset.filterTest. */
  filter?: Pairs;
  /** Training label matrix: its label frequencies give the inverse propensities (PSP, PSnDCG). */
  trainY?: CSR;
  /** Inverse propensities (labels); overrides trainY. */
  invPropensity?: Float64Array;
  /** Propensity parameters (defaults A = 0.55, B = 1.5). */
  A?: number;
  B?: number;
  /** Largest k (default 5). */
  K?: number;
}

/** Per-k results in percent: P[k-1] is P@k. PSP/PSnDCG only when propensities were given. */
export interface Metrics {
  K: number;
  P: number[];
  nDCG: number[];
  R: number[];
  PSP?: number[];
  PSnDCG?: number[];
}

export function computeMetrics(scores: CSR, truth: CSR, opts: EvalOptions = {}): Metrics {
  const K = opts.K ?? 5;
  if (!(Number.isInteger(K) && K >= 1)) throw new Error(`computeMetrics: K must be a positive integer, got ${K}`);
  if (scores.rows !== truth.rows || scores.cols !== truth.cols) {
    throw new Error(`computeMetrics: scores are ${scores.rows} × ${scores.cols} but truth is ${truth.rows} × ${truth.cols}`);
  }
  const L = truth.cols;
  let ip: Float64Array | null = null;
  if (opts.invPropensity) {
    if (opts.invPropensity.length !== L) throw new Error(`computeMetrics: invPropensity has ${opts.invPropensity.length} entries, expected ${L}`);
    ip = opts.invPropensity;
  } else if (opts.trainY) {
    if (opts.trainY.cols !== L) throw new Error(`computeMetrics: trainY has ${opts.trainY.cols} labels, truth has ${L}`);
    ip = inversePropensity(opts.trainY, opts.A, opts.B);
  }
  let filter: CSR | null = null; // (rows × labels) pairs to drop from the predictions
  if (opts.filter && opts.filter.row.length > 0) {
    try {
      filter = csrFromPairs(truth.rows, L, opts.filter);
    } catch (e) {
      throw new Error(`computeMetrics: filter: ${(e as Error).message}`);
    }
  }

  // idcg[j] = Σ_{r≤j} 1/log2(r+1), j = 0..K (idcg[0] = 0).
  const disc = new Float64Array(K); // disc[r] = 1/log2(r+2) for 0-based rank r
  const idcg = new Float64Array(K + 1);
  for (let r = 0; r < K; r++) {
    disc[r] = 1 / Math.log2(r + 2);
    idcg[r + 1] = idcg[r] + disc[r];
  }

  const isTrue = new Uint8Array(L); // marks the current row's true labels
  const isFiltered = new Uint8Array(L); // marks the current row's filter pairs
  const seen = new Uint8Array(L); // detects a label repeated within a score row
  const top = new TopKHeap(K);
  const bestIp = new TopKHeap(K); // the row's true labels by ip: the best achievable ranking

  const sumP = new Float64Array(K);
  const sumN = new Float64Array(K);
  const sumR = new Float64Array(K);
  const psNum = new Float64Array(K);
  const psDen = new Float64Array(K);
  const psnNum = new Float64Array(K);
  const psnDen = new Float64Array(K);

  for (let i = 0; i < truth.rows; i++) {
    const t0 = truth.indptr[i];
    const t1 = truth.indptr[i + 1];
    const ny = t1 - t0;
    for (let j = t0; j < t1; j++) isTrue[truth.indices[j]] = 1;
    if (filter) for (let j = filter.indptr[i]; j < filter.indptr[i + 1]; j++) isFiltered[filter.indices[j]] = 1;

    top.clear();
    const s0 = scores.indptr[i];
    const s1 = scores.indptr[i + 1];
    for (let j = s0; j < s1; j++) {
      const c = scores.indices[j];
      const v = scores.values[j];
      if (Number.isNaN(v)) throw new Error(`computeMetrics: score of row ${i}, label ${c} is NaN`);
      if (seen[c]) throw new Error(`computeMetrics: scores row ${i} lists label ${c} twice`);
      seen[c] = 1;
      if (!isFiltered[c]) top.push(c, v);
    }
    for (let j = s0; j < s1; j++) seen[scores.indices[j]] = 0;
    const ranked = top.sorted().indices;

    // Cumulative hits, DCG, propensity-weighted sums over ranks 1..K (missing ranks add 0).
    const normIdcgRow = (k: number) => idcg[Math.min(k, ny)];
    let hits = 0;
    let dcg = 0;
    let psHit = 0;
    let psDcg = 0;
    for (let r = 0; r < K; r++) {
      if (r < ranked.length && isTrue[ranked[r]]) {
        hits++;
        dcg += disc[r];
        if (ip) {
          psHit += ip[ranked[r]];
          psDcg += ip[ranked[r]] * disc[r];
        }
      }
      sumP[r] += hits / (r + 1);
      if (ny > 0) {
        sumN[r] += dcg / normIdcgRow(r + 1);
        sumR[r] += hits / ny;
        psNum[r] += psHit;
        psnNum[r] += psDcg / normIdcgRow(r + 1);
      }
    }

    if (ip && ny > 0) {
      bestIp.clear();
      for (let j = t0; j < t1; j++) bestIp.push(truth.indices[j], ip[truth.indices[j]]);
      const best = bestIp.sorted().indices; // the row's true labels, highest ip first
      let bestSum = 0;
      let bestDcg = 0;
      for (let r = 0; r < K; r++) {
        if (r < best.length) {
          bestSum += ip[best[r]];
          bestDcg += ip[best[r]] * disc[r];
        }
        psDen[r] += bestSum;
        psnDen[r] += bestDcg / normIdcgRow(r + 1);
      }
    }

    for (let j = t0; j < t1; j++) isTrue[truth.indices[j]] = 0;
    if (filter) for (let j = filter.indptr[i]; j < filter.indptr[i + 1]; j++) isFiltered[filter.indices[j]] = 0;
  }

  const n = truth.rows;
  const pct = (a: Float64Array, d: number) => Array.from(a, (x) => (d > 0 ? (100 * x) / d : 0));
  const out: Metrics = { K, P: pct(sumP, n), nDCG: pct(sumN, n), R: pct(sumR, n) };
  if (ip) {
    out.PSP = Array.from(psNum, (x, r) => (psDen[r] > 0 ? (100 * x) / psDen[r] : 0));
    out.PSnDCG = Array.from(psnNum, (x, r) => (psnDen[r] > 0 ? (100 * x) / psnDen[r] : 0));
  }
  return out;
}
