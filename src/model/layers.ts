// Parameter holders for the encoder's building blocks. Each declares its tensors in a Params
// registry at construction and looks them up by name on every forward pass (so loading weights
// or moving the registry to another backend needs no change here).

import * as T from '../tensor';
import type { Tensor } from '../tensor';
import type { Rng } from '../util/rng';
import type { Params } from './params';

/** BERT's initialiser: weights and embeddings ~ N(0, 0.02²). */
export const INIT_STD = 0.02;

/** Feed-forward activation: GELU tanh form (fused kernel), exact erf GELU (as HF "gelu"), or ReLU. */
export type Activation = 'gelu_tanh' | 'gelu' | 'relu';

/** Dropout settings of one forward pass. Each dropout call draws its seed from `rng`. */
export interface DropoutCtx {
  p: number;
  training: boolean;
  rng?: Rng;
}

/** Applies dropout with a seed drawn from ctx.rng (identity outside training or when p = 0). */
export function applyDropout(x: Tensor, ctx: DropoutCtx): Tensor {
  if (!ctx.training || ctx.p === 0) return x;
  if (!ctx.rng) throw new Error('dropout: training with dropout > 0 needs an rng in the forward options');
  return T.dropout(x, ctx.p, ctx.rng.nextU32(), true);
}

/** y = x·Wᵀ + b with W (out, in), PyTorch's layout. */
export class Linear {
  readonly weightName: string;
  readonly biasName: string | null;

  constructor(
    private params: Params,
    readonly name: string,
    readonly inDim: number,
    readonly outDim: number,
    bias = true,
  ) {
    this.weightName = `${name}.weight`;
    this.biasName = bias ? `${name}.bias` : null;
    params.define(this.weightName, [outDim, inDim], { kind: 'normal', std: INIT_STD });
    if (this.biasName) params.define(this.biasName, [outDim], { kind: 'zeros' }, { decay: false });
  }

  get weight(): Tensor {
    return this.params.get(this.weightName);
  }
  get bias(): Tensor | undefined {
    return this.biasName ? this.params.get(this.biasName) : undefined;
  }

  // x: (..., in) -> (..., out). Computed on the 2-D view (rows, in) so the bias gradient is a
  // single column sum rather than one reduction per leading axis.
  forward(x: Tensor): Tensor {
    if (x.rank <= 2) return T.linear(x, this.weight, this.bias);
    const y = T.linear(T.reshape(x, [-1, this.inDim]), this.weight, this.bias); // (rows, out)
    return T.reshape(y, [...x.shape.slice(0, -1), this.outDim]);
  }
}

/** LayerNorm over the last axis with gain gamma (init 1) and shift beta (init 0); no weight decay. */
export class LayerNorm {
  readonly gammaName: string;
  readonly betaName: string;

  constructor(
    private params: Params,
    readonly name: string,
    readonly dim: number,
    readonly eps: number,
  ) {
    this.gammaName = `${name}.gamma`;
    this.betaName = `${name}.beta`;
    params.define(this.gammaName, [dim], { kind: 'ones' }, { decay: false });
    params.define(this.betaName, [dim], { kind: 'zeros' }, { decay: false });
  }

  get gamma(): Tensor {
    return this.params.get(this.gammaName);
  }
  get beta(): Tensor {
    return this.params.get(this.betaName);
  }

  // x: (..., dim) -> (..., dim)
  forward(x: Tensor): Tensor {
    return T.layerNorm(x, this.gamma, this.beta, this.eps);
  }
}

// Abramowitz & Stegun 7.1.26: erf(z) ≈ 1 - poly(t)·exp(-z²), t = 1/(1 + p·z) for z ≥ 0,
// absolute error below 1.5e-7 (under float32 rounding of the activations).
const AS_P = 0.3275911;
const AS_A = [0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429];

/**
 * Exact (erf) GELU, x·Φ(x), composed from differentiable ops. With z = |x|/√2 and
 * erf(z) = 1 - q, GELU = ½x(1 + sign(x)·erf(z)) = ½(x + |x| - |x|·q).
 */
export function geluErf(x: Tensor): Tensor {
  const ax = T.abs(x);
  const z = T.scale(ax, Math.SQRT1_2);
  const t = T.pow(T.shift(T.scale(z, AS_P), 1), -1);
  // Horner: poly = t·(a1 + t·(a2 + t·(a3 + t·(a4 + t·a5))))
  let poly = T.scale(t, AS_A[4]);
  for (let i = 3; i >= 0; i--) poly = T.mul(t, T.shift(poly, AS_A[i]));
  const q = T.mul(poly, T.exp(T.neg(T.square(z))));
  return T.scale(T.sub(T.add(x, ax), T.mul(ax, q)), 0.5);
}

export function activate(x: Tensor, act: Activation): Tensor {
  switch (act) {
    case 'gelu_tanh':
      return T.gelu(x);
    case 'gelu':
      return geluErf(x);
    case 'relu':
      return T.relu(x);
    default:
      throw new Error(`activate: unknown activation "${act as string}"`);
  }
}

/** Position-wise feed-forward fc2(act(fc1(x))); the dropout after it belongs to the caller (as in BERT). */
export class FeedForward {
  readonly fc1: Linear;
  readonly fc2: Linear;

  constructor(params: Params, readonly name: string, dim: number, hidden: number, readonly act: Activation) {
    this.fc1 = new Linear(params, `${name}.fc1`, dim, hidden);
    this.fc2 = new Linear(params, `${name}.fc2`, hidden, dim);
  }

  // x: (B, T, C) -> h: (B, T, ffn) -> (B, T, C)
  forward(x: Tensor): Tensor {
    return this.fc2.forward(activate(this.fc1.forward(x), this.act));
  }
}
