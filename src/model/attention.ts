// Multi-head self-attention with a padding mask.
//   q, k, v = x·Wqᵀ + bq, ...            each (B, T, C), split into H heads of size d = C/H
//   scores  = q·kᵀ / √d + bias           (B, H, T, T); bias is 0 on real keys, -1e9 on padding
//   probs   = dropout(softmax(scores))   over the key axis
//   out     = (probs·v) merged back to (B, T, C), then the output projection Wo
// Padding keys get probability exp(-1e9) = 0 exactly, so padded positions never influence real
// ones. Padded query rows still produce (ignored) values; pooling skips them.

import * as T from '../tensor';
import type { Backend, DType, Tensor } from '../tensor';
import { applyDropout, Linear, type DropoutCtx } from './layers';
import type { Params } from './params';

/** Added to the attention scores of padded keys. */
export const MASK_NEG = -1e9;

/**
 * The additive attention bias for a padding mask: (B, 1, 1, T), 0 where mask[b, t] != 0 and
 * MASK_NEG where it is 0. mask is row-major (B*T).
 */
export function attentionBias(mask: ArrayLike<number>, B: number, Tn: number, backend: Backend, dtype: DType = 'f32'): Tensor {
  if (mask.length !== B * Tn) throw new Error(`attentionBias: mask has ${mask.length} entries, expected B*T = ${B}*${Tn}`);
  const bias = new Float64Array(B * Tn);
  for (let i = 0; i < bias.length; i++) bias[i] = mask[i] ? 0 : MASK_NEG;
  return T.tensor(bias, [B, 1, 1, Tn], { backend, dtype });
}

export class MultiHeadAttention {
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  readonly o: Linear;
  readonly headDim: number;

  constructor(params: Params, readonly name: string, readonly dim: number, readonly heads: number) {
    if (!Number.isInteger(heads) || heads < 1 || dim % heads !== 0) {
      throw new Error(`MultiHeadAttention: dim ${dim} is not divisible by heads ${heads}`);
    }
    this.headDim = dim / heads;
    this.q = new Linear(params, `${name}.q`, dim, dim);
    this.k = new Linear(params, `${name}.k`, dim, dim);
    this.v = new Linear(params, `${name}.v`, dim, dim);
    this.o = new Linear(params, `${name}.o`, dim, dim);
  }

  // (B, T, C) -> (B, H, T, d)
  private splitHeads(x: Tensor, B: number, Tn: number): Tensor {
    return T.permute(T.reshape(x, [B, Tn, this.heads, this.headDim]), [0, 2, 1, 3]);
  }

  /**
   * x: (B, T, C); bias: (B, 1, 1, T) from attentionBias. `drop` is the attention-probability
   * dropout. Returns (B, T, C).
   */
  forward(x: Tensor, bias: Tensor, drop: DropoutCtx): Tensor {
    if (x.rank !== 3 || x.shape[2] !== this.dim) {
      throw new Error(`MultiHeadAttention ${this.name}: x must be (B, T, ${this.dim}), got [${x.shape.join(', ')}]`);
    }
    const [B, Tn] = x.shape;
    // The 1/√d scale is applied to q (B·T·C values) rather than to the scores (B·H·T·T).
    const q = this.splitHeads(T.scale(this.q.forward(x), 1 / Math.sqrt(this.headDim)), B, Tn); // (B, H, T, d)
    const k = this.splitHeads(this.k.forward(x), B, Tn); // (B, H, T, d)
    const v = this.splitHeads(this.v.forward(x), B, Tn); // (B, H, T, d)
    const scores = T.add(T.matmul(q, k, { transB: true }), bias); // (B, H, T, T) + (B, 1, 1, T)
    const probs = applyDropout(T.softmax(scores), drop); // (B, H, T, T)
    const ctx = T.matmul(probs, v); // (B, H, T, d)
    const merged = T.reshape(T.permute(ctx, [0, 2, 1, 3]), [B, Tn, this.dim]); // (B, T, C)
    return this.o.forward(merged);
  }
}
