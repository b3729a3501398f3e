// Encoder training step benchmark. `--encoder transformer` (the default; issue 4's target):
// 2 layers, dim 128, 4 heads, ffn 512, seq 32, 64 documents + 64 labels per step (128 sequences),
// in-batch contrastive loss, forward + backward + AdamW (row-sparse on the token table),
// bert-base vocabulary size. `--encoder bag`: the bag encoder's M1 step on the embedded FOLDOC
// data (bench/_bag-encoder.ts, beside tfjs in bench/_tfjs-bag.ts). Options: USAGE below.
//   npm run bench -- encoder [--encoder transformer|bag] [--tfjs [--tfjs-steps N]] [--json] [--steps N] [--cpu-steps N] [--no-profile] [--detail]
//   npm run bench -- encoder --encoder bag [--tfjs] [--warmup N] [--dim N] [--batch N] ...
// Reports steps/s on the webgpu backend, on tfjs-webgpu (--tfjs: the same step in tfjs on the
// same kind of adapter, bench/_tfjs-encoder.ts, and ours ÷ tfjs from the same run) and on the cpu
// backend; dispatches/submits/readbacks per step (runtime counters), peak device bytes per step,
// and (webgpu) the share of step time by part: matmul, attention, normalization, elementwise
// kernels, dispatch overhead (host) and readback. One step's dispatches are recorded (each with
// the model part it belongs to, from T.withLabel), then replayed one at a time, each submitted and
// waited for, so each kernel's device time is measured alone (minus the cost of an empty submit).
// Whatever the step's wall time does not spend in kernels or in the readback is host work:
// autograd, recording, dispatch overhead.
import * as T from '../src/tensor';
import { CpuBackend, type Backend } from '../src/tensor';
import { WebGpuBackend } from '../src/tensor/webgpu/backend';
import type { Dispatch, Kernel } from '../src/kernels/webgpu/runtime';
import { Rng } from '../src/util/rng';
import { Encoder } from '../src/model/encoder';
import { MultiHeadAttention } from '../src/model/attention';
import { Linear } from '../src/model/layers';
import { AdamW } from '../src/model/optim';
import { timeTfjsStep, type StepTiming as Timing, type TfjsTiming } from './_tfjs-encoder';
import { BAG_DEFAULTS, bagMain } from './_bag-encoder';
import { dispatchKey, replayTimed } from './_replay';

const CFG = { vocabSize: 30522, dim: 128, layers: 2, heads: 4, ffn: 512, maxLen: 32, dropout: 0.1 };
const HALF = 64; // documents; as many labels
const SEQ = 32;

interface Setup {
  enc: Encoder;
  opt: AdamW;
  rng: Rng;
  eye: T.Tensor;
  batches: { ids: Int32Array; mask: Uint8Array }[];
  /** Documents then labels, (128, 32) row-major. */
  ids: Int32Array;
  mask: Uint8Array;
}

function makeSetup(backend: Backend): Setup {
  const enc = new Encoder(CFG, { backend, seed: 1 });
  const opt = new AdamW(enc.params, { lr: 1e-3, warmupSteps: 10, totalSteps: 1000 });
  const data = new Rng(2);
  // Documents of 8..32 real tokens, labels of 3..12 (padded to 32 like the target step).
  const batch = (lo: number, hi: number) => {
    const ids = new Int32Array(HALF * SEQ);
    const mask = new Uint8Array(HALF * SEQ);
    for (let b = 0; b < HALF; b++) {
      const len = lo + data.int(hi - lo + 1);
      for (let t = 0; t < len; t++) {
        ids[b * SEQ + t] = t === 0 ? 101 : 1000 + data.int(29000);
        mask[b * SEQ + t] = 1;
      }
    }
    return { ids, mask };
  };
  const eye = T.keep(T.tensor(Float32Array.from({ length: HALF * HALF }, (_, i) => (i % (HALF + 1) === 0 ? 1 : 0)), [HALF, HALF], { backend }));
  const batches = [batch(8, 32), batch(3, 12)];
  const ids = new Int32Array(2 * HALF * SEQ);
  const mask = new Uint8Array(2 * HALF * SEQ);
  batches.forEach((b, i) => {
    ids.set(b.ids, i * HALF * SEQ);
    mask.set(b.mask, i * HALF * SEQ);
  });
  return { enc, opt, rng: new Rng(3), eye, batches, ids, mask };
}

