// Negative hardness: how hard are the negatives a batching scheme gives, compared with the
// hardest negatives that exist? For a sample of documents:
//   inBatch = mean over documents of the highest similarity among its in-batch negatives
//   exact   = mean over documents of the highest similarity among ALL labels that are not its positives
//   ratio   = inBatch / exact      (1 = the batch holds the hardest negative there is)
// NGAME's claim is that clustering makes `ratio` close to 1 at no extra encoding cost.

import type { CSR } from './data';
import { isPositive } from './batching';
import type { BatchPlan } from './samplers/types';

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

/**
 * Hardness of the given batch plans, measured with document embeddings `docEmb` (N × d) and
 * label embeddings `labelEmb` (L × d). At most `maxDocs` documents are measured (the first of
 * each plan, in order), because the exact side scans every label.
 */
export function negativeHardness(plans: BatchPlan[], Y: CSR, docEmb: Float32Array, labelEmb: Float32Array, dim: number, maxDocs = 500): Hardness {
  const L = labelEmb.length / dim;
  let sumIn = 0, sumExact = 0, n = 0;
  outer: for (const p of plans) {
    const B = p.docs.length;
    const P = p.labels.length;
    for (let i = 0; i < B; i++) {
      if (n >= maxDocs) break outer;
      const d = p.docs[i];
      let bestIn = -Infinity;
      for (let j = 0; j < P; j++) {
        if (p.targets[i * P + j] !== 0) continue;
        const s = dotRows(docEmb, d, labelEmb, p.labels[j], dim);
        if (s > bestIn) bestIn = s;
      }
      if (bestIn === -Infinity) continue;
      const bestAll = hardestNegative(docEmb, d, labelEmb, L, dim, Y);
      sumIn += bestIn;
      sumExact += bestAll;
      n++;
    }
  }
  const inBatch = n ? sumIn / n : NaN;
  const exact = n ? sumExact / n : NaN;
  return { inBatch, exact, ratio: inBatch / exact, docs: n };
}
