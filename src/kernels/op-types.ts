// What each kernel family computes, as data: the unary and binary elementwise ops, the
// reductions, a (batched, optionally transposed) matmul's shape, and Adam's hyper-parameters.
// The kernels (WGSL and TS reference) take these; src/tensor's Backend interface passes them on.

export type UnaryOp =
  | 'neg' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'tanh' | 'relu' | 'gelu' | 'sigmoid'
  | 'pow'     // x^alpha
  | 'scale'   // alpha * x
  | 'shift'   // x + alpha
  | 'abs'
  | 'square';

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min' | 'eq' | 'gt';

export type ReduceOp = 'sum' | 'max' | 'min';

export interface MatmulParams {
  batch: number;
  /** C is (M, N); A is (M, K), or (K, M) when transA; B is (K, N), or (N, K) when transB. */
  M: number; N: number; K: number;
  transA: boolean; transB: boolean;
  /** Element strides between consecutive batch matrices; 0 broadcasts one matrix to every batch. */
  strideA: number; strideB: number;
}

export interface AdamHyper {
  lr: number; beta1: number; beta2: number; eps: number;
  /** Decoupled weight decay (AdamW): p -= lr * wd * p. */
  weightDecay: number;
  /** Bias corrections 1 - beta^t, precomputed on the host. */
  bc1: number; bc2: number;
  /** Gradients are multiplied by this first (global-norm clipping). */
  gradScale: number;
}
