// Negative hardness: how hard are the negatives a batching scheme gives, compared with the
// hardest negatives that exist? For a sample of documents:
//   inBatch = mean over documents of the highest similarity among its in-batch negatives
//   exact   = mean over documents of the highest similarity among ALL labels that are not its positives
//   ratio   = inBatch / exact      (1 = the batch holds the hardest negative there is)
// NGAME's claim is that clustering makes `ratio` close to 1 at no extra encoding cost.
// During training (HardnessProbe, DiagnosticBudget) it is bounded: a fixed sample of documents,
// one exact search for them, and only as often as 5% of M1's time allows.

import type { CSR } from './data';
import type { Backend } from '../tensor';
import { isPositive } from './batching';
import { searchTopK } from './search';
import type { BatchPlan } from './samplers/types';
import { Rng } from '../util/rng';

export interface Hardness {
  inBatch: number;
  exact: number;
  ratio: number;
  /** Documents measured (those with at least one in-batch negative). */
  docs: number;
}

function dotRows(a: Float32Array, i: number, b: Float32Array, j: number, d: number): number {
  let s = 0;
  const ai = i * d, bj = j * d;
  for (let t = 0; t < d; t++) s += a[ai + t] * b[bj + t];
  return s;
}

/**
 * max over the labels l that are not d's positives of docEmb[d] · labelEmb[l]. Four labels per
 * pass share each load of the document's row; every dot product still sums t = 0..dim−1 in order
 * in a double, so the result is bit for bit that of one dotRows per label (the test checks it).
 */
export function hardestNegative(docEmb: Float32Array, d: number, labelEmb: Float32Array, L: number, dim: number, Y: CSR): number {
  let best = -Infinity;
  const a = d * dim;
  const offer = (s: number, l: number) => {
    if (s > best && !isPositive(Y, d, l)) best = s;
  };
  let l = 0;
  for (; l + 3 < L; l += 4) {
    const b0 = l * dim, b1 = b0 + dim, b2 = b1 + dim, b3 = b2 + dim;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let t = 0; t < dim; t++) {
      const x = docEmb[a + t];
      s0 += x * labelEmb[b0 + t];
      s1 += x * labelEmb[b1 + t];
      s2 += x * labelEmb[b2 + t];
      s3 += x * labelEmb[b3 + t];
    }
    offer(s0, l);
    offer(s1, l + 1);
    offer(s2, l + 2);
    offer(s3, l + 3);
  }
  for (; l < L; l++) offer(dotRows(docEmb, d, labelEmb, l, dim), l);
  return best;
}

/** Highest docEmb[d] · labelEmb[l] over the labels `negs`; -Infinity when there are none. */
function bestOf(docEmb: Float32Array, d: number, labelEmb: Float32Array, negs: ArrayLike<number>, dim: number): number {
  let best = -Infinity;
  for (let j = 0; j < negs.length; j++) {
    const s = dotRows(docEmb, d, labelEmb, negs[j], dim);
    if (s > best) best = s;
  }
  return best;
}

/** The in-batch negatives of row i of a plan: its pool labels that are not its targets. */
function inBatchNegatives(p: BatchPlan, i: number): Int32Array {
  const P = p.labels.length;
  const out: number[] = [];
  for (let j = 0; j < P; j++) if (p.targets[i * P + j] === 0) out.push(p.labels[j]);
  return Int32Array.from(out);
}

function summarize(sumIn: number, sumExact: number, n: number): Hardness {
  const inBatch = n ? sumIn / n : NaN;
  const exact = n ? sumExact / n : NaN;
  return { inBatch, exact, ratio: inBatch / exact, docs: n };
}

/**
 * Hardness of the given batch plans, measured with document embeddings `docEmb` (N × d) and
 * label embeddings `labelEmb` (L × d), on the host: the reference HardnessProbe is checked
 * against. At most `maxDocs` documents are measured (the first of each plan, in order),
 * because the exact side scans every label.
 */
export function negativeHardness(plans: BatchPlan[], Y: CSR, docEmb: Float32Array, labelEmb: Float32Array, dim: number, maxDocs = 500): Hardness {
  const L = labelEmb.length / dim;
  let sumIn = 0, sumExact = 0, n = 0;
  outer: for (const p of plans) {
    for (let i = 0; i < p.docs.length; i++) {
      if (n >= maxDocs) break outer;
      const d = p.docs[i];
      const bestIn = bestOf(docEmb, d, labelEmb, inBatchNegatives(p, i), dim);
      if (bestIn === -Infinity) continue;
      sumIn += bestIn;
      sumExact += hardestNegative(docEmb, d, labelEmb, L, dim, Y);
      n++;
    }
  }
  return summarize(sumIn, sumExact, n);
}

