// Helper of bench/encoder.ts: the same training step written in tfjs and run on
// @tensorflow/tfjs-backend-webgpu, on the same kind of adapter as ours (bench/_tfjs.ts), so the
// encoder table can print ours ÷ tfjs from one run. Same shapes as ours:
//   token (V, C) + position (T, C) embeddings, dropout 0.1;
//   2 pre-LN layers: x += Drop(Wo·MHA(LN1(x))) with 4 heads and the additive padding bias,
//                    x += Drop(FFN(LN2(x))), FFN = W2·gelu_tanh(W1·x + b1) + b2 (512 wide);
//   final LN, mean pooling over real tokens ((B, 1, T)·(B, T, C)), L2 normalisation;
//   in-batch InfoNCE over 64 documents × 64 labels (temperature 0.05);
//   gradients by tf.variableGrads, global-norm clipping to 1, AdamW by hand (decay on weights only).
// Differences, both in tfjs's disfavour and both the way tfjs works: its token-table update is
// dense (tfjs has no row-sparse update; the gradient of tf.gather is a dense (V, C) tensor), and
// tf.dropout draws its random numbers on the host. Clipping runs on the device, so the step reads
// back once (the loss), like ours.

import type { BagStepTiming } from '../src/ngame/doctor/bag-step';
import { loadTfjs, registerTfjsGradients, type Tf } from './_tfjs';
import type { EncoderConfig } from '../src/model/encoder';

type Tensor = import('@tensorflow/tfjs-core').Tensor;
type Variable = import('@tensorflow/tfjs-core').Variable;
type Scalar = import('@tensorflow/tfjs-core').Scalar;

/** The encoder's size (as ours) plus the step's batch: `half` documents and as many labels of `seq` tokens. */
export type StepShape = Pick<EncoderConfig, 'vocabSize' | 'dim' | 'layers' | 'heads' | 'ffn' | 'maxLen' | 'dropout'> & { half: number; seq: number };

/** One backend's row of the encoder table (bench/encoder.ts prints ours and tfjs's alike); for tfjs peakBytes is its buffer manager's numBytesUsed. */
export type StepTiming = BagStepTiming;

export type TfjsTiming = Required<StepTiming>;

const HYPER = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, clip: 1, tau: 0.05, lnEps: 1e-5 };

/**
 * Counts of the webgpu backend's programs, submits and readbacks, and its peak buffer bytes
 * (bench/_tfjs-bag.ts uses it too). Wraps the backend's methods: call it once per process.
 */
export function instrument(tf: Tf): { counts: { dispatches: number; submits: number; readbacks: number; peak: number }; resetPeak(): void; errors: string[] } {
  // Private members of WebGPUBackend (tfjs-backend-webgpu 4.x): recordAndSubmit records one
  // dispatch, submitQueue submits, getBufferData maps a staging buffer, bufferManager pools buffers.
  const be = tf.backend() as unknown as Record<string, unknown> & { bufferManager: Record<string, unknown> & { numBytesUsed: number } };
  const counts = { dispatches: 0, submits: 0, readbacks: 0, peak: 0 };
  const wrap = (obj: Record<string, unknown>, name: string, after: () => void) => {
    const f = obj[name] as (...a: unknown[]) => unknown;
    if (typeof f !== 'function') throw new Error(`tfjs-backend-webgpu has no ${name}() to count (version changed?)`);
    obj[name] = function (this: unknown, ...a: unknown[]) {
      const r = f.apply(this, a);
      after();
      return r;
    };
  };
  wrap(be, 'recordAndSubmit', () => counts.dispatches++);
  wrap(be, 'submitQueue', () => counts.submits++);
  wrap(be, 'getBufferData', () => counts.readbacks++);
  // Errors the device reports (a kernel over a limit, say) would otherwise only be logged: keep
  // them, and timeTfjsStep throws the first so the table shows it instead of a bogus time.
  const errors: string[] = [];
  (be.device as GPUDevice).addEventListener('uncapturederror', (ev) => errors.push((ev as GPUUncapturedErrorEvent).error.message));
  const bm = be.bufferManager;
  wrap(bm, 'acquireBuffer', () => (counts.peak = Math.max(counts.peak, bm.numBytesUsed)));
  return { counts, resetPeak: () => (counts.peak = bm.numBytesUsed), errors };
}

