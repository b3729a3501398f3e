// Helper of bench/encoder.ts (`--encoder bag --tfjs`): the bag encoder's M1 step (bench/_bag-encoder.ts)
// written in tfjs and run on @tensorflow/tfjs-backend-webgpu, on the same kind of adapter as ours
// (bench/_tfjs.ts), on the same batch plans in the same order:
//   h = unsortedSegmentSum(gather(E, ids) · w, bag of each term)   E: (V, C), normal std 1/√C
//   e = l2normalize(h + Drop(relu(h·W + b)))                        W: (C, C) std 0.02, b zeros, dropout 0.1
//   documents and labels encoded separately (as M1Trainer.step does), S = d·lᵀ,
//   InfoNCE: logits S/τ with the other positives of a row set to −1e4, −mean log-softmax of the diagonal;
//   gradients by tf.variableGrads, global-norm clipping to 1 on the device, AdamW by hand with the
//   same schedule (linear warm-up then decay) and weight decay on E and W, not b;
//   one readback per step: the loss and the documents' embeddings (ours reads the gradient norm too).
// Differences, the way tfjs works: the gradient of tf.gather is a dense (V, C) tensor and there is
// no row-sparse update, so E's moments and rows are all updated every step (ours: lazily, only
// the batch's terms); tf.dropout draws its random numbers on the host; the (B, B) diagonal is
// made once (ours uploads it every step).

import { loadTfjs, registerTfjsGradients } from './_tfjs';
import { instrument, type TfjsTiming } from './_tfjs-encoder';
import { corpusBatch, type BagCorpus } from '../src/ngame/corpus';
import type { BatchPlan } from '../src/ngame/samplers';
import { scheduledLr } from '../src/model/optim';

type Tensor = import('@tensorflow/tfjs-core').Tensor;
type Variable = import('@tensorflow/tfjs-core').Variable;
type Scalar = import('@tensorflow/tfjs-core').Scalar;

export interface BagStepShape {
  vocabSize: number;
  dim: number;
  dropout: number;
  tau: number;
  lr: number;
  warmupSteps: number;
  totalSteps: number;
  weightDecay: number;
  clipNorm: number;
}

const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/**
 * Times `steps` tfjs-webgpu steps after `warmup` untimed ones; step i uses plans[i mod plans.length]
 * (documents from `train`, labels from `labels`). Throws when tfjs cannot run.
 */
