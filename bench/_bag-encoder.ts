// Helper of bench/encoder.ts (`--encoder bag`): the bag encoder's M1 training step, timed on the
// webgpu and cpu backends and (--tfjs) beside the same step in tfjs (bench/_tfjs-bag.ts).
//
// The step is the real one, M1Trainer.step (src/ngame/train-m1.ts) with in-batch InfoNCE: on the
// embedded FOLDOC data, TF-IDF rows from a TfidfVectorizer fitted on training + label texts (as a
// run fits it), a batch of `batch` documents with one sampled positive label each (samplePositives,
// the random in-batch sampler's plan), both sides through BagEncoder (embeddingBag, residual block
// W·h + b, relu, dropout 0.1, add, l2 normalisation), S = d·lᵀ, InfoNCE (τ 0.05, other positives
// masked), backward, AdamW (lazy row-sparse on the term table, clipping to 1) with its one
// readback (gradient norm, loss and the documents' embeddings for the memory bank).
// Every backend runs the same batch plans in the same order: `warmup` untimed steps, then the
// timed ones. On webgpu the runtime counts dispatches, submits and readbacks per step; more than
// one readback per step fails the bench (exit code 1) after the table is printed.
import { CpuBackend, type Backend } from '../src/tensor';
import { WebGpuBackend } from '../src/tensor/webgpu/backend';
import { BagEncoder } from '../src/model/bag-encoder';
import { TfidfVectorizer } from '../src/model/tokenizer/tfidf';
import { loadDataset, type Dataset } from '../src/ngame/data';
import { bagCorpus, type BagCorpus } from '../src/ngame/corpus';
import { randomBatches, trainableDocuments } from '../src/ngame/batching';
import { inBatchPlan, RandomInBatchSampler, type BatchPlan, type SamplerEnv } from '../src/ngame/samplers';
import { M1Trainer, type M1Config } from '../src/ngame/train-m1';
import { Rng } from '../src/util/rng';
import { timeTfjsBag, type BagStepShape } from './_tfjs-bag';
import type { StepTiming as Timing, TfjsTiming } from './_tfjs-encoder';

export interface BagOptions {
  dim: number;
  batch: number;
  warmup: number;
  steps: number;
  cpuSteps: number;
  /** 0: tfjs not run. */
  tfjsSteps: number;
  json: boolean;
}

export const BAG_DEFAULTS = { dim: 256, batch: 256, warmup: 2, steps: 10, cpuSteps: 10, tfjsSteps: 10 };

/** The run's defaults for the bag encoder's M1 (src/ngame/run-config.ts), InfoNCE on. */
const M1: Partial<M1Config> = { lr: 5e-3, warmupSteps: 20, epochs: 20, weightDecay: 0.01, clipNorm: 1, loss: 'infonce', infoNCETau: 0.05, evalEvery: 0, hardnessDocs: 0, seed: 0 };
const DROPOUT = 0.1;

interface BagData {
  data: Dataset;
  vocabSize: number;
  train: BagCorpus;
  labels: BagCorpus;
  /** Full batches of one shuffled epoch, each with one sampled positive per document. */
  plans: BatchPlan[];
}

function prepare(data: Dataset, batch: number): BagData {
  const tfidf = new TfidfVectorizer().fit([...data.trainTexts, ...data.labelTexts]);
  const train = bagCorpus(tfidf.transform(data.trainTexts));
  const labels = bagCorpus(tfidf.transform(data.labelTexts));
  const { docs } = trainableDocuments(data.trainY);
  if (batch > docs.length) throw new Error(`bench encoder --encoder bag: --batch ${batch} exceeds the ${docs.length} trainable documents`);
  const rng = new Rng(7);
  const env = { Y: data.trainY } as SamplerEnv; // inBatchPlan reads only Y
  const plans = randomBatches(docs, batch, rng)
    .filter((b) => b.length === batch)
    .map((b) => inBatchPlan(b, env, rng));
  return { data, vocabSize: tfidf.vocabSize, train, labels, plans };
}

function totalSteps(o: BagOptions): number {
  return o.warmup + Math.max(o.steps, o.cpuSteps, o.tfjsSteps);
}

async function timeOurs(backend: Backend, d: BagData, o: BagOptions, steps: number): Promise<Timing> {
  const encoder = new BagEncoder({ vocabSize: d.vocabSize, dim: o.dim, dropout: DROPOUT }, { backend, seed: 0 });
  const ctx = { data: d.data, encoder, backend, train: d.train, labels: d.labels, test: d.labels };
  const trainer = new M1Trainer(ctx, new RandomInBatchSampler(), { ...M1, batchSize: o.batch, epochs: Math.max(1, Math.ceil(totalSteps(o) / d.plans.length)) });
  let i = 0;
  const next = () => trainer.step(d.plans[i++ % d.plans.length]);
  try {
    for (let w = 0; w < o.warmup; w++) await next(); // pipeline compiles, pool fills
    const gpu = backend instanceof WebGpuBackend ? backend : null;
    const c0 = gpu ? { ...gpu.rt.counters } : null;
    let peak = 0;
    let loss = 0;
    const t0 = performance.now();
    for (let s = 0; s < steps; s++) {
      backend.resetPeak();
      loss = await next();
      peak = Math.max(peak, backend.memory().peakBytes);
    }
    const ms = (performance.now() - t0) / steps;
    const t: Timing = { backend: backend.name, device: backend.deviceName, stepsPerSec: 1000 / ms, msPerStep: ms, peakBytes: peak, loss };
    if (gpu && c0) {
      const c = gpu.rt.counters;
      t.dispatches = (c.dispatches - c0.dispatches) / steps;
      t.submits = (c.submits - c0.submits) / steps;
      t.readbacks = (c.readbacks - c0.readbacks) / steps;
    }
    return t;
  } finally {
    trainer.opt.dispose();
    encoder.dispose();
  }
}