async function step(s: Setup): Promise<number> {
  const loss = T.scope(() => {
    // Siamese: documents and labels go through the encoder as one batch of 128 sequences
    // (half the dispatches of two passes, and no gradient accumulation across passes).
    const e = s.enc.forward(s.ids, s.mask, 2 * HALF, SEQ, { training: true, rng: s.rng }); // (128, 128)
    const d = T.slice(e, 0, 0, HALF); // (64, 128)
    const l = T.slice(e, 0, HALF, 2 * HALF); // (64, 128)
    const logits = T.scale(T.matmul(d, l, { transB: true }), 1 / 0.05); // (64, 64)
    const loss = T.scale(T.sumAll(T.mul(T.logSoftmax(logits), s.eye)), -1 / HALF);
    T.backward(loss);
    return loss;
  });
  const info = await s.opt.step({ loss, rows: { 'embed.tokens': s.ids } });
  loss.release();
  s.opt.zeroGrad();
  return info.loss!;
}

async function timeSteps(backend: Backend, steps: number): Promise<{ t: Timing; setup: Setup }> {
  const s = makeSetup(backend);
  await step(s); // warm-up: pipeline compiles, pool fills
  const gpu = backend instanceof WebGpuBackend ? backend : null;
  const c0 = gpu ? { ...gpu.rt.counters } : null;
  let peak = 0;
  let loss = 0;
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    backend.resetPeak();
    loss = await step(s);
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
  return { t, setup: s };
}

/**
 * The part of the step a dispatch belongs to. `label` is the profiling label it was recorded
 * under (T.withLabel; backward ops keep their forward op's label): 'attention' for everything
 * MultiHeadAttention does besides its four projections (those are Linear, labelled 'linear').
 */
function category(name: string, label: string | null): string {
  if (label === 'attention') return 'attention';
  if (/matmul/.test(name)) return 'matmul';
  if (/layernorm/.test(name)) return 'normalization';
  if (/adam/.test(name)) return 'elementwise: AdamW update';
  if (/reduce/.test(name)) return 'elementwise: reductions (bias grads, l2 norm, grad norm, loss)';
  if (/softmax/.test(name)) return 'elementwise: log-softmax (loss)';
  if (/gather|scatter/.test(name)) return 'elementwise: embedding gather/scatter';
  if (/strided|concat/.test(name)) return 'elementwise: layout copies';
  return 'elementwise: pointwise (bias, GELU, dropout, residual)';
}

const CATEGORY_TITLE: Record<string, string> = {
  matmul: 'matmul (projections, FFN, pooling, logits)',
  attention: 'attention (QKᵀ, mask, softmax, dropout, PV, heads)',
  normalization: 'normalization (LayerNorm)',
};

/** Per-category device time of one step (ms), by recording its dispatches and replaying them one by one. */
interface Profile {
  categories: Record<string, number>;
  kernelMs: number;
  count: number;
  /** Time per kernel name (matmuls also by shape) and category, largest first: [key, ms, count]. */
  top: [string, number, number][];
  /** Host time of a step (autograd, kernel selection, dispatch recording): wall time outside the readback's await. */
  hostMs: number;
}

/**
 * The step's wall time split into host work, the readback's fixed cost, and device time by
 * category: the device part (wall − host − readback) is divided in proportion to the
 * one-at-a-time replay times (replay runs each kernel alone, so its absolute times are inflated).
 * Rows: [name, ms, indent]; elementwise is a sum of its indented sub-rows.
 */
function shares(p: Profile, msPerStep: number, rbMs: number): [string, number, boolean][] {
  const device = Math.max(0, msPerStep - p.hostMs - rbMs);
  const ms = (c: string) => (device * (p.categories[c] ?? 0)) / p.kernelMs;
  const sub = Object.keys(p.categories)
    .filter((c) => c.startsWith('elementwise: '))
    .map((c) => [c.slice('elementwise: '.length), ms(c), true] as [string, number, boolean])
    .sort((a, b) => b[1] - a[1]);
  return [
    ...(['matmul', 'attention', 'normalization'] as const).map((c) => [CATEGORY_TITLE[c], ms(c), false] as [string, number, boolean]),
    ['elementwise kernels', sub.reduce((a, r) => a + r[1], 0), false],
    ...sub,
    ['dispatch overhead (host: autograd + recording)', p.hostMs, false],
    ['readback (one per step)', rbMs, false],
  ];
}

/** A readable key for one dispatch: matmuls show M×N×K, batch and transposes (from their uniforms). */

/** Runs fn with the attention and its projections labelled (see category()). */
async function labelled<R>(fn: () => Promise<R>): Promise<R> {
  const attn = MultiHeadAttention.prototype.forward;
  const lin = Linear.prototype.forward;
  MultiHeadAttention.prototype.forward = function (this: MultiHeadAttention, ...a: Parameters<typeof attn>) {
    return T.withLabel('attention', () => attn.apply(this, a));
  };
  Linear.prototype.forward = function (this: Linear, x: T.Tensor) {
    return T.withLabel('linear', () => lin.call(this, x));
  };
  try {
    return await fn();
  } finally {
    MultiHeadAttention.prototype.forward = attn;
    Linear.prototype.forward = lin;
  }
}

