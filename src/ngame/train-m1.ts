// NGAME's first module (M1): train the Siamese encoder with a chosen negative sampler.
//
// One step: the sampler gives a batch of documents and its label pool; documents and labels go
// through the same encoder (dropout on); S = E_docs · E_labelsᵀ (cosines, since rows are unit);
// the M1 loss on S, chosen once by resolveM1Loss (losses.ts): InfoNCE over the batch's label pool
// (the default, for every sampler), NGAME's triplet with online hard negative mining, BCE over the
// pool, or BCE over each document's own candidates ('bce-own'); plus the sampler's own auxiliary
// loss if it has one (the meta sampler's meta-classifier); backward; AdamW. The
// documents' embeddings from this pass go into the memory bank that NGAME clusters, so the
// clustering costs no extra encoding.

import * as T from '../tensor';
import type { Backend } from '../tensor';
import type { TextEncoder } from '../model/text-encoder';
import { AdamW } from '../model/optim';
import type { Dataset } from './data';
import { MemoryBank, trainableDocuments } from './batching';
import type { ClusteringReport } from './cluster';
import { concatBags, corpusBatch, type Corpus } from './corpus';
import { DiagnosticBudget, HardnessProbe, type Hardness } from './diagnostics';
import { embedCorpus } from './embed';
import { retrieve, testMetrics } from './inference';
import { bceWithLogits, infoNCE, maskedBceWithLogits, resolveM1Loss, tripletOHNM, type M1Loss, type M1LossChoice, type TripletOptions } from './losses';
import type { Metrics } from './metrics';
import { ownMask, type BatchPlan, type Sampler, type SamplerEnv } from './samplers';
import { Rng } from '../util/rng';

/** Everything M1Trainer needs; run-config.ts m1Config builds it from a run's config. */
export interface M1Config {
  epochs: number;
  batchSize: number;
  lr: number;
  warmupSteps: number;
  weightDecay: number;
  clipNorm: number;
  seed: number;
  triplet: TripletOptions;
  /** Cosines are in [-1, 1]: BCE logits are cosine × this scale. */
  bceScale: number;
  /** The loss asked for; resolveM1Loss (losses.ts) turns it into the loss that runs (M1Trainer.loss). */
  loss: M1LossChoice;
  /** InfoNCE temperature. */
  infoNCETau: number;
  /** Test metrics every this many epochs (0: never during training; run.ts evaluates at the end). */
  evalEvery: number;
  /**
   * Size of the fixed document sample of the negative-hardness diagnostic (diagnostics.ts),
   * measured after as many epochs as 5% of M1's time allows; 0: no diagnostic.
   */
  hardnessDocs: number;
}

export interface M1Context {
  data: Dataset;
  encoder: TextEncoder;
  backend: Backend;
  train: Corpus;
  labels: Corpus;
  test: Corpus;
}

export interface EpochLog {
  stage: 'M1';
  sampler: string;
  epoch: number;
  steps: number;
  loss: number;
  clusterSize: number | null;
  /** Clustering / index rebuild time this epoch. */
  overheadMs: number;
  /** When the ngame sampler clustered this epoch: method, balance, quality (cluster/choose.ts). */
  clustering?: ClusteringReport;
  epochMs: number;
  evalMs?: number;
  hardness?: Hardness;
  metrics?: Metrics;
  /** Peak device bytes during this epoch's steps. */
  peakBytes: number;
  skippedDocs: number;
  /** The loss that ran (absent in logs written before 2026-12-02). */
  lossName?: M1Loss;
}

/** State a run resumes from (see run.ts): the next epoch, steps done, optimizer, generator, memory bank. */
export interface M1Resume {
  epoch: number;
  step: number;
  opt?: AdamW;
  rng?: Rng;
  bank?: Float32Array;
}

export interface M1Hooks {
  onEpoch?: (log: EpochLog) => void | Promise<void>;
  onStep?: (step: number, loss: number, epochStep: number, epochSteps: number) => void;
}

/** Token rows touched by a batch (for the row-sparse update of the transformer's token table). */
function tokenRows(...bs: { ids: Int32Array }[]): Int32Array {
  const seen = new Set<number>();
  for (const b of bs) for (const id of b.ids) seen.add(id);
  return Int32Array.from(seen);
}

export class M1Trainer {
  readonly cfg: M1Config;
  readonly opt: AdamW;
  readonly bank: MemoryBank;
  readonly env: SamplerEnv;
  readonly rng: Rng;
  /** The loss this trainer runs, resolved once from cfg.loss and the sampler. */
  readonly loss: M1Loss;
  epoch = 0;
  private labelEmbCache: { step: number; emb: Float32Array } | null = null;
  /** The diagnostic's sample (its own seed, cfg.seed + 2: the training generator is never used) and its time budget. */
  private readonly probe: HardnessProbe | null;
  private readonly diagBudget = new DiagnosticBudget();

