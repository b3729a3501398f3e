// The doctor's checks of the matmul kernels (every variant, whichever this adapter uses), the row
// kernels (softmax and layerNorm, both variants, forward and backward), top-k, the bag sums and
// the Adam updates. Tolerances are the kernel tests': relErr < 1e-4 for matmul, softmax and
// layerNorm (f32 against float64 references), 1e-5 for the bag sums and Adam, bit-identical for top-k.
import type { AdamHyper, MatmulParams } from '../../kernels/op-types';
import { matmulGpu, matmulRef, type MatmulVariant } from '../../kernels/matmul';
import { softmaxGpu, softmaxGradGpu, softmaxGradRef, softmaxRef, type RowVariant } from '../../kernels/softmax';
import { layerNormGpu, layerNormGradGpu, layerNormGradRef, layerNormRef } from '../../kernels/layernorm';
import { topkGpu, topkRef } from '../../kernels/topk';
import { embeddingBagGpu, embeddingBagRef } from '../../kernels/embedding-bag';
import { adamRowsGpu, adamRowsRef, adamwGpu, adamwRef } from '../../kernels/optim';
import type { Rng } from '../../util/rng';
import { kernelCheck, withBufs, type KernelCheck, type Output } from './checks';
import { randn } from './kernel-cases-elementwise';

const f64 = (a: Float32Array): Float64Array => Float64Array.from(a);

/** 1s; primes with B transposed; A transposed with B broadcast over a batch; the blocked kernel's vec4 path. */
const MATMUL_SHAPES = [
  { batch: 1, M: 1, N: 1, K: 1, transA: false, transB: false, broadcastB: false },
  { batch: 1, M: 7, N: 13, K: 31, transA: false, transB: true, broadcastB: false },
  { batch: 2, M: 67, N: 45, K: 129, transA: true, transB: false, broadcastB: true },
  { batch: 2, M: 100, N: 72, K: 64, transA: false, transB: false, broadcastB: true },
];

const matmulChecks = (['naive', 'blocked', 'tiled'] as MatmulVariant[]).map((variant) => kernelCheck({
  kernel: `matmul (${variant})`, tol: 1e-4, shapes: MATMUL_SHAPES,
  run: (rt, s, rng) => withBufs(rt, async (b) => {
    const p: MatmulParams = { batch: s.batch, M: s.M, N: s.N, K: s.K, transA: s.transA, transB: s.transB, strideA: s.M * s.K, strideB: s.broadcastB ? 0 : s.K * s.N };
    const a = randn(rng, s.batch * s.M * s.K);
    const bm = randn(rng, (s.broadcastB ? 1 : s.batch) * s.K * s.N);
    const got = await b.f32(matmulGpu(rt, b.up(a), b.up(bm), p, { variant }), s.batch * s.M * s.N);
    return [{ name: 'C', got, want: matmulRef(f64(a), f64(bm), p) }];
  }),
}));

const ROWS = [{ rows: 1, cols: 1 }, { rows: 7, cols: 13 }, { rows: 65, cols: 131 }, { rows: 3, cols: 1031 }];

