// The kernel-level interface that both backends implement. The tensor layer (src/tensor/ops)
// calls these; the cpu backend runs the plain-TS references in src/kernels, the webgpu backend
// runs the WGSL twins. Every buffer is contiguous row-major; shapes are passed explicitly.
// Every method returns a NEW buffer the caller owns (release it with `release`), except the
// in-place optimizer updates.

import type { DType, TypedArray } from '../util/dtype';
import type { TopK } from '../util/topk';
import type { AdamHyper, BinaryOp, MatmulParams, ReduceOp, UnaryOp } from '../kernels/op-types';
import type { MemoryStats } from '../kernels/webgpu/pool';

// The op descriptors belong to the kernels that run them, the memory counts to the buffer pool
// that keeps them; the Backend interface speaks them.
export type { AdamHyper, BinaryOp, MatmulParams, MemoryStats, ReduceOp, UnaryOp };

/** Opaque storage owned by one backend. `bytes` is the allocation size. */
export interface BackendBuffer {
  readonly bytes: number;
}

export interface Backend {
  readonly name: 'cpu' | 'webgpu';
  /** Human-readable device description, e.g. the adapter name. */
  readonly deviceName: string;
  supports(dtype: DType): boolean;
  /**
   * The largest tensor, in bytes, a kernel can read or write whole: WebGPU's storage binding
   * limit (128 MiB on llvmpipe; the smaller of maxStorageBufferBindingSize and maxBufferSize, or
   * a smaller forced one), Infinity on cpu. Callers check their tables against it up front.
   */
  readonly maxTensorBytes: number;
  /**
   * True when a 2-D table over maxTensorBytes is kept as row shards (webgpu: shards.ts) that
   * upload, fill, alloc, read, release, embeddingBag and adamRows take; every other op needs
   * its inputs whole. False on cpu, whose tables are never split.
   */
  readonly rowShards: boolean;

  // ---- memory ----
  /** rowLen: the row length of a 2-D table (its last dimension), which may then be row-sharded. */
  upload(data: TypedArray, rowLen?: number): BackendBuffer;
  /** Contents undefined (the webgpu backend poisons them with NaN in debug mode). */
  alloc(n: number, dtype: DType, rowLen?: number): BackendBuffer;
  /** Reads n elements. Submits pending work first. */
  read(buf: BackendBuffer, n: number, dtype: DType): Promise<TypedArray>;
  /** Synchronous read; only the cpu backend has it. */
  readSync?(buf: BackendBuffer, n: number, dtype: DType): TypedArray;
  release(buf: BackendBuffer): void;
  /** Submits queued work (a step boundary). */
  flush(): void;
  memory(): MemoryStats;
  resetPeak(): void;

  // ---- elementwise ----
  fill(n: number, dtype: DType, value: number, rowLen?: number): BackendBuffer;
  /** out = f(x). alpha is the op's scalar (pow exponent, scale factor, shift). */
  unary(op: UnaryOp, x: BackendBuffer, n: number, dtype: DType, alpha?: number): BackendBuffer;
  /** out = dy * f'(x), given x and y = f(x) (each op uses whichever is cheaper). */
  unaryGrad(op: UnaryOp, x: BackendBuffer, y: BackendBuffer, dy: BackendBuffer, n: number, dtype: DType, alpha?: number): BackendBuffer;
  /** out[i] = a[ia] op b[ib] over `outShape`; aStrides/bStrides are 0 on broadcast axes. eq/gt give 1 or 0. */
  binary(op: BinaryOp, a: BackendBuffer, b: BackendBuffer, outShape: readonly number[], aStrides: readonly number[], bStrides: readonly number[], dtype: DType): BackendBuffer;
  /** out = cond != 0 ? a : b, all three broadcast to outShape by strides; cond has dtype condDtype. */
  where(cond: BackendBuffer, a: BackendBuffer, b: BackendBuffer, outShape: readonly number[], cStrides: readonly number[], aStrides: readonly number[], bStrides: readonly number[], dtype: DType, condDtype: DType): BackendBuffer;
  /** Strided gather: out[idx] = x[offset + sum_i idx_i * strides[i]] over outShape (permute, slice, expand). */
  strided(x: BackendBuffer, outShape: readonly number[], strides: readonly number[], offset: number, dtype: DType): BackendBuffer;
  /** Concatenate a: (outer, la, inner) and b: (outer, lb, inner) along the middle axis. */
  concat2(a: BackendBuffer, b: BackendBuffer, outer: number, la: number, lb: number, inner: number, dtype: DType): BackendBuffer;
  /** f32 mask of n elements: 0 with probability p, else 1/(1-p); element i depends only on (seed, i). */
  dropoutMask(n: number, p: number, seed: number): BackendBuffer;

