// What M1, M2, inference, `embed`, checkpoints and --resume need of an encoder, whichever kind it
// is: a batch of featurized texts in, unit-norm embeddings (B, D) out. Two kinds implement it:
//   transformer (encoder.ts):   token ids + padding mask -> attention layers -> mean pool
//   bag         (bag-encoder.ts): TF-IDF terms and weights -> weighted sum of term embeddings
//                                 -> residual block
// Callers cut batches from a corpus (src/ngame/corpus.ts), which holds whichever input the
// encoder reads, so nothing above this file asks which encoder runs.

import type { Backend, Tensor } from '../tensor';
import type { Rng } from '../util/rng';
import type { Params } from './params';

export type EncoderKind = 'transformer' | 'bag';

/** (B, T) token ids, row-major, and the mask (1 on real tokens). */
export interface TokenInput {
  kind: 'tokens';
  ids: Int32Array;
  mask: Uint8Array;
  B: number;
  T: number;
}

/**
 * B bags of weighted terms in CSR layout: bag b holds ids[offsets[b] .. offsets[b+1]) with their
 * weights (a text's L2-normalised TF-IDF row).
 */
export interface BagInput {
  kind: 'bag';
  ids: Int32Array;
  weights: Float32Array;
  /** (B + 1) */
  offsets: Int32Array;
  B: number;
}

export type EncoderInput = TokenInput | BagInput;

export interface ForwardOptions {
  /** Dropout on (default false). */
  training?: boolean;
  /** Source of the per-call dropout seeds; required when training with dropout > 0. */
  rng?: Rng;
}

export interface TextEncoder {
  readonly kind: EncoderKind;
  readonly params: Params;
  readonly backend: Backend;
  /** Width D of the output embeddings. */
  readonly outDim: number;
  /** Plain-JSON configuration (saved in checkpoints; the kind's constructor reads it back). */
  readonly config: object;
  /** Unit-norm embeddings (B, D) of a batch; records the autograd graph (wrap in T.scope). */
  encode(x: EncoderInput, opts?: ForwardOptions): Tensor;
  dispose(): void;
}
