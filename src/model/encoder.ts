// The compact text encoder NGAME trains: token + learned position embeddings, N transformer
// layers (multi-head self-attention with the padding mask, feed-forward, residuals, dropout),
// mean pooling over the real tokens, an optional linear projection, and L2 normalisation, so
// the output rows are unit vectors whose dot products are cosine similarities.
//
// Two layer layouts:
//   pre  (default): x = x + Drop(Attn(LN1(x)));  x = x + Drop(FFN(LN2(x)));  final LN at the end
//   post (BERT):    x = Drop(LN_emb(tok + pos)); x = LN1(x + Drop(Attn(x)));  x = LN2(x + Drop(FFN(x)))
// Pre-LN trains stably from scratch without warmup tricks; post-LN is what BERT / DistilBERT
// checkpoints hold (see pretrained.ts).
//
// Siamese use: documents and labels go through the same Encoder; separate towers are simply two
// Encoder instances. forward() records the autograd graph and does not open a scope: wrap the
// forward, the loss and backward() in one T.scope so the intermediates live until backward.

import * as T from '../tensor';
import type { Backend, DType, Tensor } from '../tensor';
import { attentionBias, MultiHeadAttention } from './attention';
import { applyDropout, FeedForward, INIT_STD, LayerNorm, Linear, type Activation, type DropoutCtx } from './layers';
import { Params } from './params';
import type { EncoderInput, ForwardOptions, TextEncoder } from './text-encoder';

export interface EncoderConfig {
  vocabSize: number;
  /** Model width C. */
  dim: number;
  layers: number;
  heads: number;
  /** Feed-forward hidden width. */
  ffn: number;
  /** Rows of the position table: the longest sequence the encoder accepts. */
  maxLen: number;
  /** Dropout probability (embeddings, attention probabilities, residual branches). */
  dropout: number;
  layout: 'pre' | 'post';
  /** Output width after an optional linear projection (none when undefined). */
  projDim?: number;
  /** LayerNorm epsilon. */
  eps: number;
  /** Feed-forward activation (default gelu_tanh, the fused kernel). */
  act: Activation;
}

export const DEFAULT_ENCODER_CONFIG: Omit<EncoderConfig, 'vocabSize'> = {
  dim: 128,
  layers: 2,
  heads: 4,
  ffn: 512,
  maxLen: 32,
  dropout: 0.1,
  layout: 'pre',
  eps: 1e-5,
  act: 'gelu_tanh',
};

/** Fills defaults and checks every field; errors name the field at fault. */
export function encoderConfig(c: Partial<EncoderConfig> & { vocabSize: number }): EncoderConfig {
  const cfg: EncoderConfig = { ...DEFAULT_ENCODER_CONFIG, ...c };
  const posInt = (key: keyof EncoderConfig, v: unknown) => {
    if (!Number.isInteger(v) || (v as number) < 1) throw new Error(`encoderConfig: ${key} must be a positive integer, got ${JSON.stringify(v)}`);
  };
  for (const key of ['vocabSize', 'dim', 'layers', 'heads', 'ffn', 'maxLen'] as const) posInt(key, cfg[key]);
  if (cfg.projDim !== undefined) posInt('projDim', cfg.projDim);
  if (cfg.dim % cfg.heads !== 0) throw new Error(`encoderConfig: dim ${cfg.dim} is not divisible by heads ${cfg.heads}`);
  if (!(cfg.dropout >= 0 && cfg.dropout < 1)) throw new Error(`encoderConfig: dropout must be in [0, 1), got ${cfg.dropout}`);
  if (cfg.layout !== 'pre' && cfg.layout !== 'post') throw new Error(`encoderConfig: layout must be "pre" or "post", got ${JSON.stringify(cfg.layout)}`);
  if (!(cfg.eps > 0)) throw new Error(`encoderConfig: eps must be positive, got ${cfg.eps}`);
  if (!['gelu_tanh', 'gelu', 'relu'].includes(cfg.act)) throw new Error(`encoderConfig: act must be gelu_tanh, gelu or relu, got ${JSON.stringify(cfg.act)}`);
  return cfg;
}

export type { ForwardOptions } from './text-encoder';

