// `ngame doctor`'s timings on this adapter: matmul GFLOP/s at 1024³ (the kernel matmulGpu picks
// here), the bag encoder's M1 training step on the embedded FOLDOC data (bag-step.ts: 256
// documents, dim 256, the run's defaults), and a top-k of 256 queries over 42,000 scores (k = 100,
// the size of a DebianDeps label search). Kernel times are taken after a warm-up run (the shader
// compile), until the queue reports the work done; short ones are the median of several runs.
import type { Runtime } from '../../kernels/webgpu/runtime';
import { timeKernel } from '../../kernels/webgpu/timing';
import { matmulConfig, matmulGpu } from '../../kernels/matmul';
import { topkGpu } from '../../kernels/topk';
import type { WebGpuBackend } from '../../tensor/webgpu/backend';
import { loadDataset } from '../data';
import { Rng } from '../../util/rng';
import { prepareBagSteps, timeBagSteps } from './bag-step';

export interface DoctorTimings {
  matmul: { n: number; variant: string; ms: number; gflops: number };
  bagStep: { dataset: string; batch: number; dim: number; vocab: number; steps: number; msPerStep: number; readbacksPerStep: number | null };
  topk: { rows: number; cols: number; k: number; ms: number };
}

function randomBuffer(rt: Runtime, n: number, seed: number): GPUBuffer {
  const rng = new Rng(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.normal();
  return rt.upload(x);
}

/** One warm-up and one timed run; the median of more runs when that one was short (a real GPU). */
async function timeShortOrLong(rt: Runtime, record: () => unknown): Promise<number> {
  const first = await timeKernel(rt, record, 1);
  const runs = first < 100 ? 15 : first < 500 ? 3 : 0;
  return runs > 0 ? timeKernel(rt, record, runs) : first;
}

export const MATMUL_N = 1024;
export const TOPK_SHAPE = { rows: 256, cols: 42_000, k: 100 };
export const BAG_STEP = { batch: 256, dim: 256, warmup: 3, steps: 10 };

export async function doctorTimings(be: WebGpuBackend): Promise<DoctorTimings> {
  const rt = be.rt;
  const n = MATMUL_N;
  const a = randomBuffer(rt, n * n, 1);
  const b = randomBuffer(rt, n * n, 2);
  const p = { batch: 1, M: n, N: n, K: n, transA: false, transB: false, strideA: 0, strideB: 0 };
  const mmMs = await timeShortOrLong(rt, () => matmulGpu(rt, a, b, p));
  rt.release(a);
  rt.release(b);

  const { rows, cols, k } = TOPK_SHAPE;
  const x = randomBuffer(rt, rows * cols, 3);
  const topMs = await timeShortOrLong(rt, () => topkGpu(rt, x, rows, cols, k));
  rt.release(x);

  const data = await loadDataset();
  const steps = prepareBagSteps(data, BAG_STEP.batch);
  const t = await timeBagSteps(be, steps, { dim: BAG_STEP.dim, batch: BAG_STEP.batch, warmup: BAG_STEP.warmup, steps: BAG_STEP.steps });
  return {
    matmul: { n, variant: matmulConfig(rt).variant, ms: mmMs, gflops: (2 * n ** 3) / mmMs / 1e6 },
    bagStep: { dataset: data.name, batch: BAG_STEP.batch, dim: BAG_STEP.dim, vocab: steps.vocabSize, steps: BAG_STEP.steps, msPerStep: t.msPerStep, readbacksPerStep: t.readbacks ?? null },
    topk: { rows, cols, k, ms: topMs },
  };
}
