// Kernel benchmark: `npm run bench -- kernels [--json] [--sizes=256,512,1024,2048] [--max-run-s=20]
//   [--variants=naive,blocked,tiled] [--no-tfjs] [--no-rows]`
//
// - matmul GFLOP/s of each kernel (naive, blocked, tiled) on n×n×n f32 at 256..2048, and
//   @tensorflow/tfjs-backend-webgpu's matmul on the same kind of adapter in the same run;
// - ms of softmax, layerNorm and top-k at transformer-like sizes.
// Every figure: one warm-up run (shader compile), then the median of several timed runs
// (timeKernel, src/kernels/webgpu/timing.ts, which `ngame doctor` uses too).
// A size whose run would take longer than --max-run-s (extrapolated ×8 from the size below)
// is skipped and reported as such: the naive kernel at 2048 takes minutes on llvmpipe.

import { gpuContext, closeGpu } from '../src/kernels/webgpu/device';
import { Runtime } from '../src/kernels/webgpu/runtime';
import { timeKernel } from '../src/kernels/webgpu/timing';
import { matmulConfig, matmulGpu, type MatmulVariant } from '../src/kernels/matmul';
import { Rng } from '../src/util/rng';
import { openTfjs } from './_tfjs';

interface Row {
  kernel: string;
  size: string;
  ms: number | null;
  gflops: number | null;
  /** tfjs ms / our ms at the same size (matmul rows only). */
  vsTfjs: number | null;
  note?: string;
}

function randomBuffer(rt: Runtime, n: number, seed: number): GPUBuffer {
  const rng = new Rng(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.normal();
  return rt.upload(x);
}

/** Timed runs for a run expected to take `estMs`: more when runs are short. */
const runsFor = (estMs: number): number => (estMs < 500 ? 7 : estMs < 3000 ? 3 : 1);

interface Options { json: boolean; sizes: number[]; maxRunMs: number; variants: MatmulVariant[]; tfjs: boolean; rows: boolean }

function parseArgs(args: string[]): Options {
  let sizes = [256, 512, 1024, 2048];
  let maxRunMs = 20_000;
  let variants: MatmulVariant[] = ['naive', 'blocked', 'tiled'];
  for (const a of args) {
    if (a.startsWith('--sizes=')) sizes = a.slice(8).split(',').map(Number);
    else if (a.startsWith('--max-run-s=')) maxRunMs = Number(a.slice(12)) * 1000;
    else if (a.startsWith('--variants=')) variants = a.slice(11).split(',') as MatmulVariant[];
    else if (!['--json', '--no-tfjs', '--no-rows'].includes(a)) throw new Error(`bench kernels: unknown argument '${a}'`);
  }
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`bench kernels: bad --sizes '${sizes.join(',')}'`);
  const bad = variants.filter((v) => !['naive', 'blocked', 'tiled'].includes(v));
  if (bad.length > 0) throw new Error(`bench kernels: unknown --variants '${bad.join(',')}' (naive, blocked, tiled)`);
  return { json: args.includes('--json'), sizes, maxRunMs, variants, tfjs: !args.includes('--no-tfjs'), rows: !args.includes('--no-rows') };
}