const rowChecks = (['row', 'wg'] as RowVariant[]).flatMap((variant) => [
  kernelCheck({
    kernel: `softmax (${variant})`, tol: 1e-4, shapes: ROWS,
    run: (rt, { rows, cols }, rng) => withBufs(rt, async (b) => {
      const out: Output[] = [];
      for (const log of [false, true]) {
        const x = randn(rng, rows * cols, 3);
        out.push({ name: log ? 'logSoftmax' : 'softmax', got: await b.f32(softmaxGpu(rt, b.up(x), rows, cols, log, { variant }), rows * cols), want: softmaxRef(f64(x), rows, cols, log) });
      }
      return out;
    }),
  }),
  kernelCheck({
    kernel: `softmaxGrad (${variant})`, tol: 1e-4, shapes: ROWS,
    run: (rt, { rows, cols }, rng) => withBufs(rt, async (b) => {
      const out: Output[] = [];
      for (const log of [false, true]) {
        const y = Float32Array.from(softmaxRef(f64(randn(rng, rows * cols, 3)), rows, cols, log));
        const dy = randn(rng, rows * cols);
        const got = await b.f32(softmaxGradGpu(rt, b.up(y), b.up(dy), rows, cols, log, { variant }), rows * cols);
        out.push({ name: log ? 'dlogSoftmax' : 'dsoftmax', got, want: softmaxGradRef(f64(y), f64(dy), rows, cols, log) });
      }
      return out;
    }),
  }),
  kernelCheck({
    kernel: `layerNorm (${variant})`, tol: 1e-4, shapes: ROWS,
    run: (rt, { rows, cols }, rng) => withBufs(rt, async (b) => {
      // An offset mean: a one-pass variance formula would fail here.
      const x = randn(rng, rows * cols, 2, 3);
      const gamma = randn(rng, cols, 0.5, 1);
      const beta = randn(rng, cols);
      const r = layerNormGpu(rt, b.up(x), b.up(gamma), b.up(beta), rows, cols, 1e-5, { variant });
      const ref = layerNormRef(f64(x), f64(gamma), f64(beta), rows, cols, 1e-5);
      return [
        { name: 'y', got: await b.f32(r.y, rows * cols), want: ref.y },
        { name: 'mean', got: await b.f32(r.mean, rows), want: ref.mean },
        { name: 'rstd', got: await b.f32(r.rstd, rows), want: ref.rstd },
      ];
    }),
  }),
  kernelCheck({
    kernel: `layerNormGrad (${variant})`, tol: 1e-4, shapes: ROWS,
    run: (rt, { rows, cols }, rng) => withBufs(rt, async (b) => {
      const x = randn(rng, rows * cols, 2, 1);
      const gamma = randn(rng, cols, 0.5, 1);
      const dy = randn(rng, rows * cols);
      // Statistics from the reference, rounded to f32, so both backwards see the same inputs.
      const fwd = layerNormRef(x, gamma, gamma, rows, cols, 1e-5);
      const mean = fwd.mean as Float32Array;
      const rstd = fwd.rstd as Float32Array;
      const r = layerNormGradGpu(rt, b.up(dy), b.up(x), b.up(gamma), b.up(mean), b.up(rstd), rows, cols, { variant });
      const ref = layerNormGradRef(f64(dy), f64(x), f64(gamma), f64(mean), f64(rstd), rows, cols);
      return [
        { name: 'dx', got: await b.f32(r.dx, rows * cols), want: ref.dx },
        { name: 'dgamma', got: await b.f32(r.dgamma, cols), want: ref.dgamma },
        { name: 'dbeta', got: await b.f32(r.dbeta, cols), want: ref.dbeta },
      ];
    }),
  }),
]);

/** B random bags over V rows: lengths 0, 1 or up to 12, repeated ids, ids 0 and V − 1 present. */
function randomBags(r: Rng, B: number, V: number) {
  const offsets = new Int32Array(B + 1);
  for (let i = 0; i < B; i++) offsets[i + 1] = offsets[i] + [0, 1, 1 + r.int(12)][r.int(3)];
  const nnz = offsets[B];
  const ids = Int32Array.from({ length: nnz }, () => r.int(V));
  if (nnz > 0) ids[0] = 0;
  if (nnz > 1) ids[nnz - 1] = V - 1;
  return { ids, weights: randn(r, nnz), offsets };
}

const hyper = (t: number): AdamHyper => ({ lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, gradScale: 0.5, bc1: 1 - 0.9 ** t, bc2: 1 - 0.999 ** t });

const ADAM_ROWS = [{ numRows: 1, cols: 1 }, { numRows: 7, cols: 13 }, { numRows: 131, cols: 33 }];