  /** cfg: complete; a run's comes from m1Config (run-config.ts, the one owner of the defaults). */
  constructor(readonly ctx: M1Context, readonly sampler: Sampler, cfg: M1Config, resume?: M1Resume) {
    this.cfg = { ...cfg, triplet: { ...cfg.triplet } };
    this.loss = resolveM1Loss(this.cfg.loss, sampler.loss);
    const { docs, skipped } = trainableDocuments(ctx.data.trainY);
    if (docs.length === 0) throw new Error('M1: no training document has a positive label');
    if (this.cfg.batchSize > docs.length) throw new Error(`M1: batch size ${this.cfg.batchSize} exceeds the ${docs.length} trainable documents`);
    this.skipped = skipped;
    this.probe = this.cfg.hardnessDocs > 0 ? new HardnessProbe(docs, this.cfg.hardnessDocs, this.cfg.seed + 2) : null;
    const stepsPerEpoch = Math.ceil(docs.length / this.cfg.batchSize);
    const schedule = { warmupSteps: this.cfg.warmupSteps, totalSteps: stepsPerEpoch * this.cfg.epochs };
    this.opt = resume?.opt ?? new AdamW(ctx.encoder.params, {
      lr: this.cfg.lr, weightDecay: this.cfg.weightDecay, clipNorm: this.cfg.clipNorm, ...schedule,
    });
    // A resumed optimizer (its moments and step count) follows this run's settings: resuming
    // with more epochs than the saved run extends the linear decay instead of training the extra
    // epochs at lr 0, and a new learning rate applies from the resumed epoch on.
    if (resume?.opt) Object.assign(resume.opt.config, { lr: this.cfg.lr, weightDecay: this.cfg.weightDecay, clipNorm: this.cfg.clipNorm, ...schedule });
    this.bank = new MemoryBank(ctx.data.trainY.rows, ctx.encoder.outDim);
    if (resume?.bank) this.bank.update(Int32Array.from({ length: this.bank.n }, (_, i) => i), resume.bank);
    this.rng = resume?.rng ?? new Rng(this.cfg.seed);
    this.epoch = resume?.epoch ?? 0;
    this.env = {
      Y: ctx.data.trainY, docs, batchSize: this.cfg.batchSize, bank: this.bank, backend: ctx.backend, step: resume?.step ?? 0, seed: this.cfg.seed,
      encodeAllLabels: () => this.labelEmbeddings(),
    };
  }

  readonly skipped: number;

  /** All label embeddings with the current encoder (cached within a step). */
  async labelEmbeddings(): Promise<Float32Array> {
    if (this.labelEmbCache && this.labelEmbCache.step === this.env.step) return this.labelEmbCache.emb;
    const emb = await embedCorpus(this.ctx.encoder, this.ctx.labels);
    this.labelEmbCache = { step: this.env.step, emb };
    return emb;
  }

  /** One optimisation step on a planned batch; returns the loss. */
  async step(plan: BatchPlan): Promise<number> {
    const { encoder, backend } = this.ctx;
    const docB = corpusBatch(this.ctx.train, plan.docs);
    const labB = corpusBatch(this.ctx.labels, plan.labels);
    const B = plan.docs.length;
    const L = plan.labels.length;
    const { loss, docEmb } = T.scope(() => {
      let d: T.Tensor;
      let l: T.Tensor;
      if (docB.kind === 'bag' && labB.kind === 'bag') {
        // Bags need no padding: documents and labels go through the encoder as one batch, half
        // the dispatches of two passes (the gradient rejoins through the two slices).
        const e = encoder.encode(concatBags(docB, labB), { training: true, rng: this.rng }); // (B + L, D)
        d = T.slice(e, 0, 0, B); // (B, D)
        l = T.slice(e, 0, B, B + L); // (L, D)
      } else {
        d = encoder.encode(docB, { training: true, rng: this.rng }); // (B, D)
        l = encoder.encode(labB, { training: true, rng: this.rng }); // (L, D)
      }
      const S = T.matmul(d, l, { transB: true }); // (B, L) cosines
      const tg = T.tensor(plan.targets, [B, L], { backend });
      let loss = this.loss === 'infonce' ? infoNCE(S, tg, this.cfg.infoNCETau)
        : this.loss === 'bce' ? bceWithLogits(T.scale(S, this.cfg.bceScale), tg)
        : this.loss === 'bce-own' ? ownBce(T.scale(S, this.cfg.bceScale), tg, plan, this.sampler.name)
        : tripletOHNM(S, tg, this.cfg.triplet);
      // A sampler with parameters of its own (meta) adds its loss; its gradient reaches the encoder too.
      const aux = this.sampler.auxLoss?.(d, plan, this.env) ?? null;
      if (aux) loss = T.add(loss, aux);
      T.backward(loss);
      return { loss, docEmb: T.detach(d) };
    });
    let info;
    let ok = false;
    try {
      // One readback per step: the gradient norm, the loss and the documents' embeddings together.
      // (The gradient norm, and so the clipping, covers the encoder's parameters only.)
      // The transformer's token table is told its rows for a row-sparse update; the bag encoder's
      // term table carries a row-sparse gradient (embeddingBag) that names them itself.
      const rows = docB.kind === 'tokens' && labB.kind === 'tokens' ? { 'embed.tokens': tokenRows(docB, labB) } : undefined;
      info = await this.opt.step({ loss, extra: docEmb, rows });
      ok = true;
    } finally {
      loss.release();
      docEmb.release();
      this.opt.zeroGrad();
      // The sampler's own parameters (meta's W): updated without a readback, gradients released.
      await this.sampler.afterStep?.(ok);
    }
    this.bank.update(plan.docs, info.extra!);
    this.env.step++;
    const value = info.loss ?? NaN;
    if (!Number.isFinite(value)) throw new Error(`M1: loss is ${value} at step ${this.env.step}`);
    return value;
  }

