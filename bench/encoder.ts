// Encoder training step benchmark (issue 4's target): 2 layers, dim 128, 4 heads, ffn 512,
// seq 32, 64 documents + 64 labels per step (128 sequences), in-batch contrastive loss,
// forward + backward + AdamW (row-sparse on the token table), bert-base vocabulary size.
//   npm run bench -- encoder [--json] [--steps N] [--cpu-steps N] [--no-profile] [--detail]
// Reports steps/s on the webgpu backend and the cpu backend, dispatches/submits/readbacks per
// step, peak device bytes per step, and (webgpu) the share of step time by kernel family: one
// step's dispatches are recorded, then replayed one at a time, each submitted and waited for,
// so each kernel's device time is measured alone (minus the cost of an empty submit). Whatever
// the step's wall time does not spend in kernels is host work: autograd, recording, dispatch
// overhead, and the readback.
import * as T from '../src/tensor';
import { CpuBackend, type Backend } from '../src/tensor';
import { WebGpuBackend } from '../src/tensor/webgpu/backend';
import type { Dispatch, Kernel } from '../src/tensor/webgpu/runtime';
import { Rng } from '../src/util/rng';
import { Encoder } from '../src/model/encoder';
import { AdamW } from '../src/model/optim';

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

interface Timing {
  backend: string;
  device: string;
  stepsPerSec: number;
  msPerStep: number;
  peakBytes: number;
  loss: number;
  dispatches?: number;
  submits?: number;
  readbacks?: number;
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

function family(name: string): string {
  if (/matmul/.test(name)) return 'matmul';
  if (/softmax/.test(name)) return 'softmax';
  if (/layernorm/.test(name)) return 'layernorm';
  if (/adam/.test(name)) return 'optimizer';
  if (/reduce/.test(name)) return 'reduce';
  if (/gather|scatter/.test(name)) return 'gather/scatter';
  if (/strided|concat/.test(name)) return 'layout copies';
  return 'elementwise';
}

/** Per-family device time of one step (ms), by recording its dispatches and replaying them one by one. */
interface Profile {
  families: Record<string, number>;
  kernelMs: number;
  count: number;
  /** Time per kernel name (matmuls also by shape), largest first. */
  top: [string, number, number][];
  /** Host time to record a step (autograd, kernel selection, dispatch recording). */
  hostMs: number;
}

/**
 * The step's wall time split into host recording, the readback's fixed cost, and device time by
 * kernel family: the device part (wall − host − readback) is divided in proportion to the
 * one-at-a-time replay times (replay runs each kernel alone, so its absolute times are inflated).
 */
function shares(p: Profile, msPerStep: number, rbMs: number): [string, number][] {
  const device = Math.max(0, msPerStep - p.hostMs - rbMs);
  const out: [string, number][] = Object.entries(p.families)
    .map(([f, ms]) => [f, (device * ms) / p.kernelMs] as [string, number])
    .sort((a, b) => b[1] - a[1]);
  out.push(['host: autograd + recording (dispatch overhead)', p.hostMs], ['readback (one per step)', rbMs]);
  return out;
}

/** A readable key for one dispatch: matmuls show M×N×K, batch and transposes (from their uniforms). */
function dispatchKey(k: Kernel, d: Dispatch): string {
  if (!/matmul/.test(k.name) || !d.uniforms) return k.name;
  const u = new Uint32Array(d.uniforms);
  return `${k.name} ${u[3]}×(${u[0]}×${u[1]}×${u[2]})${u[6] ? ' Aᵀ' : ''}${u[7] ? ' Bᵀ' : ''}`;
}

async function profile(gpu: WebGpuBackend, s: Setup): Promise<Profile> {
  const rt = gpu.rt;
  const recorded: { k: Kernel; d: Dispatch }[] = [];
  const run = rt.run.bind(rt);
  rt.run = (k: Kernel, d: Dispatch) => {
    recorded.push({ k, d: { ...d, uniforms: d.uniforms?.slice(0) } });
    run(k, d);
  };
  // Host time: from the start of the step until its one readback submits the recorded work.
  // Submits before that (an upload into a recycled buffer flushes) are held back in this pass,
  // so the device stays idle while the host records; only timing matters in this step.
  const read = rt.read.bind(rt);
  const flush = rt.flush.bind(rt);
  let readAt = 0;
  rt.flush = () => {};
  rt.read = (buf: GPUBuffer, bytes: number) => {
    if (!readAt) readAt = performance.now();
    rt.flush = flush;
    return read(buf, bytes);
  };
  const start = performance.now();
  await step(s);
  const hostMs = readAt - start;
  rt.run = run;
  rt.read = read;
  rt.flush = flush;
  const idle = async () => {
    rt.flush();
    await rt.device.queue.onSubmittedWorkDone();
  };
  await idle();
  // The fixed cost of a submit + wait, subtracted from every measurement.
  let base = Infinity;
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    rt.device.queue.submit([]);
    await rt.device.queue.onSubmittedWorkDone();
    base = Math.min(base, performance.now() - t0);
  }
  const families: Record<string, number> = {};
  const byKey = new Map<string, [number, number]>();
  let total = 0;
  for (const { k, d } of recorded) {
    const t0 = performance.now();
    run(k, d);
    await idle();
    const ms = Math.max(0, performance.now() - t0 - base);
    const f = family(k.name);
    families[f] = (families[f] ?? 0) + ms;
    const key = dispatchKey(k, d);
    const e = byKey.get(key) ?? [0, 0];
    byKey.set(key, [e[0] + ms, e[1] + 1]);
    total += ms;
  }
  const top = [...byKey].map(([key, [ms, n]]) => [key, ms, n] as [string, number, number]).sort((a, b) => b[1] - a[1]);
  return { families, kernelMs: total, count: recorded.length, top, hostMs };
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

export default async function main(args: string[]): Promise<void> {
  const json = args.includes('--json');
  const num = (flag: string, dflt: number) => {
    const i = args.indexOf(flag);
    return i >= 0 ? Number(args[i + 1]) : dflt;
  };
  const steps = num('--steps', 5);
  const cpuSteps = num('--cpu-steps', 1);
  const out = (o: Record<string, unknown>) => console.log(JSON.stringify(o));

  const gpu = await WebGpuBackend.create();
  const { t: g, setup } = await timeSteps(gpu, steps);
  let prof: Profile | null = null;
  let rbMs = 0;
  if (!args.includes('--no-profile')) {
    prof = await profile(gpu, setup);
    rbMs = await readbackMs(gpu);
  }
  const c = cpuSteps > 0 ? (await timeSteps(new CpuBackend(), cpuSteps)).t : null;

  const rows = [g, ...(c ? [c] : [])];
  if (json) {
    for (const r of rows) out({ bench: 'encoder-step', ...r, sequences: 2 * HALF, seq: SEQ, ...CFG });
    if (prof) {
      const share: Record<string, number> = {};
      for (const [f, ms] of shares(prof, g.msPerStep, rbMs)) share[f] = ms / g.msPerStep;
      out({ bench: 'encoder-step-profile', backend: 'webgpu', msPerStep: g.msPerStep, hostMs: prof.hostMs, readbackMs: rbMs, replayKernelMs: prof.kernelMs, dispatchesProfiled: prof.count, shares: share });
    }
    return;
  }
  console.log(`encoder step: ${CFG.layers} layers, dim ${CFG.dim}, ${CFG.heads} heads, ffn ${CFG.ffn}, seq ${SEQ}, ${2 * HALF} sequences, vocab ${CFG.vocabSize}`);
  console.log('backend  steps/s   ms/step   peak MiB  dispatches  submits  readbacks  device');
  for (const r of rows) {
    console.log(
      `${r.backend.padEnd(8)} ${r.stepsPerSec.toFixed(3).padStart(7)} ${r.msPerStep.toFixed(1).padStart(9)} ${(r.peakBytes / 2 ** 20).toFixed(1).padStart(10)}` +
        `  ${String(r.dispatches ?? '-').padStart(10)} ${String(r.submits ?? '-').padStart(8)} ${String(r.readbacks ?? '-').padStart(10)}  ${r.device}`,
    );
  }
  if (prof) {
    console.log(`\nwebgpu step time by part (device time split by kernel family from ${prof.count} dispatches replayed one at a time):`);
    for (const [f, ms] of shares(prof, g.msPerStep, rbMs)) console.log(`  ${f.padEnd(46)} ${ms.toFixed(1).padStart(8)} ms  ${((100 * ms) / g.msPerStep).toFixed(1).padStart(5)} %`);
    if (args.includes('--detail')) {
      console.log('\nlargest kernels (name, or matmul batch×(M×N×K)):');
      for (const [key, ms, n] of prof.top.slice(0, 20)) console.log(`  ${key.padEnd(60)} ×${String(n).padStart(3)} ${ms.toFixed(1).padStart(8)} ms (replay)`);
    }
  }
}