export interface EncoderOptions {
  backend?: Backend;
  /** f32 (default) or f64 (cpu only, for gradient checks). */
  dtype?: DType;
  /** Initialisation seed. */
  seed?: number;
}

/** One transformer layer; its parameters are `${name}.attn.*`, `.ln1.*`, `.ffn.*`, `.ln2.*`. */
export class TransformerLayer {
  readonly attn: MultiHeadAttention;
  readonly ln1: LayerNorm;
  readonly ffn: FeedForward;
  readonly ln2: LayerNorm;

  constructor(params: Params, readonly name: string, readonly cfg: EncoderConfig) {
    this.attn = new MultiHeadAttention(params, `${name}.attn`, cfg.dim, cfg.heads);
    this.ln1 = new LayerNorm(params, `${name}.ln1`, cfg.dim, cfg.eps);
    this.ffn = new FeedForward(params, `${name}.ffn`, cfg.dim, cfg.ffn, cfg.act);
    this.ln2 = new LayerNorm(params, `${name}.ln2`, cfg.dim, cfg.eps);
  }

  // x: (B, T, C), bias: (B, 1, 1, T) -> (B, T, C)
  forward(x: Tensor, bias: Tensor, drop: DropoutCtx): Tensor {
    if (this.cfg.layout === 'pre') {
      const a = applyDropout(this.attn.forward(this.ln1.forward(x), bias, drop), drop);
      const h = T.add(x, a);
      const f = applyDropout(this.ffn.forward(this.ln2.forward(h)), drop);
      return T.add(h, f);
    }
    const h = this.ln1.forward(T.add(x, applyDropout(this.attn.forward(x, bias, drop), drop)));
    return this.ln2.forward(T.add(h, applyDropout(this.ffn.forward(h), drop)));
  }
}

export class Encoder implements TextEncoder {
  readonly kind = 'transformer' as const;
  readonly config: EncoderConfig;
  readonly params: Params;
  readonly layers: TransformerLayer[];
  /** Post-LN only: the LayerNorm over the summed embeddings. */
  readonly embLn: LayerNorm | null;
  /** Pre-LN only: the LayerNorm after the last layer. */
  readonly finalLn: LayerNorm | null;
  readonly proj: Linear | null;

  constructor(config: Partial<EncoderConfig> & { vocabSize: number }, opts: EncoderOptions = {}) {
    this.config = encoderConfig(config);
    const cfg = this.config;
    this.params = new Params(opts.backend ?? T.getDefaultBackend(), opts.dtype ?? 'f32', opts.seed ?? 0);
    const p = this.params;
    // Token table: big, and a step touches only the rows of its tokens (row-sparse updates allowed).
    p.define('embed.tokens', [cfg.vocabSize, cfg.dim], { kind: 'normal', std: INIT_STD }, { sparse: true });
    p.define('embed.positions', [cfg.maxLen, cfg.dim], { kind: 'normal', std: INIT_STD });
    this.embLn = cfg.layout === 'post' ? new LayerNorm(p, 'embed.ln', cfg.dim, cfg.eps) : null;
    this.layers = [];
    for (let i = 0; i < cfg.layers; i++) this.layers.push(new TransformerLayer(p, `layers.${i}`, cfg));
    this.finalLn = cfg.layout === 'pre' ? new LayerNorm(p, 'final.ln', cfg.dim, cfg.eps) : null;
    this.proj = cfg.projDim !== undefined ? new Linear(p, 'proj', cfg.dim, cfg.projDim) : null;
  }

  get backend(): Backend {
    return this.params.backend;
  }

  /** Width of the output embeddings. */
  get outDim(): number {
    return this.config.projDim ?? this.config.dim;
  }

  private checkInputs(ids: ArrayLike<number>, mask: ArrayLike<number>, B: number, Tn: number): void {
    if (!Number.isInteger(B) || B < 1 || !Number.isInteger(Tn) || Tn < 1) throw new Error(`Encoder.forward: B and T must be positive integers, got B=${B}, T=${Tn}`);
    if (Tn > this.config.maxLen) throw new Error(`Encoder.forward: sequence length T=${Tn} exceeds maxLen ${this.config.maxLen}`);
    if (ids.length !== B * Tn) throw new Error(`Encoder.forward: ids has ${ids.length} entries, expected B*T = ${B * Tn}`);
    if (mask.length !== B * Tn) throw new Error(`Encoder.forward: mask has ${mask.length} entries, expected B*T = ${B * Tn}`);
  }

