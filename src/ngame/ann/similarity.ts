// The host's similarity loops: inner products and the row-wise top-k, in query × item blocks
// (bounded memory for any item count). They are the host path of the one exact search
// (ann/exact.ts exactTopK; search.ts BackendIndex runs the same search on a device, as matmul
// and the top-k kernel, and can refine its result to exactly this one), and the products of
// clustering (cluster/kmeans.ts) and of the IVF quantizer (ann/ivf.ts).
import { Mat, mat } from '../matrix';
import { TopKHeap, type TopK } from '../../util/topk';

/**
 * (q.rows, items.rows) inner products written into `out` at column offset `colOff` of an
 * out matrix with `outCols` columns. A 4-query × 1-item register block: each item value is
 * loaded once for four accumulators.
 */
export function scoresInto(q: Mat, items: Mat, out: Float32Array, outCols = items.rows, colOff = 0): void {
  const d = q.cols;
  const Q = q.data, X = items.data;
  const m = q.rows, n = items.rows;
  let i = 0;
  for (; i + 3 < m; i += 4) {
    const a0 = i * d, a1 = a0 + d, a2 = a1 + d, a3 = a2 + d;
    for (let j = 0; j < n; j++) {
      const b = j * d;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let t = 0; t < d; t++) {
        const x = X[b + t];
        s0 += Q[a0 + t] * x;
        s1 += Q[a1 + t] * x;
        s2 += Q[a2 + t] * x;
        s3 += Q[a3 + t] * x;
      }
      const o = i * outCols + colOff + j;
      out[o] = s0;
      out[o + outCols] = s1;
      out[o + 2 * outCols] = s2;
      out[o + 3 * outCols] = s3;
    }
  }
  for (; i < m; i++) {
    const a = i * d;
    for (let j = 0; j < n; j++) {
      const b = j * d;
      let s = 0;
      for (let t = 0; t < d; t++) s += Q[a + t] * X[b + t];
      out[i * outCols + colOff + j] = s;
    }
  }
}

export interface HostBlocks {
  /** items scored per block (bounds the scratch buffer: queryBlock × itemBlock floats); default 4096 */
  itemBlock?: number;
  /** default 64 */
  queryBlock?: number;
}

/**
 * Per query row, the k items with largest inner product, in the one top-k order (src/util/topk.ts),
 * by blocked loops over query and item blocks: bounded memory for any item count.
 */
export function hostTopK(q: Mat, items: Mat, k: number, blocks: HostBlocks = {}): TopK {
  const itemBlock = blocks.itemBlock ?? 4096;
  const queryBlock = blocks.queryBlock ?? 64;
  checkDims(q, items);
  checkK(k, items.rows);
  const indices = new Int32Array(q.rows * k);
  const values = new Float32Array(q.rows * k);
  const heaps = Array.from({ length: Math.min(queryBlock, q.rows) }, () => new TopKHeap(k));
  const buf = new Float32Array(queryBlock * itemBlock);
  const d = q.cols;
  for (let q0 = 0; q0 < q.rows; q0 += queryBlock) {
    const qb = Math.min(queryBlock, q.rows - q0);
    const qm = mat(qb, d, q.data.subarray(q0 * d, (q0 + qb) * d));
    for (let j0 = 0; j0 < items.rows; j0 += itemBlock) {
      const jb = Math.min(itemBlock, items.rows - j0);
      const im = mat(jb, d, items.data.subarray(j0 * d, (j0 + jb) * d));
      scoresInto(qm, im, buf, jb, 0);
      for (let a = 0; a < qb; a++) {
        const h = heaps[a];
        const base = a * jb;
        for (let j = 0; j < jb; j++) h.push(j0 + j, buf[base + j]);
      }
    }
    for (let a = 0; a < qb; a++) heaps[a].drainSorted(indices, values, (q0 + a) * k);
  }
  return { k, indices, values };
}

export function checkDims(q: Mat, items: Mat): void {
  if (q.cols !== items.cols) {
    throw new Error(`dimension mismatch: queries have ${q.cols} columns, items have ${items.cols}`);
  }
}

export function checkK(k: number, n: number): void {
  if (!Number.isInteger(k) || k < 1) throw new Error(`k must be a positive integer, got ${k}`);
  if (k > n) throw new Error(`k = ${k} is larger than the number of items (${n})`);
}