const adamRowsChecks = [false, true].map((compact) => kernelCheck({
  kernel: `adamRows${compact ? ' (compact gradient)' : ''}`, tol: 1e-5, shapes: ADAM_ROWS,
  run: (rt, { numRows, cols }, rng) => withBufs(rt, async (b) => {
    const n = numRows * cols;
    const rows = Int32Array.from(rng.permutation(numRows).subarray(0, 1 + rng.int(numRows))).sort();
    const grad = randn(rng, compact ? rows.length * cols : n);
    const state = [randn(rng, n), randn(rng, n, 0.1), randn(rng, n, 0.1).map(Math.abs)];
    const ref = state.map(f64);
    const bufs = [b.up(state[0]), b.up(grad), b.up(state[1]), b.up(state[2])];
    for (let t = 1; t <= 2; t++) {
      adamRowsRef(ref[0], f64(grad), ref[1], ref[2], rows, cols, hyper(t), compact);
      adamRowsGpu(rt, bufs[0], bufs[1], bufs[2], bufs[3], rows, cols, hyper(t), compact);
    }
    return [
      { name: 'param', got: await b.f32(bufs[0], n), want: ref[0] },
      { name: 'm', got: await b.f32(bufs[2], n), want: ref[1] },
      { name: 'v', got: await b.f32(bufs[3], n), want: ref[2] },
    ];
  }),
}));

export const ROW_CHECKS: KernelCheck[] = [
  ...matmulChecks,
  ...rowChecks,
  kernelCheck({
    // chunk 0: the adapter's default; 64: short level-0 chunks, so merge levels run; k 300: two passes.
    kernel: 'topk', tol: 0,
    shapes: [{ rows: 1, cols: 1, k: 1, chunk: 0 }, { rows: 7, cols: 13, k: 5, chunk: 0 }, { rows: 5, cols: 4099, k: 100, chunk: 0 }, { rows: 4, cols: 1031, k: 10, chunk: 64 }, { rows: 3, cols: 1031, k: 300, chunk: 0 }],
    run: (rt, { rows, cols, k, chunk }, rng) => withBufs(rt, async (b) => {
      const x = randn(rng, rows * cols);
      const r = topkGpu(rt, b.up(x), rows, cols, k, chunk > 0 ? { chunk } : {});
      const ref = topkRef(x, rows, cols, k);
      return [
        { name: 'values', got: await b.f32(r.values, rows * k), want: ref.values },
        { name: 'indices', got: await b.i32(r.indices, rows * k), want: ref.indices },
      ];
    }),
  }),
  kernelCheck({
    kernel: 'embeddingBag', tol: 1e-5, shapes: [{ B: 1, C: 1, V: 1 }, { B: 7, C: 13, V: 31 }, { B: 65, C: 33, V: 131 }],
    run: (rt, { B, C, V }, rng) => withBufs(rt, async (b) => {
      const { ids, weights, offsets } = randomBags(rng, B, V);
      const table = randn(rng, V * C);
      const got = await b.f32(embeddingBagGpu(rt, b.up(table), ids, weights, offsets, B, V, C), B * C);
      return [{ name: 'sums', got, want: embeddingBagRef(table, ids, weights, offsets, B, V, C) }];
    }),
  }),
  kernelCheck({
    kernel: 'adamw', tol: 1e-5, shapes: [{ n: 1 }, { n: 7 }, { n: 4099 }],
    run: (rt, { n }, rng) => withBufs(rt, async (b) => {
      const grad = randn(rng, n);
      const state = [randn(rng, n), randn(rng, n, 0.1), randn(rng, n, 0.1).map(Math.abs)];
      const ref = state.map(f64);
      const bufs = [b.up(state[0]), b.up(grad), b.up(state[1]), b.up(state[2])];
      for (let t = 1; t <= 2; t++) {
        adamwRef(ref[0], f64(grad), ref[1], ref[2], hyper(t));
        adamwGpu(rt, bufs[0], bufs[1], bufs[2], bufs[3], n, hyper(t));
      }
      return [
        { name: 'param', got: await b.f32(bufs[0], n), want: ref[0] },
        { name: 'm', got: await b.f32(bufs[2], n), want: ref[1] },
        { name: 'v', got: await b.f32(bufs[3], n), want: ref[2] },
      ];
    }),
  }),
  ...adamRowsChecks,
];
