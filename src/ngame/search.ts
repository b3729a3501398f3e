// The one exact maximum-inner-product search, on the training backend: on a device, scores = Q·Xᵀ
// by matmul, then the row-wise top-k kernel, chunked over items (so any label count fits the
// device's buffer limits) and over queries, with the chunks' candidates merged on the host; on
// the cpu backend, the host's exactTopK (ann/exact.ts: the blocked loops of ann/similarity.ts,
// faster there than the reference matmul). Code without a backend (clustering, IVF, HNSW's
// recall) calls exactTopK directly: the same search, its host path.
//
// BackendIndex keeps the item table on the backend between searches (the mined samplers search
// the same label table every step until their next refresh: uploading it once saves a full copy
// per step). Its `refine` search returns exactly what the host's exactTopK returns: the device
// proposes the best k + margin items by its f32 scores, the host re-scores those candidates with
// exactTopK's own arithmetic (f64 sums in dimension order, rounded to f32) and keeps the best k,
// after checking with a rounding-error bound that no other item could enter (refineExact).

import * as T from '../tensor';
import type { Backend, Tensor } from '../tensor';
import { exactTopK } from './ann/exact';
import { TopKHeap, type TopK } from '../util/topk';
import { mat } from './matrix';

export interface SearchOptions {
  /** Items per chunk (default: as many as fit 64 MiB of scores for the query chunk). */
  itemChunk?: number;
  queryChunk?: number;
}

export interface IndexSearchOptions {
  /** Re-score the device's candidates on the host so the result equals exactTopK's (see above). */
  refine?: boolean;
  /** Extra candidates the device proposes for `refine` (default max(k, 16)). */
  margin?: number;
}

/** For each query row, the k items of largest inner product (ties: lower index first). */
export async function searchTopK(backend: Backend, queries: Float32Array, items: Float32Array, dim: number, k: number, opts: SearchOptions = {}): Promise<TopK> {
  const index = BackendIndex.build(backend, items, dim, opts);
  try {
    return await index.search(queries, k);
  } finally {
    index.release();
  }
}

/** An exact inner-product index whose (n, dim) item table stays on the backend until release(). */
export class BackendIndex {
  readonly n: number;
  private chunks: { start: number; X: Tensor }[] = [];
  private readonly qChunk: number;

  private constructor(readonly backend: Backend, readonly items: Float32Array, readonly dim: number, opts: SearchOptions) {
    this.n = items.length / dim;
    if (!Number.isInteger(this.n)) throw new Error(`searchTopK: ${items.length} item values are not a multiple of dim ${dim}`);
    this.qChunk = opts.queryChunk ?? 1024;
    if (backend.name === 'cpu') return;
    // item chunks and score blocks within 64 MiB and within one binding (backend.maxTensorBytes)
    const budget = Math.min(64 << 20, backend.maxTensorBytes);
    const iChunk = opts.itemChunk ?? Math.max(1, Math.floor(Math.min(budget / 4 / this.qChunk, budget / 4 / dim)));
    for (let i0 = 0; i0 < this.n; i0 += iChunk) {
      const i1 = Math.min(i0 + iChunk, this.n);
      this.chunks.push({ start: i0, X: T.keep(T.tensor(items.subarray(i0 * dim, i1 * dim), [i1 - i0, dim], { backend })) });
    }
  }

  /** Uploads items (n × dim, row-major) to the backend (nothing to upload on the cpu backend). */
  static build(backend: Backend, items: Float32Array, dim: number, opts: SearchOptions = {}): BackendIndex {
    return new BackendIndex(backend, items, dim, opts);
  }

  /** For each query row (nq × dim), the k items of largest inner product, in the one top-k order. */
  async search(queries: Float32Array, k: number, opts: IndexSearchOptions = {}): Promise<TopK> {
    const { dim, n } = this;
    const nq = queries.length / dim;
    if (!Number.isInteger(nq)) throw new Error(`searchTopK: ${queries.length} query values are not a multiple of dim ${dim}`);
    if (!(Number.isInteger(k) && k >= 1 && k <= n)) throw new Error(`searchTopK: k = ${k} must be in [1, ${n}]`);
    if (this.backend.name === 'cpu') return exactTopK(mat(nq, dim, queries), mat(n, dim, this.items), k);
    if (!opts.refine) return this.deviceTopK(queries, nq, k);
    const kc = Math.min(n, k + (opts.margin ?? Math.max(k, 16)));
    return refineExact(queries, this.items, dim, await this.deviceTopK(queries, nq, kc), k, this.maxItemNorm());
  }

