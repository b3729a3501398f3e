// The doctor's checks of the elementwise, layout, reduction and gather/scatter kernels (the row,
// matmul, top-k, bag and Adam kernels are in kernel-cases-rows.ts). Tolerances are the kernel
// tests': relErr < 1e-5 for float math, bit-identical (0) for data movement, comparisons, integer
// results and the dropout mask. Sizes: 1, primes and sizes past a workgroup's tile. The unary
// ops run over their whole domain (tanh, sigmoid, gelu to ±30, into saturation), where a single
// element's f32 result can be tiny: they are judged against outputs of RMS at least 1 (floor).
import type { UnaryOp, BinaryOp, ReduceOp } from '../../kernels/op-types';
import { dropoutMaskGpu, dropoutMaskRef, fillGpu, fillRef, unaryGpu, unaryGradGpu, unaryGradRef, unaryRef, binaryGpu, binaryRef, whereGpu, whereRef } from '../../kernels/elementwise';
import { concat2Gpu, concat2Ref, stridedGpu, stridedRef } from '../../kernels/layout';
import { reduceGpu, reduceRef, type ReduceVariant } from '../../kernels/reduce';
import { gatherGpu, gatherRef, scatterAddGpu, scatterAddRef, scatterColsGpu, scatterColsRef } from '../../kernels/gather';
import type { Rng } from '../../util/rng';
import { kernelCheck, withBufs, type KernelCheck, type Output } from './checks';

/** n normal samples · scale + shift, as float32. */
export function randn(rng: Rng, n: number, scale = 1, shift = 0): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * scale + shift;
  return a;
}

/** n uniform samples in [lo, hi), as float32. */
function uniform(rng: Rng, n: number, lo: number, hi: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng.next();
  return a;
}

const SIZES = [{ n: 1 }, { n: 7 }, { n: 4099 }];
const MATRICES = [{ rows: 1, cols: 1 }, { rows: 7, cols: 13 }, { rows: 65, cols: 131 }];

const UNARY: [UnaryOp, number, [number, number]][] = [
  ['neg', 0, [-3, 3]], ['exp', 0, [-3, 3]], ['log', 0, [0.05, 20]], ['sqrt', 0, [0.05, 20]], ['rsqrt', 0, [0.05, 20]],
  ['tanh', 0, [-30, 30]], ['relu', 0, [-3, 3]], ['gelu', 0, [-30, 30]], ['sigmoid', 0, [-30, 30]], ['pow', 2, [-3, 3]],
  ['scale', 1.7, [-3, 3]], ['shift', 0.5, [-3, 3]], ['abs', 0, [-3, 3]], ['square', 0, [-3, 3]],
];
const BINARY: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'max', 'min', 'eq', 'gt'];

