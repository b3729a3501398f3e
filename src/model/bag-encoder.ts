// The light encoder NGAME's authors used before transformers (Astec, DECAF, ECLARE, SiameseXML):
// a TF-IDF-weighted bag of term embeddings followed by one residual block, L2-normalised.
//
//   h = Σ_t w_t · E[t]                     E: (V, C) term table, w: the text's unit TF-IDF row
//   e = normalize(h + Drop(act(W·h + b)))   W: (C, C), b: (C)
//
// Why it needs no pretraining. E starts as a random Gaussian table with std 1/√C, so h is a
// random projection of the TF-IDF vector: E[h·h'] = Σ_t w_t w'_t (the TF-IDF cosine), with
// spread ~1/√C (Johnson–Lindenstrauss). W starts small (std 0.02), so the residual branch adds
// little and e ≈ h/|h|: before any step, embedding cosines approximate TF-IDF cosines and M1
// starts near the label-cosine baseline instead of from noise (test/model/bag-encoder.test.ts
// measures this). Training then moves E's rows (a row-sparse update: only the terms of the batch)
// and W. A text with no known term has an empty bag: h = 0, the residual branch gives act(b)
// (0 at start), and the embedding is that vector normalised, zeros when it is zero (never NaN).

import * as T from '../tensor';
import type { Backend, DType, Tensor } from '../tensor';
import { activate, applyDropout, Linear, type Activation, type DropoutCtx } from './layers';
import { Params } from './params';
import type { BagInput, EncoderInput, ForwardOptions, TextEncoder } from './text-encoder';

export interface BagEncoderConfig {
  /** Rows of the term table: the featurizer's vocabulary size. */
  vocabSize: number;
  /** Embedding width C. */
  dim: number;
  /** Dropout on the residual branch. */
  dropout: number;
  act: Activation;
}

export const DEFAULT_BAG_CONFIG: Omit<BagEncoderConfig, 'vocabSize'> = { dim: 256, dropout: 0.1, act: 'relu' };

/** Fills defaults and checks every field; errors name the field at fault. */
export function bagEncoderConfig(c: Partial<BagEncoderConfig> & { vocabSize: number }): BagEncoderConfig {
  const cfg: BagEncoderConfig = { ...DEFAULT_BAG_CONFIG, ...c };
  for (const key of ['vocabSize', 'dim'] as const) {
    if (!Number.isInteger(cfg[key]) || cfg[key] < 1) throw new Error(`bagEncoderConfig: ${key} must be a positive integer, got ${JSON.stringify(cfg[key])}`);
  }
  if (!(cfg.dropout >= 0 && cfg.dropout < 1)) throw new Error(`bagEncoderConfig: dropout must be in [0, 1), got ${cfg.dropout}`);
  if (!['gelu_tanh', 'gelu', 'relu'].includes(cfg.act)) throw new Error(`bagEncoderConfig: act must be gelu_tanh, gelu or relu, got ${JSON.stringify(cfg.act)}`);
  return cfg;
}

export class BagEncoder implements TextEncoder {
  readonly kind = 'bag' as const;
  readonly config: BagEncoderConfig;
  readonly params: Params;
  readonly residual: Linear;

  constructor(config: Partial<BagEncoderConfig> & { vocabSize: number }, opts: { backend?: Backend; dtype?: DType; seed?: number } = {}) {
    this.config = bagEncoderConfig(config);
    const { vocabSize: V, dim: C } = this.config;
    this.params = new Params(opts.backend ?? T.getDefaultBackend(), opts.dtype ?? 'f32', opts.seed ?? 0);
    // The term table: a step touches only the rows of its batch's terms (row-sparse gradient).
    this.params.define('embed.terms', [V, C], { kind: 'normal', std: 1 / Math.sqrt(C) }, { sparse: true });
    this.residual = new Linear(this.params, 'residual', C, C);
  }

  get backend(): Backend {
    return this.params.backend;
  }

  get outDim(): number {
    return this.config.dim;
  }

  /** h: (B, C), the TF-IDF-weighted sum of the bags' term embeddings (before the residual block). */
  bagSum(x: BagInput): Tensor {
    const V = this.config.vocabSize;
    for (let i = 0; i < x.ids.length; i++) {
      if (!(x.ids[i] >= 0 && x.ids[i] < V)) throw new Error(`BagEncoder: term id ${x.ids[i]} at position ${i} is out of range [0, ${V})`);
    }
    // embeddingBag's backward gives the table a row-sparse gradient: only this batch's terms.
    return T.embeddingBag(this.params.get('embed.terms'), { ids: x.ids, weights: this.castWeights(x.weights), offsets: x.offsets });
  }

  private castWeights(w: Float32Array): Float32Array | Float64Array {
    return this.params.dtype === 'f64' ? Float64Array.from(w) : w;
  }

  encode(x: EncoderInput, opts: ForwardOptions = {}): Tensor {
    if (x.kind !== 'bag') throw new Error(`BagEncoder: expects bags of TF-IDF terms, got a ${x.kind} batch (is the corpus made for another encoder?)`);
    const drop: DropoutCtx = { p: this.config.dropout, training: opts.training ?? false, rng: opts.rng };
    const h = this.bagSum(x); // (B, C)
    const r = applyDropout(activate(this.residual.forward(h), this.config.act), drop); // (B, C)
    return T.l2Normalize(T.add(h, r));
  }

  dispose(): void {
    this.params.dispose();
  }
}