  /**
   * The device's own top-k: matmul and the top-k kernel per (query chunk, item chunk), every
   * item chunk recorded before the first read (one submit per query chunk), merged on the host.
   */
  private async deviceTopK(queries: Float32Array, nq: number, k: number): Promise<TopK> {
    const { dim, backend } = this;
    const indices = new Int32Array(nq * k);
    const values = new Float32Array(nq * k);
    for (let q0 = 0; q0 < nq; q0 += this.qChunk) {
      const q1 = Math.min(q0 + this.qChunk, nq);
      const qn = q1 - q0;
      // Candidates from every item chunk: (qn, k') each, k' = min(k, chunk rows).
      const tops = T.noGrad(() => T.scope(() => {
        const Q = T.tensor(queries.subarray(q0 * dim, q1 * dim), [qn, dim], { backend });
        // each chunk's scores are released once its top-k is recorded: the next chunk reuses them
        return this.chunks.map(({ X }) => T.scope(() => T.topk(T.matmul(Q, X, { transB: true }), Math.min(k, X.shape[0]))));
      }));
      const candIdx: Int32Array[] = [];
      const candVal: Float32Array[] = [];
      try {
        for (let c = 0; c < tops.length; c++) {
          const ix = (await tops[c].indices.data()) as Int32Array;
          for (let j = 0; j < ix.length; j++) ix[j] += this.chunks[c].start;
          candIdx.push(ix);
          candVal.push((await tops[c].values.data()) as Float32Array);
        }
      } finally {
        for (const t of tops) {
          t.values.release();
          t.indices.release();
        }
      }
      mergeCandidates(candIdx, candVal, qn, k, q0, indices, values);
    }
    return { k, indices, values };
  }

  private maxNorm = -1;
  private maxItemNorm(): number {
    if (this.maxNorm < 0) {
      let m = 0;
      for (let j = 0; j < this.n; j++) {
        let s = 0;
        for (let t = 0; t < this.dim; t++) s += this.items[j * this.dim + t] ** 2;
        m = Math.max(m, s);
      }
      this.maxNorm = Math.sqrt(m);
    }
    return this.maxNorm;
  }

  release(): void {
    for (const c of this.chunks) c.X.release();
    this.chunks = [];
  }
}

/**
 * The best k items of each query as exactTopK finds them (ann/similarity.ts: products summed in
 * f64 in dimension order, rounded to f32, then the one top-k order), from the device's kc > k
 * best candidates. A query keeps the candidates' result only when it is provably exact: every
 * item outside the candidates has a device score at most the last candidate's, c, so an exact
 * score at most c + ε, where ε bounds an f32 dot product's rounding error in any summation order
 * ((dim + 4) · 2⁻²³ · |q| · max |x|, generous); if the k-th best re-scored candidate beats
 * c + ε no outside item can enter. Otherwise (near-ties across the cut, or NaN) that query is
 * scanned exactly over every item.
 */
export function refineExact(queries: Float32Array, items: Float32Array, dim: number, cand: TopK, k: number, maxItemNorm: number): TopK {
  const nq = queries.length / dim;
  const n = items.length / dim;
  const kc = cand.k;
  const indices = new Int32Array(nq * k);
  const values = new Float32Array(nq * k);
  const heap = new TopKHeap(k);
  const score = (a: number, j: number) => {
    const b = j * dim;
    let s = 0;
    for (let t = 0; t < dim; t++) s += queries[a + t] * items[b + t];
    return Math.fround(s); // exactTopK compares the f32-rounded score
  };
  for (let q = 0; q < nq; q++) {
    const a = q * dim;
    for (let c = 0; c < kc; c++) {
      const j = cand.indices[q * kc + c];
      if (j >= 0) heap.push(j, score(a, j));
    }
    if (kc < n) {
      let qn = 0;
      for (let t = 0; t < dim; t++) qn += queries[a + t] * queries[a + t];
      const eps = (dim + 4) * 2 ** -23 * Math.sqrt(qn) * maxItemNorm;
      const kth = heap.size === k ? heap.values[0] : -Infinity; // the heap's root is its worst
      if (!(kth > cand.values[q * kc + kc - 1] + eps)) {
        heap.clear();
        for (let j = 0; j < n; j++) heap.push(j, score(a, j));
      }
    }
    heap.drainSorted(indices, values, q * k);
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
