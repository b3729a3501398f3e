// The bag encoder's M1 training step as a run makes it, timed: `ngame doctor` reports its time,
// bench/encoder.ts (`--encoder bag`) compares it across backends and with tfjs.
//
// The step is the real one, M1Trainer.step (train-m1.ts) with in-batch InfoNCE: TF-IDF rows from
// a TfidfVectorizer fitted on training + label texts (as a run fits it), a batch of `batch`
// documents with one sampled positive label each (inBatchPlan, the random in-batch sampler's
// plan), both sides through BagEncoder (embeddingBag, residual block W·h + b, relu, dropout 0.1,
// add, l2 normalisation), S = d·lᵀ, InfoNCE (τ 0.05, other positives masked), backward, AdamW
// (lazy row-sparse on the term table, clipping to 1) with its one readback (gradient norm, loss
// and the documents' embeddings for the memory bank). Every backend timed on the same data runs
// the same batch plans in the same order: `warmup` untimed steps, then the timed ones.
import type { Backend } from '../../tensor';
import { WebGpuBackend } from '../../tensor/webgpu/backend';
import { BagEncoder } from '../../model/bag-encoder';
import { TfidfVectorizer } from '../../model/tokenizer/tfidf';
import type { Dataset } from '../data';
import { bagCorpus, type BagCorpus } from '../corpus';
import { randomBatches, trainableDocuments } from '../batching';
import { inBatchPlan, RandomInBatchSampler, type BatchPlan, type SamplerEnv } from '../samplers';
import { M1Trainer, type M1Config } from '../train-m1';
import { DEFAULT_RUN, m1Config } from '../run-config';
import { Rng } from '../../util/rng';

/** The run's defaults for the bag encoder's M1 (run-config.ts), InfoNCE on. */
export const BAG_STEP_M1: M1Config = { ...m1Config(DEFAULT_RUN), epochs: 20, hardnessDocs: 0 };
export const BAG_STEP_DROPOUT = 0.1;

export interface BagStepData {
  data: Dataset;
  vocabSize: number;
  train: BagCorpus;
  labels: BagCorpus;
  /** Full batches of one shuffled epoch, each with one sampled positive per document. */
  plans: BatchPlan[];
}

/** The TF-IDF corpora and one epoch of full batch plans of `batch` documents (seeded). */
export function prepareBagSteps(data: Dataset, batch: number, seed = 7): BagStepData {
  const tfidf = new TfidfVectorizer().fit([...data.trainTexts, ...data.labelTexts]);
  const train = bagCorpus(tfidf.transform(data.trainTexts));
  const labels = bagCorpus(tfidf.transform(data.labelTexts));
  const { docs } = trainableDocuments(data.trainY);
  if (batch > docs.length) throw new Error(`bag encoder step: a batch of ${batch} exceeds the ${docs.length} trainable documents`);
  const rng = new Rng(seed);
  const env = { Y: data.trainY } as SamplerEnv; // inBatchPlan reads only Y
  const plans = randomBatches(docs, batch, rng)
    .filter((b) => b.length === batch)
    .map((b) => inBatchPlan(b, env, rng));
  return { data, vocabSize: tfidf.vocabSize, train, labels, plans };
}

export interface BagStepTiming {
  backend: string;
  device: string;
  stepsPerSec: number;
  msPerStep: number;
  /** Most backend bytes in use during a timed step. */
  peakBytes: number;
  /** The last timed step's loss. */
  loss: number;
  /** Per timed step, on webgpu only. */
  dispatches?: number;
  submits?: number;
  readbacks?: number;
}

export interface BagStepOptions {
  dim: number;
  batch: number;
  warmup: number;
  steps: number;
  /** Steps the trainer's learning-rate schedule spans (default warmup + steps). */
  scheduleSteps?: number;
}

/** `o.warmup` untimed steps (pipeline compiles, pool fills), then the mean time of `o.steps` steps. */
export async function timeBagSteps(backend: Backend, d: BagStepData, o: BagStepOptions): Promise<BagStepTiming> {
  const encoder = new BagEncoder({ vocabSize: d.vocabSize, dim: o.dim, dropout: BAG_STEP_DROPOUT }, { backend, seed: 0 });
  const ctx = { data: d.data, encoder, backend, train: d.train, labels: d.labels, test: d.labels };
  const schedule = o.scheduleSteps ?? o.warmup + o.steps;
  const trainer = new M1Trainer(ctx, new RandomInBatchSampler(), { ...BAG_STEP_M1, batchSize: o.batch, epochs: Math.max(1, Math.ceil(schedule / d.plans.length)) });
  let i = 0;
  const next = () => trainer.step(d.plans[i++ % d.plans.length]);
  try {
    for (let w = 0; w < o.warmup; w++) await next();
    const gpu = backend instanceof WebGpuBackend ? backend : null;
    const c0 = gpu ? { ...gpu.rt.counters } : null;
    let peak = 0;
    let loss = 0;
    const t0 = performance.now();
    for (let s = 0; s < o.steps; s++) {
      backend.resetPeak();
      loss = await next();
      peak = Math.max(peak, backend.memory().peakBytes);
    }
    const ms = (performance.now() - t0) / o.steps;
    const t: BagStepTiming = { backend: backend.name, device: backend.deviceName, stepsPerSec: 1000 / ms, msPerStep: ms, peakBytes: peak, loss };
    if (gpu && c0) {
      const c = gpu.rt.counters;
      t.dispatches = (c.dispatches - c0.dispatches) / o.steps;
      t.submits = (c.submits - c0.submits) / o.steps;
      t.readbacks = (c.readbacks - c0.readbacks) / o.steps;
    }
    return t;
  } finally {
    trainer.opt.dispose();
    encoder.dispose();
  }
}