export async function timeTfjsBag(s: BagStepShape, train: BagCorpus, labels: BagCorpus, plans: BatchPlan[], warmup: number, steps: number): Promise<TfjsTiming> {
  const { tf, adapter } = await loadTfjs('llvmpipe');
  registerTfjsGradients();
  const { counts, resetPeak, errors } = instrument(tf);
  const C = s.dim;
  let seed = 1;
  const normal = (shape: number[], std: number) => tf.variable(tf.randomNormal(shape, 0, std, 'float32', seed++));
  const zeros = (shape: number[]) => tf.variable(tf.zeros(shape));
  const params = new Map<string, { v: Variable; decay: boolean }>([
    ['E', { v: normal([s.vocabSize, C], 1 / Math.sqrt(C)), decay: true }],
    ['W', { v: normal([C, C], 0.02), decay: true }], // (in, out): h·W needs no transpose
    ['b', { v: zeros([C]), decay: false }],
  ]);
  const P = (name: string) => params.get(name)!.v;
  const moments = new Map([...params.keys()].map((k) => [k, { m: zeros(P(k).shape), v: zeros(P(k).shape) }]));
  const B = plans[0].docs.length;
  const L = plans[0].labels.length;
  if (!plans.every((p) => p.docs.length === B && p.labels.length === L)) throw new Error('timeTfjsBag: every plan must have the same batch shape');
  const eye = tf.keep(tf.eye(B, L));

  /** A batch of bags as host arrays: term ids, weights and the bag of each term. */
  const bags = (c: BagCorpus, rows: Int32Array) => {
    const x = corpusBatch(c, rows);
    if (x.kind !== 'bag') throw new Error('timeTfjsBag: expects a bag corpus');
    const seg = new Int32Array(x.ids.length);
    for (let b = 0; b < x.B; b++) seg.fill(b, x.offsets[b], x.offsets[b + 1]);
    return { ids: x.ids, weights: x.weights, seg, B: x.B };
  };
  type Bags = ReturnType<typeof bags>;
  const encode = (x: Bags): Tensor => {
    const rows = tf.gather(P('E'), tf.tensor1d(x.ids, 'int32')); // (nnz, C)
    const h = tf.unsortedSegmentSum(tf.mul(rows, tf.tensor2d(x.weights, [x.weights.length, 1])), tf.tensor1d(x.seg, 'int32'), x.B); // (B, C)
    let r = tf.relu(tf.add(tf.matMul(h, P('W')), P('b')));
    if (s.dropout > 0) r = tf.dropout(r, s.dropout);
    const e = tf.add(h, r);
    return tf.mul(e, tf.rsqrt(tf.add(tf.sum(tf.square(e), -1, true), 1e-12))); // unit rows (0 for an empty bag)
  };

  let stepCount = 0;
  const step = async (plan: BatchPlan): Promise<number> => {
    const docB = bags(train, plan.docs);
    const labB = bags(labels, plan.labels);
    const lr = scheduledLr(stepCount, s);
    stepCount++;
    const kept: { docEmb?: Tensor } = {};
    const packed = tf.tidy(() => {
      const targets = tf.tensor2d(plan.targets, [B, L]);
      const lossOf = (): Scalar => {
        const d = encode(docB);
        const l = encode(labB);
        kept.docEmb = tf.keep(d);
        const S = tf.matMul(d, l, false, true); // (B, L) cosines
        const keep = tf.greater(tf.add(eye, tf.sub(1, targets)), 0); // the diagonal and every negative
        const logits = tf.where(keep, tf.mul(S, 1 / s.tau), tf.fill([B, L], -1e4));
        return tf.mul(tf.sum(tf.mul(tf.logSoftmax(logits), eye)), -1 / B) as Scalar;
      };
      const { value, grads } = tf.variableGrads(lossOf, [...params.values()].map((p) => p.v));
      // Global-norm clipping on the device, as AdamW: scale = clip / (‖g‖ + 1e-6) when ‖g‖ > clip.
      const norm = tf.sqrt([...params.values()].map((p) => tf.sum(tf.square(grads[p.v.name]))).reduce((a, b) => tf.add(a, b)));
      const scale = tf.minimum(1, tf.div(s.clipNorm, tf.add(norm, 1e-6)));
      const bc1 = 1 - ADAM.beta1 ** stepCount;
      const bc2 = 1 - ADAM.beta2 ** stepCount;
      for (const [name, { v: p, decay }] of params) {
        const g = tf.mul(grads[p.name], scale);
        const mo = moments.get(name)!;
        mo.m.assign(tf.add(tf.mul(mo.m, ADAM.beta1), tf.mul(g, 1 - ADAM.beta1)));
        mo.v.assign(tf.add(tf.mul(mo.v, ADAM.beta2), tf.mul(tf.square(g), 1 - ADAM.beta2)));
        let upd = tf.div(tf.div(mo.m, bc1), tf.add(tf.sqrt(tf.div(mo.v, bc2)), ADAM.eps));
        if (decay) upd = tf.add(upd, tf.mul(p, s.weightDecay));
        p.assign(tf.sub(p, tf.mul(upd, lr)));
      }
      return tf.concat([tf.reshape(value, [1]), tf.reshape(kept.docEmb!, [-1])]);
    });
    const host = await packed.data(); // the step's one readback: loss, then the documents' embeddings
    tf.dispose([packed, kept.docEmb!]);
    if (errors.length > 0) throw new Error(`tfjs-webgpu device error in step ${stepCount}: ${errors[0]}`);
    return host[0];
  };

  let i = 0;
  const next = () => step(plans[i++ % plans.length]);
  try {
    for (let w = 0; w < warmup; w++) await next(); // shader compiles, buffer pool fills
    const c0 = { ...counts };
    let peak = 0;
    let loss = 0;
    const t0 = performance.now();
    for (let k = 0; k < steps; k++) {
      resetPeak();
      loss = await next();
      peak = Math.max(peak, counts.peak);
    }
    const ms = (performance.now() - t0) / steps;
    return {
      backend: 'tfjs-webgpu',
      device: adapter,
      stepsPerSec: 1000 / ms,
      msPerStep: ms,
      peakBytes: peak,
      loss,
      dispatches: (counts.dispatches - c0.dispatches) / steps,
      submits: (counts.submits - c0.submits) / steps,
      readbacks: (counts.readbacks - c0.readbacks) / steps,
    };
  } finally {
    tf.disposeVariables();
    eye.dispose();
  }
}