/**
 * The live diagnostic of M1 (train-m1.ts): a fixed sample of training documents, drawn once
 * from its own seed (the training generator is never touched), whose in-batch negatives are
 * recorded as the epoch's plans go by (`observe`: a list of label ids per sampled document, not
 * the plans) and measured at the epoch's end (`measure`). The exact side is one exact search of
 * the sampled documents over all labels on the training backend (search.ts): for S documents,
 * S × L products, under 1% of an M1 epoch even at 1.3M labels (S = 200), where building an
 * approximate index would cost more than the scan it saves.
 */
export class HardnessProbe {
  /** The sampled documents, ascending. */
  readonly docs: Int32Array;
  private readonly slot = new Map<number, number>();
  private negs: (Int32Array | null)[];

  /** `size` documents of `trainable`, drawn without replacement with generator `seed`. */
  constructor(trainable: Int32Array, size: number, seed: number) {
    const rng = new Rng(seed);
    const perm = rng.permutation(trainable.length);
    const n = Math.min(size, trainable.length);
    this.docs = Int32Array.from({ length: n }, (_, i) => trainable[perm[i]]).sort();
    this.docs.forEach((d, i) => this.slot.set(d, i));
    this.negs = new Array(n).fill(null);
  }

  /** Records the in-batch negatives of every sampled document in `plan`. */
  observe(plan: BatchPlan): void {
    for (let i = 0; i < plan.docs.length; i++) {
      const s = this.slot.get(plan.docs[i]);
      if (s !== undefined) this.negs[s] = inBatchNegatives(plan, i);
    }
  }

  /**
   * Hardness of the documents observed since the last call (those with an in-batch negative),
   * with their memory-bank embeddings `docEmb` (N × dim) and the labels' `labelEmb` (L × dim);
   * then forgets them. The exact side takes each document's best k = (its positives + 1) labels
   * by one exact search and keeps the first that is not a positive.
   */
  async measure(backend: Backend, Y: CSR, docEmb: Float32Array, labelEmb: Float32Array, dim: number): Promise<Hardness> {
    const L = labelEmb.length / dim;
    const measured: number[] = [];
    const bestIn: number[] = [];
    this.negs.forEach((negs, s) => {
      if (!negs) return;
      const b = bestOf(docEmb, this.docs[s], labelEmb, negs, dim);
      if (b === -Infinity) return;
      measured.push(this.docs[s]);
      bestIn.push(b);
    });
    this.negs = new Array(this.docs.length).fill(null);
    if (measured.length === 0) return summarize(0, 0, 0);
    let maxPos = 0;
    for (const d of measured) maxPos = Math.max(maxPos, Y.indptr[d + 1] - Y.indptr[d]);
    const k = Math.min(L, maxPos + 1);
    const q = new Float32Array(measured.length * dim);
    measured.forEach((d, i) => q.set(docEmb.subarray(d * dim, (d + 1) * dim), i * dim));
    const top = await searchTopK(backend, q, labelEmb, dim, k);
    let sumIn = 0, sumExact = 0, n = 0;
    measured.forEach((d, i) => {
      for (let t = 0; t < k; t++) {
        const l = top.indices[i * k + t];
        if (isPositive(Y, d, l)) continue;
        sumIn += bestIn[i];
        sumExact += top.values[i * k + t];
        n++;
        return;
      }
    });
    return summarize(sumIn, sumExact, n);
  }
}

/**
 * When the diagnostic runs, so that it costs at most `share` (5%) of M1's time: it runs after
 * the first epoch (which measures its cost), then after an epoch only if the time it has taken
 * so far plus its last cost stays within `share` of the epochs' time so far, and always after
 * the last epoch (whose label embeddings the final evaluation reuses, so its encoding is not an
 * extra cost there). Which epochs carry a hardness depends on measured times; what training
 * computes does not (the diagnostic draws nothing from the training generator).
 */
export class DiagnosticBudget {
  private epochMs = 0;
  private spentMs = 0;
  private lastMs = -1;

  constructor(readonly share = 0.05) {}

  /** After an epoch of `epochMs`: whether to run the diagnostic now. */
  due(epochMs: number, last: boolean): boolean {
    this.epochMs += epochMs;
    return last || this.lastMs < 0 || this.spentMs + this.lastMs <= this.share * this.epochMs;
  }

  /** Records what one run of the diagnostic cost. */
  spent(ms: number): void {
    this.spentMs += ms;
    this.lastMs = ms;
  }
}