export default async function (args: string[]): Promise<void> {
  const opts = parseArgs(args);
  const ctx = await gpuContext();
  const rt = new Runtime(ctx);
  const cfg = matmulConfig(rt);
  const log = (s: string): void => { process.stderr.write(`${s}\n`); };
  const rows: Row[] = [];
  log(`adapter: ${ctx.name} (${ctx.kind}); default matmul: ${cfg.variant} ${cfg.outputs.join('×')} outputs/invocation, workgroup ${cfg.workgroup.join('×')}`);

  // ---- matmul, each kernel ----
  for (const variant of opts.variants) {
    let prevMs = 0, prevN = 0;
    for (const n of opts.sizes) {
      const est = prevMs * (n / prevN) ** 3;
      if (prevN > 0 && est > opts.maxRunMs) {
        rows.push({ kernel: `matmul ${variant}`, size: `${n}³`, ms: null, gflops: null, vsTfjs: null, note: `skipped: ~${(est / 1000).toFixed(0)} s per run` });
        continue;
      }
      const a = randomBuffer(rt, n * n, 1), b = randomBuffer(rt, n * n, 2);
      const p = { batch: 1, M: n, N: n, K: n, transA: false, transB: false, strideA: 0, strideB: 0 };
      const ms = await timeKernel(rt, () => matmulGpu(rt, a, b, p, { variant }), runsFor(est));
      rt.release(a); rt.release(b);
      rows.push({ kernel: `matmul ${variant}`, size: `${n}³`, ms, gflops: (2 * n ** 3) / ms / 1e6, vsTfjs: null });
      log(`matmul ${variant} ${n}: ${ms.toFixed(1)} ms`);
      prevMs = ms; prevN = n;
    }
  }

  // ---- tfjs-backend-webgpu matmul on the same kind of adapter ----
  if (opts.tfjs) {
    try {
      const tf = await openTfjs(ctx.kind);
      log(`tfjs adapter: ${tf.adapter}`);
      let prevMs = 0, prevN = 0;
      for (const n of opts.sizes) {
        const est = prevMs * (n / prevN) ** 3;
        if (prevN > 0 && est > opts.maxRunMs) {
          rows.push({ kernel: 'matmul tfjs-webgpu', size: `${n}³`, ms: null, gflops: null, vsTfjs: null, note: `skipped: ~${(est / 1000).toFixed(0)} s per run` });
          continue;
        }
        const ms = await tf.time(n, runsFor(est));
        rows.push({ kernel: 'matmul tfjs-webgpu', size: `${n}³`, ms, gflops: (2 * n ** 3) / ms / 1e6, vsTfjs: 1 });
        log(`matmul tfjs ${n}: ${ms.toFixed(1)} ms`);
        prevMs = ms; prevN = n;
        for (const r of rows) if (r.kernel.startsWith('matmul ') && r.size === `${n}³` && r.ms !== null) r.vsTfjs = ms / r.ms;
      }
      tf.dispose();
    } catch (e) {
      rows.push({ kernel: 'matmul tfjs-webgpu', size: '-', ms: null, gflops: null, vsTfjs: null, note: `not available: ${(e as Error).message}` });
    }
  }

  // ---- fused row kernels (written in softmax.ts, layernorm.ts, topk.ts) ----
  const rowBench: [string, string, string, (m: Record<string, unknown>) => Promise<number>][] = [
    ['softmax', '16384×32', '../src/kernels/softmax', async (m) => rowOp(rt, 16384 * 32, (x) => (m.softmaxGpu as Function)(rt, x, 16384, 32, false))],
    ['softmax', '4096×8192', '../src/kernels/softmax', async (m) => rowOp(rt, 4096 * 8192, (x) => (m.softmaxGpu as Function)(rt, x, 4096, 8192, false))],
    ['layerNorm', '4096×128', '../src/kernels/layernorm', async (m) => {
      const gamma = randomBuffer(rt, 128, 5), beta = randomBuffer(rt, 128, 6);
      const ms = await rowOp(rt, 4096 * 128, (x) => (m.layerNormGpu as Function)(rt, x, gamma, beta, 4096, 128, 1e-5));
      rt.release(gamma); rt.release(beta);
      return ms;
    }],
    ['top-k k=10', '1024×42000', '../src/kernels/topk', async (m) => rowOp(rt, 1024 * 42000, (x) => (m.topkGpu as Function)(rt, x, 1024, 42000, 10))],
  ];
  for (const [kernel, size, path, run] of opts.rows ? rowBench : []) {
    let mod: Record<string, unknown> | null = null;
    try { mod = await import(path); } catch { mod = null; }
    const fn = kernel === 'softmax' ? 'softmaxGpu' : kernel === 'layerNorm' ? 'layerNormGpu' : 'topkGpu';
    if (!mod || typeof mod[fn] !== 'function') {
      rows.push({ kernel, size, ms: null, gflops: null, vsTfjs: null, note: 'not available' });
      continue;
    }
    const ms = await run(mod);
    rows.push({ kernel, size, ms, gflops: null, vsTfjs: null });
    log(`${kernel} ${size}: ${ms.toFixed(2)} ms`);
  }

  // ---- output ----
  if (opts.json) {
    console.log(JSON.stringify({ adapter: ctx.name, kind: ctx.kind, matmulDefault: { variant: cfg.variant, outputs: cfg.outputs, workgroup: cfg.workgroup, tile: cfg.tile } }));
    for (const r of rows) console.log(JSON.stringify({ adapter: ctx.name, ...r }));
  } else {
    console.log(`adapter: ${ctx.name}`);
    console.log(`default matmul kernel here: ${cfg.variant}, ${cfg.outputs.join('×')} outputs per invocation, workgroup ${cfg.workgroup.join('×')}${cfg.tile ? `, tile ${cfg.tile.join('×')}` : ''}`);
    const fmt = (x: number | null, d: number): string => (x === null ? '-' : x.toFixed(d));
    const table = [['kernel', 'size', 'ms', 'GFLOP/s', '× tfjs'], ...rows.map((r) => [
      r.kernel, r.size, r.note ?? fmt(r.ms, 2), fmt(r.gflops, 2), fmt(r.vsTfjs, 2),
    ])];
    const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
    for (const row of table) console.log(row.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  }
  await closeGpu();
}

/** Times a row kernel on a random (rows·cols) input. */
async function rowOp(rt: Runtime, n: number, record: (x: GPUBuffer) => unknown): Promise<number> {
  const x = randomBuffer(rt, n, 3);
  // A first timed call (one warm-up and one run, the compile included) gives an upper bound.
  const est = await timeKernel(rt, () => record(x), 1);
  const ms = await timeKernel(rt, () => record(x), runsFor(est));
  rt.release(x);
  return ms;
}