export async function bagMain(o: BagOptions): Promise<void> {
  const d = prepare(await loadDataset(), o.batch);
  const out = (x: Record<string, unknown>) => console.log(JSON.stringify(x));
  const rows: Timing[] = [];
  const g = o.steps > 0 ? await timeOurs(await WebGpuBackend.create(), d, o, o.steps) : null;
  if (g) rows.push(g);
  let tf: TfjsTiming | { backend: string; error: string } | null = null;
  if (o.tfjsSteps > 0) {
    const shape: BagStepShape = {
      vocabSize: d.vocabSize, dim: o.dim, dropout: DROPOUT, tau: M1.infoNCETau!, lr: M1.lr!, warmupSteps: M1.warmupSteps!,
      totalSteps: Math.ceil(totalSteps(o) / d.plans.length) * d.plans.length, weightDecay: M1.weightDecay!, clipNorm: M1.clipNorm!,
    };
    try {
      tf = await timeTfjsBag(shape, d.train, d.labels, d.plans, o.warmup, o.tfjsSteps);
      rows.push(tf);
    } catch (e) {
      tf = { backend: 'tfjs-webgpu', error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
    }
  }
  if (o.cpuSteps > 0) rows.push(await timeOurs(new CpuBackend(), d, o, o.cpuSteps));
  const tfOk = tf && 'stepsPerSec' in tf ? tf : null;
  const ratio = g && tfOk ? g.stepsPerSec / tfOk.stepsPerSec : null;
  const shape = { dataset: d.data.name, vocab: d.vocabSize, dim: o.dim, documents: o.batch, labels: o.batch, tau: M1.infoNCETau, warmup: o.warmup };

  if (o.json) {
    for (const r of rows) out({ bench: 'bag-encoder-step', ...r, ...shape });
    if (tf && !tfOk) out({ bench: 'bag-encoder-step', ...tf });
    if (ratio !== null) out({ bench: 'bag-encoder-step-ratio', webgpuOverTfjsWebgpu: ratio, webgpuStepsPerSec: g!.stepsPerSec, tfjsStepsPerSec: tfOk!.stepsPerSec });
  } else {
    const terms = (c: BagCorpus) => (c.rows.indptr[c.n] / c.n).toFixed(1);
    console.log(
      `bag encoder M1 step: ${d.data.name}, TF-IDF vocab ${d.vocabSize} (${terms(d.train)} terms/document, ${terms(d.labels)}/label), dim ${o.dim}, ` +
        `${o.batch} documents + ${o.batch} sampled positives, InfoNCE τ ${M1.infoNCETau}, dropout ${DROPOUT}, AdamW lr ${M1.lr} (warm-up ${M1.warmupSteps}), ` +
        `${o.warmup} untimed steps per backend`,
    );
    console.log('backend      steps  steps/s   ms/step   peak MiB  dispatches  submits  readbacks     loss  device');
    const cell = (x: number | undefined, w: number) => (x === undefined ? '-' : String(Math.round(x * 10) / 10)).padStart(w);
    for (const r of rows) {
      const n = r.backend === 'cpu' ? o.cpuSteps : r.backend === 'tfjs-webgpu' ? o.tfjsSteps : o.steps;
      console.log(
        `${r.backend.padEnd(12)} ${String(n).padStart(5)} ${r.stepsPerSec.toFixed(3).padStart(8)} ${r.msPerStep.toFixed(1).padStart(9)} ${(r.peakBytes / 2 ** 20).toFixed(1).padStart(10)}` +
          `  ${cell(r.dispatches, 10)} ${cell(r.submits, 8)} ${cell(r.readbacks, 10)} ${r.loss.toFixed(4).padStart(8)}  ${r.device}`,
      );
    }
    if (tf && !tfOk) console.log(`${'tfjs-webgpu'.padEnd(12)} error: ${(tf as { error: string }).error}`);
    if (ratio !== null) console.log(`webgpu ÷ tfjs-webgpu (steps/s, this run): ${ratio.toFixed(2)}×`);
    else if (!tf) console.log('(tfjs-webgpu not run: add --tfjs)');
    if (g) console.log(`webgpu readbacks per step: ${g.readbacks} (must be ≤ 1)`);
  }
  if (g && !(g.readbacks! <= 1)) {
    console.error(`FAIL: the bag encoder's M1 step read back from the device ${g.readbacks} times per step on webgpu (at most 1 allowed)`);
    process.exitCode = 1;
  }
}
