// Parity tests for src/kernels/reduce.ts: sum/max/min over the middle axis of (outer, len, inner),
// WGSL against the plain-TS reference (which sums in double precision), for both kernel variants
// ('serial' for llvmpipe and column sums, 'workgroup' for row sums on a real GPU) and for split
// (two-pass) reductions. Tolerances: f32 sum rel err < 1e-5 (1e-5 also for len = 1e6);
// max/min and all i32 results exact. Outputs are poisoned with NaN bits before each kernel.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ReduceOp } from '../../src/kernels/op-types';
import { allocArray, type DType, type TypedArray } from '../../src/util/dtype';
import { poisonedGpu } from '../helpers/gpu';
import type { Runtime } from '../../src/kernels/webgpu/runtime';
import { reduceGpu, reduceRef, type ReduceOptions } from '../../src/kernels/reduce';
import { hash32 } from '../../src/kernels/random';
import { relErr } from '../helpers/relerr';

let rt: Runtime;

poisonedGpu((be) => (rt = be.rt));

const SEED = 42;
const OPS: ReduceOp[] = ['sum', 'max', 'min'];

function values(n: number, seed: number, dtype: DType, offset = -0.3): TypedArray {
  const out = allocArray(dtype, n);
  for (let i = 0; i < n; i++) {
    const u = hash32(seed, i) / 4294967296;
    out[i] = dtype === 'f32' ? u + offset : Math.floor(u * 2000) - 1000;
  }
  return out;
}

async function gpuReduce(op: ReduceOp, x: TypedArray, outer: number, len: number, inner: number, dtype: DType, opts?: ReduceOptions): Promise<TypedArray> {
  const xb = rt.upload(x);
  const out = reduceGpu(rt, op, xb, outer, len, inner, dtype, opts);
  rt.release(xb);
  const bytes = await rt.read(out, outer * inner * 4);
  rt.release(out);
  return dtype === 'f32' ? new Float32Array(bytes) : new Int32Array(bytes);
}

function check(op: ReduceOp, dtype: DType, got: TypedArray, ref: TypedArray, what: string): void {
  if (dtype === 'f32' && op === 'sum') expect(relErr(got, ref), what).toBeLessThan(1e-5);
  else expect(Array.from(got), what).toEqual(Array.from(ref));
}

const dim = fc.oneof(fc.constantFrom(1, 2, 3, 4, 5, 7, 31, 64, 97, 257), fc.integer({ min: 1, max: 600 }));

describe('reduce', () => {
  it('matches the reference on random (outer, len, inner), ops, dtypes and both variants', async () => {
    await fc.assert(
      fc.asyncProperty(
        dim, dim, dim, fc.constantFrom(...OPS), fc.constantFrom<DType>('f32', 'i32'),
        fc.constantFrom<ReduceOptions['variant']>(undefined, 'serial', 'workgroup'), fc.integer(),
        async (outer, len, inner, op, dtype, variant, seed) => {
          if (outer * len * inner > 2_000_000) return; // keep each case quick
          const x = values(outer * len * inner, seed, dtype);
          const got = await gpuReduce(op, x, outer, len, inner, dtype, { variant });
          check(op, dtype, got, reduceRef(op, x, outer, len, inner), `${op} ${dtype} (${outer}, ${len}, ${inner}) ${variant}`);
        },
      ),
      { seed: SEED, numRuns: 50 },
    );
  });

  it('split (two-pass) reductions match, for forced split counts', async () => {
    for (const variant of ['serial', 'workgroup'] as const) {
      for (const [outer, len, inner, splits] of [[1, 1000, 1, 7], [3, 513, 5, 2], [2, 4099, 3, 64], [1, 10, 1, 10]]) {
        for (const op of OPS) {
          const x = values(outer * len * inner, len, 'f32');
          const got = await gpuReduce(op, x, outer, len, inner, 'f32', { variant, splits });
          check(op, 'f32', got, reduceRef(op, x, outer, len, inner), `${op} (${outer}, ${len}, ${inner}) ${variant} splits ${splits}`);
        }
      }
    }
  });

  it('the shapes that matter: row sums (4096, 512) and column sums over 4096 rows', async () => {
    const x = values(4096 * 512, 11, 'f32');
    for (const variant of ['serial', 'workgroup'] as const) {
      check('sum', 'f32', await gpuReduce('sum', x, 4096, 512, 1, 'f32', { variant }), reduceRef('sum', x, 4096, 512, 1), `rows ${variant}`);
      check('sum', 'f32', await gpuReduce('sum', x, 1, 4096, 512, 'f32', { variant }), reduceRef('sum', x, 1, 4096, 512), `columns ${variant}`);
    }
  });

  it('sums 1e6 positive values in f32 to within 1e-5 of the double-precision sum', async () => {
    const n = 1_000_000;
    // All in [0.5, 1.5): naive f32 accumulation would drift. splits: 1 asks for one pass; the
    // kernel still splits past 16384 elements per thread (llvmpipe's ~65535 loop-iteration cap).
    const x = values(n, 5, 'f32', 0.5);
    const ref = reduceRef('sum', x, 1, n, 1);
    for (const variant of ['serial', 'workgroup'] as const) {
      for (const splits of [undefined, 1]) {
        const got = await gpuReduce('sum', x, 1, n, 1, 'f32', { variant, splits });
        expect(Math.abs(got[0] - ref[0]) / ref[0], `${variant} splits ${splits}`).toBeLessThan(1e-5);
      }
    }
  });

  it('more than 65535 outputs in the workgroup variant use a 2D grid', async () => {
    const outer = 70001;
    const x = values(outer * 3, 2, 'f32');
    check('max', 'f32', await gpuReduce('max', x, outer, 3, 1, 'f32', { variant: 'workgroup' }), reduceRef('max', x, outer, 3, 1), 'grid');
  });

  it('an empty axis gives the identity; bad shapes throw naming the function', async () => {
    const got = await gpuReduce('max', new Float32Array(0), 2, 0, 3, 'f32');
    expect(Array.from(got)).toEqual(Array.from(reduceRef('max', new Float32Array(0), 2, 0, 3)));
    expect(got[0]).toBe(-Infinity);
    expect(() => reduceRef('sum', new Float32Array(5), 2, 3, 1)).toThrow(/reduceRef: x has 5 elements/);
    const b = rt.upload(new Float32Array(5));
    expect(() => reduceGpu(rt, 'sum', b, 2, 3, 1, 'f32')).toThrow(/reduceGpu/);
    rt.release(b);
  });

  it('the float64 reference works (used by gradient checks)', () => {
    const x = new Float64Array([1, 2, 3, 4, 5, 6]);
    expect(Array.from(reduceRef('sum', x, 1, 2, 3))).toEqual([5, 7, 9]);
    expect(Array.from(reduceRef('max', x, 2, 3, 1))).toEqual([3, 6]);
    expect(reduceRef('min', x, 1, 6, 1)).toBeInstanceOf(Float64Array);
  });
});