async function profile(gpu: WebGpuBackend, s: Setup): Promise<Profile> {
  const rt = gpu.rt;
  const recorded: { k: Kernel; d: Dispatch; label: string | null }[] = [];
  const run = rt.run.bind(rt);
  rt.run = (k: Kernel, d: Dispatch) => {
    recorded.push({ k, d: { ...d, uniforms: d.uniforms?.slice(0) }, label: T.currentLabel() });
    run(k, d);
  };
  // Host time: the step's wall time minus the await of its one readback (which submits the step).
  const read = rt.read.bind(rt);
  let inRead = 0;
  rt.read = async (buf: GPUBuffer, bytes: number) => {
    const t0 = performance.now();
    try {
      return await read(buf, bytes);
    } finally {
      inRead += performance.now() - t0;
    }
  };
  const start = performance.now();
  await labelled(() => step(s));
  const hostMs = performance.now() - start - inRead;
  rt.run = run;
  rt.read = read;
  const categories: Record<string, number> = {};
  const byKey = new Map<string, [number, number]>();
  let total = 0;
  for (const { rec: { k, d, label }, ms } of await replayTimed(rt, run, recorded)) {
    const c = category(k.name, label);
    categories[c] = (categories[c] ?? 0) + ms;
    const key = `${dispatchKey(k, d)} [${c.replace('elementwise: ', '').split(' (')[0]}]`;
    const e = byKey.get(key) ?? [0, 0];
    byKey.set(key, [e[0] + ms, e[1] + 1]);
    total += ms;
  }
  const top = [...byKey].map(([key, [ms, n]]) => [key, ms, n] as [string, number, number]).sort((a, b) => b[1] - a[1]);
  return { categories, kernelMs: total, count: recorded.length, top, hostMs };
}

/** Time of one small readback with the queue idle (the fixed cost every step pays once). */
async function readbackMs(backend: Backend): Promise<number> {
  const t = T.keep(T.zeros([2], 'f32', backend));
  await t.data();
  let best = Infinity;
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    await t.data();
    best = Math.min(best, performance.now() - t0);
  }
  t.release();
  return best;
}

const B = BAG_DEFAULTS;
const USAGE = `usage: npm run bench -- encoder [--encoder transformer|bag] [options]
  --encoder transformer  (default) issue 4's transformer step: 2 layers, dim 128, 4 heads, ffn 512,
                         64 documents + 64 labels of 32 tokens, vocab 30522, in-batch softmax, AdamW
  --encoder bag          the bag encoder's M1 step (M1Trainer.step, InfoNCE τ 0.05) on the embedded
                         FOLDOC data: TF-IDF bags (vocabulary fitted on train + label texts),
                         embeddingBag + residual block, --batch documents with one sampled positive
                         label each; exits 1 if webgpu reads back more than once per step
  --tfjs                 also run the same step on tfjs-webgpu and print ours ÷ tfjs
                         (bench/_tfjs-encoder.ts, bench/_tfjs-bag.ts)
  --steps N              timed webgpu steps (transformer 5, bag ${B.steps})
  --cpu-steps N          timed cpu steps, 0 skips the cpu backend (transformer 1, bag ${B.cpuSteps})
  --tfjs-steps N         timed tfjs-webgpu steps with --tfjs (transformer 3, bag ${B.tfjsSteps})
  --json                 JSON lines instead of the table
  transformer only:
  --no-profile           skip the webgpu step-time split by part
  --detail               also list the largest kernels
  bag only:
  --warmup N             untimed steps before timing, on each backend (default ${B.warmup}; transformer: 1)
  --dim N                embedding width (default ${B.dim})
  --batch N              documents per step, as many labels (default ${B.batch})
Run with EGL_PLATFORM=surfaceless on a machine without a display.`;