  /** One epoch of training, then the diagnostics (and the test metrics when due). */
  async trainEpoch(hooks: M1Hooks = {}): Promise<EpochLog> {
    const t0 = performance.now();
    this.ctx.backend.resetPeak();
    const ep = await this.sampler.epoch(this.epoch, this.env, this.rng);
    let lossSum = 0;
    for (let i = 0; i < ep.batches.length; i++) {
      const plan = await this.sampler.plan(ep.batches[i], this.env, this.rng);
      this.probe?.observe(plan);
      const loss = await this.step(plan);
      lossSum += loss;
      hooks.onStep?.(this.env.step, loss, i + 1, ep.batches.length);
    }
    const peakBytes = this.ctx.backend.memory().peakBytes;
    const epochMs = performance.now() - t0;
    const log: EpochLog = {
      stage: 'M1', sampler: this.sampler.name, epoch: this.epoch, steps: ep.batches.length,
      loss: lossSum / ep.batches.length, clusterSize: ep.clusterSize, overheadMs: ep.overheadMs, epochMs, peakBytes,
      skippedDocs: this.skipped, lossName: this.loss, ...(ep.clustering ? { clustering: ep.clustering } : {}),
    };
    // The live diagnostic: negative hardness of the fixed document sample in this epoch's
    // batches, measured with the memory bank and fresh label embeddings (which the final
    // evaluation and a mined sampler's next refresh reuse), when its budget allows.
    const e0 = performance.now();
    if (this.probe && this.diagBudget.due(epochMs, this.epoch === this.cfg.epochs - 1)) {
      const labelEmb = await this.labelEmbeddings();
      log.hardness = await this.probe.measure(this.ctx.backend, this.ctx.data.trainY, this.bank.data, labelEmb, this.ctx.encoder.outDim);
      this.diagBudget.spent(performance.now() - e0);
    }
    if (this.cfg.evalEvery > 0 && (this.epoch + 1) % this.cfg.evalEvery === 0) log.metrics = await this.evaluateEpoch();
    log.evalMs = performance.now() - e0;
    this.epoch++;
    await hooks.onEpoch?.(log);
    return log;
  }

  /** Test metrics of embedding-only retrieval (M1). */
  async evaluateEpoch(labelEmb?: Float32Array): Promise<Metrics> {
    const le = labelEmb ?? (await this.labelEmbeddings());
    const docEmb = await embedCorpus(this.ctx.encoder, this.ctx.test);
    const scores = await retrieve(this.ctx.backend, docEmb, le, this.ctx.encoder.outDim, 20);
    return testMetrics(scores, this.ctx.data);
  }
}

/** The 'bce-own' loss of one step: BCE over each document's own candidates (ownMask). */
function ownBce(logits: T.Tensor, tg: T.Tensor, plan: BatchPlan, sampler: string): T.Tensor {
  const own = ownMask(plan);
  if (!own) throw new Error(`m1.loss bce-own: the ${sampler} sampler draws no negatives per document (use ance, mips-uniform, mips or meta)`);
  let count = 0;
  for (const v of own) count += v;
  return maskedBceWithLogits(logits, tg, T.tensor(own, logits.shape, { backend: logits.backend }), count);
}