export const ELEMENTWISE_CHECKS: KernelCheck[] = [
  kernelCheck({
    kernel: 'fill', tol: 0, shapes: SIZES,
    run: (rt, { n }) => withBufs(rt, async (b) => [{ name: 'y', got: await b.f32(fillGpu(rt, n, 'f32', -1.25), n), want: fillRef(n, 'f32', -1.25) }]),
  }),
  kernelCheck({
    kernel: 'unary (every op)', tol: 1e-5, floor: 1, shapes: SIZES,
    run: (rt, { n }, rng) => withBufs(rt, async (b) => {
      const out: Output[] = [];
      for (const [op, alpha, [lo, hi]] of UNARY) {
        const x = uniform(rng, n, lo, hi);
        out.push({ name: op, got: await b.f32(unaryGpu(rt, op, b.up(x), n, 'f32', alpha), n), want: unaryRef(op, x, alpha) });
      }
      return out;
    }),
  }),
  kernelCheck({
    kernel: 'unaryGrad (every op)', tol: 1e-5, floor: 1, shapes: SIZES,
    run: (rt, { n }, rng) => withBufs(rt, async (b) => {
      const out: Output[] = [];
      for (const [op, alpha, [lo, hi]] of UNARY) {
        const x = uniform(rng, n, lo, hi);
        const y = unaryRef(op, x, alpha);
        const dy = randn(rng, n);
        const got = await b.f32(unaryGradGpu(rt, op, b.up(x), b.up(y), b.up(dy), n, 'f32', alpha), n);
        out.push({ name: `d${op}`, got, want: unaryGradRef(op, x, y, dy, alpha) });
      }
      return out;
    }),
  }),
  kernelCheck({
    // a (rows, cols) against b broadcast along the rows (strides [0, 1]).
    kernel: 'binary (every op, broadcast)', tol: 1e-5, shapes: MATRICES,
    run: (rt, { rows, cols }, rng) => withBufs(rt, async (b) => {
      const out: Output[] = [];
      for (const op of BINARY) {
        const x = randn(rng, rows * cols);
        const y = uniform(rng, cols, 0.5, 2).map((v, i) => (op === 'eq' && i % 2 === 0 ? x[i] : i % 3 === 0 ? -v : v));
        const got = await b.f32(binaryGpu(rt, op, b.up(x), b.up(y), [rows, cols], [cols, 1], [0, 1], 'f32'), rows * cols);
        out.push({ name: op, got, want: binaryRef(op, x, y, [rows, cols], [cols, 1], [0, 1]), tol: op === 'eq' || op === 'gt' || op === 'max' || op === 'min' ? 0 : undefined });
      }
      return out;
    }),
  }),
  kernelCheck({
    kernel: 'where', tol: 0, shapes: MATRICES,
    run: (rt, { rows, cols }, rng) => withBufs(rt, async (b) => {
      const n = rows * cols;
      const cond = Float32Array.from({ length: cols }, () => rng.int(2));
      const x = randn(rng, n);
      const y = randn(rng, n);
      const got = await b.f32(whereGpu(rt, b.up(cond), b.up(x), b.up(y), [rows, cols], [0, 1], [cols, 1], [cols, 1], 'f32', 'f32'), n);
      return [{ name: 'y', got, want: whereRef(cond, x, y, [rows, cols], [0, 1], [cols, 1], [cols, 1]) }];
    }),
  }),
  kernelCheck({
    kernel: 'dropoutMask', tol: 0, shapes: SIZES,
    run: (rt, { n }, rng) => withBufs(rt, async (b) => {
      const seed = rng.int(1 << 30);
      return [{ name: 'mask', got: await b.f32(dropoutMaskGpu(rt, n, 0.1, seed), n), want: dropoutMaskRef(n, 0.1, seed) }];
    }),
  }),
  kernelCheck({
    // The transpose of a (rows, cols) matrix as a strided view.
    kernel: 'strided (transpose)', tol: 0, shapes: MATRICES,
    run: (rt, { rows, cols }, rng) => withBufs(rt, async (b) => {
      const x = randn(rng, rows * cols);
      return [{ name: 'y', got: await b.f32(stridedGpu(rt, b.up(x), [cols, rows], [1, cols], 0, 'f32'), rows * cols), want: stridedRef(x, [cols, rows], [1, cols]) }];
    }),
  }),
  kernelCheck({
    kernel: 'concat2', tol: 0, shapes: [{ outer: 1, la: 1, lb: 1, inner: 1 }, { outer: 3, la: 5, lb: 7, inner: 2 }, { outer: 7, la: 13, lb: 31, inner: 5 }],
    run: (rt, { outer, la, lb, inner }, rng) => withBufs(rt, async (b) => {
      const x = randn(rng, outer * la * inner);
      const y = randn(rng, outer * lb * inner);
      const n = outer * (la + lb) * inner;
      return [{ name: 'y', got: await b.f32(concat2Gpu(rt, b.up(x), b.up(y), outer, la, lb, inner, 'f32'), n), want: concat2Ref(x, y, outer, la, lb, inner) }];
    }),
  }),
  ...(['serial', 'workgroup'] as ReduceVariant[]).map((variant) => kernelCheck({
    kernel: `reduce (${variant})`, tol: 1e-5,
    shapes: [{ outer: 1, len: 1, inner: 1 }, { outer: 3, len: 13, inner: 7 }, { outer: 2, len: 4099, inner: 1 }, { outer: 5, len: 131, inner: 3 }],
    run: (rt, { outer, len, inner }, rng) => withBufs(rt, async (b) => {
      const out: Output[] = [];
      for (const op of ['sum', 'max', 'min'] as ReduceOp[]) {
        const x = randn(rng, outer * len * inner, 1, 0.3);
        const got = await b.f32(reduceGpu(rt, op, b.up(x), outer, len, inner, 'f32', { variant }), outer * inner);
        out.push({ name: op, got, want: reduceRef(op, x, outer, len, inner), tol: op === 'sum' ? undefined : 0 });
      }
      return out;
    }),
  })),
  kernelCheck({
    kernel: 'gather', tol: 0, shapes: [{ n: 1, numRows: 1, cols: 1 }, { n: 13, numRows: 7, cols: 5 }, { n: 67, numRows: 131, cols: 33 }],
    run: (rt, { n, numRows, cols }, rng) => withBufs(rt, async (b) => {
      const table = randn(rng, numRows * cols);
      const idx = Int32Array.from({ length: n }, () => rng.int(numRows));
      return [{ name: 'y', got: await b.f32(gatherGpu(rt, b.up(table), b.up(idx), n, numRows, cols), n * cols), want: gatherRef(table, idx, n, numRows, cols) }];
    }),
  }),
  kernelCheck({
    // Few distinct targets: repeated rows are summed; rows no source names stay zero.
    kernel: 'scatterAdd', tol: 1e-5, shapes: [{ n: 1, numRows: 1, cols: 1 }, { n: 13, numRows: 7, cols: 5 }, { n: 67, numRows: 131, cols: 33 }],
    run: (rt, { n, numRows, cols }, rng) => withBufs(rt, async (b) => {
      const distinct = 1 + rng.int(numRows);
      const idx = Int32Array.from({ length: n }, () => rng.int(distinct));
      const src = randn(rng, n * cols);
      return [{ name: 'y', got: await b.f32(scatterAddGpu(rt, b.up(src), idx, numRows, cols), numRows * cols), want: scatterAddRef(src, idx, numRows, cols) }];
    }),
  }),
  kernelCheck({
    kernel: 'scatterCols', tol: 0, shapes: [{ rows: 1, k: 1, cols: 1 }, { rows: 7, k: 3, cols: 13 }, { rows: 65, k: 17, cols: 131 }],
    run: (rt, { rows, k, cols }, rng) => withBufs(rt, async (b) => {
      const idx = new Int32Array(rows * k);
      for (let r = 0; r < rows; r++) idx.set(rng.permutation(cols).subarray(0, k), r * k);
      const src = randn(rng, rows * k);
      return [{ name: 'y', got: await b.f32(scatterColsGpu(rt, b.up(src), b.up(idx), rows, k, cols), rows * cols), want: scatterColsRef(src, idx, rows, k, cols) }];
    }),
  }),
];