export default async function main(args: string[]): Promise<void> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return;
  }
  const json = args.includes('--json');
  const num = (flag: string, dflt: number) => {
    const i = args.indexOf(flag);
    if (i < 0) return dflt;
    const v = Number(args[i + 1]);
    if (!Number.isInteger(v) || v < 0) throw new Error(`bench encoder: ${flag} needs a non-negative integer, got ${JSON.stringify(args[i + 1])}\n${USAGE}`);
    return v;
  };
  const ei = args.indexOf('--encoder');
  const kind = ei >= 0 ? args[ei + 1] : 'transformer';
  if (kind !== 'transformer' && kind !== 'bag') throw new Error(`bench encoder: --encoder must be transformer or bag, got ${JSON.stringify(kind)}\n${USAGE}`);
  if (kind === 'bag') {
    const tfjs = args.includes('--tfjs');
    return bagMain({
      dim: Math.max(1, num('--dim', B.dim)), batch: Math.max(1, num('--batch', B.batch)), warmup: num('--warmup', B.warmup),
      steps: num('--steps', B.steps), cpuSteps: num('--cpu-steps', B.cpuSteps), tfjsSteps: tfjs ? num('--tfjs-steps', B.tfjsSteps) : 0, json,
    });
  }
  const steps = num('--steps', 5);
  const cpuSteps = num('--cpu-steps', 1);
  const tfjsSteps = args.includes('--tfjs') ? num('--tfjs-steps', 3) : 0;
  const out = (o: Record<string, unknown>) => console.log(JSON.stringify(o));

  const gpu = await WebGpuBackend.create();
  const { t: g, setup } = await timeSteps(gpu, steps);
  // tfjs-webgpu right after ours, on the same inputs, so the ratio comes from one run.
  let tf: TfjsTiming | { backend: string; error: string } | null = null;
  if (tfjsSteps > 0) {
    try {
      tf = await timeTfjsStep({ ...CFG, half: HALF, seq: SEQ }, setup.ids, setup.mask, tfjsSteps);
    } catch (e) {
      tf = { backend: 'tfjs-webgpu', error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
    }
  }
  let prof: Profile | null = null;
  let rbMs = 0;
  if (!args.includes('--no-profile')) {
    prof = await profile(gpu, setup);
    rbMs = await readbackMs(gpu);
  }
  const c = cpuSteps > 0 ? (await timeSteps(new CpuBackend(), cpuSteps)).t : null;
  const tfOk = tf && 'stepsPerSec' in tf ? tf : null;
  const ratio = tfOk ? g.stepsPerSec / tfOk.stepsPerSec : null;

  const rows: Timing[] = [g, ...(tfOk ? [tfOk] : []), ...(c ? [c] : [])];
  if (json) {
    for (const r of rows) out({ bench: 'encoder-step', ...r, sequences: 2 * HALF, seq: SEQ, ...CFG });
    if (tf && !tfOk) out({ bench: 'encoder-step', ...tf });
    if (ratio !== null) out({ bench: 'encoder-step-ratio', webgpuOverTfjsWebgpu: ratio, webgpuStepsPerSec: g.stepsPerSec, tfjsStepsPerSec: tfOk!.stepsPerSec });
    if (prof) {
      const share: Record<string, number> = {};
      for (const [f, ms, sub] of shares(prof, g.msPerStep, rbMs)) share[sub ? `elementwise: ${f}` : f] = ms / g.msPerStep;
      out({ bench: 'encoder-step-profile', backend: 'webgpu', msPerStep: g.msPerStep, hostMs: prof.hostMs, readbackMs: rbMs, replayKernelMs: prof.kernelMs, dispatchesProfiled: prof.count, shares: share });
    }
    return;
  }
  console.log(`encoder step: ${CFG.layers} layers, dim ${CFG.dim}, ${CFG.heads} heads, ffn ${CFG.ffn}, seq ${SEQ}, ${2 * HALF} sequences, vocab ${CFG.vocabSize}`);
  console.log('backend      steps/s   ms/step   peak MiB  dispatches  submits  readbacks  device');
  const cell = (x: number | undefined, w: number) => (x === undefined ? '-' : String(Math.round(x * 10) / 10)).padStart(w);
  for (const r of rows) {
    console.log(
      `${r.backend.padEnd(12)} ${r.stepsPerSec.toFixed(3).padStart(7)} ${r.msPerStep.toFixed(1).padStart(9)} ${(r.peakBytes / 2 ** 20).toFixed(1).padStart(10)}` +
        `  ${cell(r.dispatches, 10)} ${cell(r.submits, 8)} ${cell(r.readbacks, 10)}  ${r.device}`,
    );
  }
  if (tf && !tfOk) console.log(`${'tfjs-webgpu'.padEnd(12)} error: ${(tf as { error: string }).error}`);
  if (ratio !== null) console.log(`webgpu ÷ tfjs-webgpu (steps/s, this run): ${ratio.toFixed(2)}×`);
  else if (!tf) console.log('(tfjs-webgpu not run: add --tfjs)');
  if (prof) {
    console.log(`\nwebgpu step time by part (device time split by kernel category from ${prof.count} dispatches replayed one at a time):`);
    for (const [f, ms, sub] of shares(prof, g.msPerStep, rbMs)) {
      console.log(`  ${(sub ? '  ' + f : f).padEnd(56)} ${ms.toFixed(1).padStart(8)} ms  ${((100 * ms) / g.msPerStep).toFixed(1).padStart(5)} %`);
    }
    if (args.includes('--detail')) {
      console.log('\nlargest kernels (name, or matmul batch×(M×N×K), [category]):');
      for (const [key, ms, n] of prof.top.slice(0, 20)) console.log(`  ${key.padEnd(70)} ×${String(n).padStart(3)} ${ms.toFixed(1).padStart(8)} ms (replay)`);
    }
  }
}