  /**
   * The final hidden states (B, T, C) of a batch: ids and mask are row-major (B*T), mask != 0
   * on real tokens. Records the autograd graph.
   */
  hidden(ids: ArrayLike<number>, mask: ArrayLike<number>, B: number, Tn: number, opts: ForwardOptions = {}): Tensor {
    this.checkInputs(ids, mask, B, Tn);
    const cfg = this.config;
    const be = this.backend;
    const dtype = this.params.dtype;
    const drop: DropoutCtx = { p: cfg.dropout, training: opts.training ?? false, rng: opts.rng };

    const idx = T.tensor(Int32Array.from(ids), [B, Tn], { backend: be, dtype: 'i32' });
    const posIdx = T.tensor(Int32Array.from({ length: Tn }, (_, t) => t), [Tn], { backend: be, dtype: 'i32' });
    const tok = T.embedding(this.params.get('embed.tokens'), idx); // (B, T, C)
    const pos = T.embedding(this.params.get('embed.positions'), posIdx); // (T, C), broadcast over B
    let x = T.add(tok, pos); // (B, T, C)
    if (this.embLn) x = this.embLn.forward(x);
    x = applyDropout(x, drop);

    const bias = attentionBias(mask, B, Tn, be, dtype); // (B, 1, 1, T)
    for (const layer of this.layers) x = layer.forward(x, bias, drop);
    if (this.finalLn) x = this.finalLn.forward(x);
    return x;
  }

  /**
   * Unit-norm embeddings (B, D) of a batch: mean of the hidden states over the real tokens,
   * projected (when configured) and L2-normalised. A row with no real token gives zeros.
   */
  forward(ids: ArrayLike<number>, mask: ArrayLike<number>, B: number, Tn: number, opts: ForwardOptions = {}): Tensor {
    const h = this.hidden(ids, mask, B, Tn, opts); // (B, T, C)
    let pooled = T.reshape(T.matmul(poolWeights(mask, B, Tn, this.backend, this.params.dtype), h), [B, this.config.dim]); // (B, 1, T)·(B, T, C) -> (B, C)
    if (this.proj) pooled = this.proj.forward(pooled); // (B, D)
    return T.l2Normalize(pooled);
  }

  /** forward() on a tokenizer batch ({ ids, mask, batch, maxLen } from Tokenizer.encodeBatch). */
  forwardBatch(b: { ids: ArrayLike<number>; mask: ArrayLike<number>; batch: number; maxLen: number }, opts: ForwardOptions = {}): Tensor {
    return this.forward(b.ids, b.mask, b.batch, b.maxLen, opts);
  }

  /** TextEncoder: a tokenized batch (corpus.ts) to unit embeddings (B, D). */
  encode(x: EncoderInput, opts: ForwardOptions = {}): Tensor {
    if (x.kind !== 'tokens') throw new Error(`Encoder: the transformer expects token ids, got a ${x.kind} batch (is the corpus made for another encoder?)`);
    return this.forward(x.ids, x.mask, x.B, x.T, opts);
  }

  /** Releases every parameter. */
  dispose(): void {
    this.params.dispose();
  }
}

/** Mean-pooling weights (B, 1, T): mask[b, t] / (number of real tokens in row b), 0 for an empty row. */
export function poolWeights(mask: ArrayLike<number>, B: number, Tn: number, backend: Backend, dtype: DType = 'f32'): Tensor {
  const w = new Float64Array(B * Tn);
  for (let b = 0; b < B; b++) {
    let n = 0;
    for (let t = 0; t < Tn; t++) if (mask[b * Tn + t]) n++;
    for (let t = 0; t < Tn; t++) w[b * Tn + t] = mask[b * Tn + t] && n > 0 ? 1 / n : 0;
  }
  return T.tensor(w, [B, 1, Tn], { backend, dtype });
}