/**
 * Times `steps` tfjs-webgpu training steps after one warm-up step. ids: (2·half, seq) row-major,
 * documents then labels; mask: the same layout, nonzero on real tokens. Throws when tfjs cannot run.
 */
export async function timeTfjsStep(s: StepShape, ids: Int32Array, mask: Uint8Array, steps: number): Promise<TfjsTiming> {
  const { tf, adapter } = await loadTfjs('llvmpipe');
  registerTfjsGradients();
  const { counts, resetPeak, errors } = instrument(tf);
  const B = 2 * s.half;
  const Tn = s.seq;
  const C = s.dim;
  const H = s.heads;
  const d = C / H;
  let seed = 1;
  const normal = (shape: number[]) => tf.variable(tf.randomNormal(shape, 0, 0.02, 'float32', seed++));
  const zeros = (shape: number[]) => tf.variable(tf.zeros(shape));
  const ones = (shape: number[]) => tf.variable(tf.ones(shape));
  // Parameters; weights are (in, out) so x·W needs no transpose. `decay`: gets weight decay.
  const params = new Map<string, { v: Variable; decay: boolean }>();
  const def = (name: string, v: Variable, decay: boolean) => params.set(name, { v, decay });
  def('tok', normal([s.vocabSize, C]), true);
  def('pos', normal([s.maxLen, C]), true);
  for (let l = 0; l < s.layers; l++) {
    for (const p of ['q', 'k', 'v', 'o']) {
      def(`${l}.${p}.w`, normal([C, C]), true);
      def(`${l}.${p}.b`, zeros([C]), false);
    }
    def(`${l}.fc1.w`, normal([C, s.ffn]), true);
    def(`${l}.fc1.b`, zeros([s.ffn]), false);
    def(`${l}.fc2.w`, normal([s.ffn, C]), true);
    def(`${l}.fc2.b`, zeros([C]), false);
    for (const n of ['ln1', 'ln2']) {
      def(`${l}.${n}.g`, ones([C]), false);
      def(`${l}.${n}.b`, zeros([C]), false);
    }
  }
  def('final.g', ones([C]), false);
  def('final.b', zeros([C]), false);
  const P = (name: string) => params.get(name)!.v;
  const moments = new Map([...params.keys()].map((k) => [k, { m: zeros(P(k).shape), v: zeros(P(k).shape) }]));
  const eye = tf.eye(s.half);
  const drop = (x: Tensor) => (s.dropout > 0 ? tf.dropout(x, s.dropout) : x);
  const ln = (x: Tensor, g: string, b: string) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, HYPER.lnEps))), P(g)), P(b));
  };
  const dense = (x: Tensor, name: string) => tf.add(tf.matMul(x, P(`${name}.w`)), P(`${name}.b`)); // (rows, in) -> (rows, out)
  const gelu = (x: Tensor) => {
    // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), as our gelu_tanh kernel.
    const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
    return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
  };
  const heads = (x: Tensor) => tf.transpose(tf.reshape(x, [B, Tn, H, d]), [0, 2, 1, 3]); // (B·T, C) -> (B, H, T, d)

  /** The loss of one batch; records the graph for variableGrads. */
  const lossOf = (idsT: Tensor, posT: Tensor, bias: Tensor, poolW: Tensor): Scalar => {
    let x = tf.add(tf.reshape(tf.gather(P('tok'), idsT), [B, Tn, C]), tf.gather(P('pos'), posT)); // (B, T, C)
    x = tf.reshape(drop(x), [B * Tn, C]); // (B·T, C)
    for (let l = 0; l < s.layers; l++) {
      const h = ln(x, `${l}.ln1.g`, `${l}.ln1.b`);
      const q = heads(tf.mul(dense(h, `${l}.q`), 1 / Math.sqrt(d))); // (B, H, T, d)
      const k = heads(dense(h, `${l}.k`));
      const v = heads(dense(h, `${l}.v`));
      const probs = drop(tf.softmax(tf.add(tf.matMul(q, k, false, true), bias))); // (B, H, T, T)
      const ctx = tf.reshape(tf.transpose(tf.matMul(probs, v), [0, 2, 1, 3]), [B * Tn, C]); // (B·T, C)
      x = tf.add(x, drop(dense(ctx, `${l}.o`)));
      const f = dense(gelu(dense(ln(x, `${l}.ln2.g`, `${l}.ln2.b`), `${l}.fc1`)), `${l}.fc2`);
      x = tf.add(x, drop(f));
    }
    x = ln(x, 'final.g', 'final.b');
    const pooled = tf.reshape(tf.matMul(poolW, tf.reshape(x, [B, Tn, C])), [B, C]); // (B, 1, T)·(B, T, C)
    const e = tf.mul(pooled, tf.rsqrt(tf.add(tf.sum(tf.square(pooled), -1, true), 1e-12))); // unit rows
    const docs = tf.slice(e, [0, 0], [s.half, C]);
    const labels = tf.slice(e, [s.half, 0], [s.half, C]);
    const logits = tf.mul(tf.matMul(docs, labels, false, true), 1 / HYPER.tau); // (64, 64)
    return tf.mul(tf.sum(tf.mul(tf.logSoftmax(logits), eye)), -1 / s.half) as Scalar;
  };

  // Host-side inputs, made into tensors every step as ours uploads them every step.
  const bias = Float32Array.from(mask, (m) => (m ? 0 : -1e9)); // (B, 1, 1, T)
  const poolW = new Float32Array(B * Tn); // (B, 1, T): 1/count on real tokens
  for (let b = 0; b < B; b++) {
    let n = 0;
    for (let t = 0; t < Tn; t++) n += mask[b * Tn + t] ? 1 : 0;
    for (let t = 0; t < Tn; t++) poolW[b * Tn + t] = mask[b * Tn + t] && n > 0 ? 1 / n : 0;
  }
  const posIds = Int32Array.from({ length: Tn }, (_, t) => t);
  let stepCount = 0;

  const step = async (): Promise<number> => {
    stepCount++;
    const lossT = tf.tidy(() => {
      const idsT = tf.tensor1d(ids, 'int32');
      const posT = tf.tensor1d(posIds, 'int32');
      const biasT = tf.tensor4d(bias, [B, 1, 1, Tn]);
      const poolT = tf.tensor3d(poolW, [B, 1, Tn]);
      const { value, grads } = tf.variableGrads(() => lossOf(idsT, posT, biasT, poolT), [...params.values()].map((p) => p.v));
      // Global-norm clipping on the device: scale = min(1, clip / (‖g‖ + 1e-6)).
      // Summed pairwise as ours does (tf.addN of 37 tensors binds 38 storage buffers, over the adapter's 16).
      const norm = tf.sqrt([...params.values()].map((p) => tf.sum(tf.square(grads[p.v.name]))).reduce((a, b) => tf.add(a, b)));
      const scale = tf.minimum(1, tf.div(HYPER.clip, tf.add(norm, 1e-6)));
      const bc1 = 1 - HYPER.beta1 ** stepCount;
      const bc2 = 1 - HYPER.beta2 ** stepCount;
      for (const [name, { v: p, decay }] of params) {
        const g = tf.mul(grads[p.name], scale);
        const mo = moments.get(name)!;
        mo.m.assign(tf.add(tf.mul(mo.m, HYPER.beta1), tf.mul(g, 1 - HYPER.beta1)));
        mo.v.assign(tf.add(tf.mul(mo.v, HYPER.beta2), tf.mul(tf.square(g), 1 - HYPER.beta2)));
        let upd = tf.div(tf.div(mo.m, bc1), tf.add(tf.sqrt(tf.div(mo.v, bc2)), HYPER.eps));
        if (decay) upd = tf.add(upd, tf.mul(p, HYPER.weightDecay));
        p.assign(tf.sub(p, tf.mul(upd, HYPER.lr)));
      }
      return value;
    });
    const loss = (await lossT.data())[0]; // the step's one readback
    lossT.dispose();
    if (errors.length > 0) throw new Error(`tfjs-webgpu device error in step ${stepCount}: ${errors[0]}`);
    return loss;
  };

  await step(); // warm-up: shader compiles, buffer pool fills
  const c0 = { ...counts };
  let peak = 0;
  let loss = 0;
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    resetPeak();
    loss = await step();
    peak = Math.max(peak, counts.peak);
  }
  const ms = (performance.now() - t0) / steps;
  tf.disposeVariables();
  eye.dispose();
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
}
