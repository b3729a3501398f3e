// Exact maximum-inner-product search on the tensor backend: scores = Q·Xᵀ by matmul, then the
// row-wise top-k kernel, chunked over items (so any label count fits the device's buffer
// limits) and over queries, with the chunks' candidates merged on the host. On the cpu backend
// the blocked TypeScript loops of ann/similarity.ts are faster than the reference matmul, so
// they are used instead.

import * as T from '../tensor';
import type { Backend } from '../tensor';
import { exactTopK } from './ann/exact';
import { TopKHeap, type TopK } from '../util/topk';
import { mat } from './matrix';

export interface SearchOptions {
  /** Items per chunk (default: as many as fit 64 MiB of scores for the query chunk). */
  itemChunk?: number;
  queryChunk?: number;
}

/** For each query row, the k items of largest inner product (ties: lower index first). */
export async function searchTopK(backend: Backend, queries: Float32Array, items: Float32Array, dim: number, k: number, opts: SearchOptions = {}): Promise<TopK> {
  const nq = queries.length / dim;
  const ni = items.length / dim;
  if (!Number.isInteger(nq) || !Number.isInteger(ni)) throw new Error(`searchTopK: sizes ${queries.length}, ${items.length} are not multiples of dim ${dim}`);
  if (!(k >= 1 && k <= ni)) throw new Error(`searchTopK: k = ${k} must be in [1, ${ni}]`);
  if (backend.name === 'cpu') return exactTopK(mat(nq, dim, queries), mat(ni, dim, items), k);

  const qChunk = opts.queryChunk ?? 1024;
  const iChunk = opts.itemChunk ?? Math.max(k, Math.floor((64 << 20) / 4 / qChunk));
  const indices = new Int32Array(nq * k);
  const values = new Float32Array(nq * k);
  for (let q0 = 0; q0 < nq; q0 += qChunk) {
    const q1 = Math.min(q0 + qChunk, nq);
    const qn = q1 - q0;
    // Candidates from every item chunk: (qn, chunks*k')
    const candIdx: Int32Array[] = [];
    const candVal: Float32Array[] = [];
    for (let i0 = 0; i0 < ni; i0 += iChunk) {
      const i1 = Math.min(i0 + iChunk, ni);
      const kk = Math.min(k, i1 - i0);
      const r = T.noGrad(() => T.scope(() => {
        const Q = T.tensor(queries.subarray(q0 * dim, q1 * dim), [qn, dim], { backend });
        const X = T.tensor(items.subarray(i0 * dim, i1 * dim), [i1 - i0, dim], { backend });
        return T.topk(T.matmul(Q, X, { transB: true }), kk);
      }));
      const [v, ix] = [await r.values.data(), await r.indices.data()];
      r.values.release();
      r.indices.release();
      for (let j = 0; j < ix.length; j++) ix[j] += i0;
      candIdx.push(ix as Int32Array);
      candVal.push(v as Float32Array);
    }
    mergeCandidates(candIdx, candVal, qn, k, q0, indices, values);
  }
  return { k, indices, values };
}

/** Merges per-chunk top-k lists (each (qn, k_c), sorted) into the global top-k per query, in the one top-k order. */
function mergeCandidates(idx: Int32Array[], val: Float32Array[], qn: number, k: number, q0: number, outIdx: Int32Array, outVal: Float32Array): void {
  const heap = new TopKHeap(k);
  for (let q = 0; q < qn; q++) {
    idx.forEach((ix, c) => {
      const kc = ix.length / qn;
      for (let j = 0; j < kc; j++) heap.push(ix[q * kc + j], val[c][q * kc + j]);
    });
    heap.drainSorted(outIdx, outVal, (q0 + q) * k);
  }
}