  // ---- reductions: x viewed as (outer, len, inner), reduced over len -> (outer, inner) ----
  reduce(op: ReduceOp, x: BackendBuffer, outer: number, len: number, inner: number, dtype: DType): BackendBuffer;

  // ---- matmul ----
  matmul(a: BackendBuffer, b: BackendBuffer, p: MatmulParams, dtype: DType): BackendBuffer;

  // ---- fused row ops over the last axis: x is (rows, cols) ----
  softmax(x: BackendBuffer, rows: number, cols: number, log: boolean, dtype: DType): BackendBuffer;
  /** softmax: dx = y * (dy - sum(dy * y)); logSoftmax: dx = dy - exp(y) * sum(dy). */
  softmaxGrad(y: BackendBuffer, dy: BackendBuffer, rows: number, cols: number, log: boolean, dtype: DType): BackendBuffer;
  layerNorm(x: BackendBuffer, gamma: BackendBuffer, beta: BackendBuffer, rows: number, cols: number, eps: number, dtype: DType):
    { y: BackendBuffer; mean: BackendBuffer; rstd: BackendBuffer };
  layerNormGrad(dy: BackendBuffer, x: BackendBuffer, gamma: BackendBuffer, mean: BackendBuffer, rstd: BackendBuffer, rows: number, cols: number, dtype: DType):
    { dx: BackendBuffer; dgamma: BackendBuffer; dbeta: BackendBuffer };

  // ---- indexing ----
  /** out[i, :] = table[idx[i], :]; table (numRows, cols), idx i32 (n). */
  gather(table: BackendBuffer, idx: BackendBuffer, n: number, numRows: number, cols: number, dtype: DType): BackendBuffer;
  /** out (numRows, cols) = 0, then out[idx[i], :] += src[i, :]. idx given on the host: the sum order is fixed (deterministic). */
  scatterAdd(src: BackendBuffer, idx: Int32Array, numRows: number, cols: number, dtype: DType): BackendBuffer;
  /** Row-wise top-k of x (rows, cols): values (rows, k) descending, indices i32 (rows, k); ties -> lower index. */
  topk(x: BackendBuffer, rows: number, cols: number, k: number, dtype: DType): TopK<BackendBuffer, BackendBuffer>;
  /**
   * Weighted bag sums: out (B, cols), out[b, :] = Σ_{t in [offsets[b], offsets[b+1])} weights[t] ·
   * table[ids[t], :], summed in increasing t (bags longer than BAG_CHUNK tokens in fixed chunks,
   * identically on both backends); an empty bag gives zeros. table (numRows, cols) of `dtype`;
   * ids i32 (nnz), weights (nnz, rounded to `dtype`) and offsets i32 (B + 1) are host arrays
   * that the caller has validated (the tensor op embeddingBag runs validateBags; the backward and
   * coalesceRowSparse build valid ones): the backends do not check them again. Also the
   * row-sparse backward.
   */
  embeddingBag(table: BackendBuffer, ids: Int32Array, weights: Float32Array | Float64Array, offsets: Int32Array, B: number, numRows: number, cols: number, dtype: DType): BackendBuffer;
  /** out (rows, cols) = 0, then out[r, idx[r, j]] = src[r, j] (indices unique per row, as top-k gives). */
  scatterCols(src: BackendBuffer, idx: BackendBuffer, rows: number, k: number, cols: number, dtype: DType): BackendBuffer;

  // ---- optimizers (in place) ----
  /** AdamW on n elements: m, v, param updated in place. */
  adamw(param: BackendBuffer, grad: BackendBuffer, m: BackendBuffer, v: BackendBuffer, n: number, h: AdamHyper): void;
  /**
   * Row-sparse Adam: only the rows listed in `rows` (host i32, unique) of the (numRows, cols)
   * param/m/v tables are read and changed. grad is (numRows, cols) and read at those rows, or,
   * when `compact`, (rows.length, cols) with row j belonging to rows[j] (cost O(rows · cols)).
   */
  adamRows(param: BackendBuffer, grad: BackendBuffer, m: BackendBuffer, v: BackendBuffer, rows: Int32Array, cols: number, h: AdamHyper, compact?: boolean): void;
}
