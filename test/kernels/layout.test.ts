// Parity tests for src/kernels/layout.ts: strided gathers (permute, slice, expand) and concat2,
// WGSL against the plain-TS reference. Data movement must be exact (bit-identical), for every
// 32-bit dtype. Outputs are poisoned with NaN bits before each kernel, so an unwritten element
// fails the comparison.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allocArray, type DType, type TypedArray } from '../../src/util/dtype';
import { numel, stridesOf } from '../../src/util/shape';
import { poisonedGpu } from '../helpers/gpu';
import type { Runtime } from '../../src/kernels/webgpu/runtime';
import { coalesceDims, concat2Gpu, concat2Ref, LAUNCH, setElementwiseLaunch, stridedGpu, stridedOffsets, stridedRef } from '../../src/kernels/layout';
import { hash32 } from '../../src/kernels/random';

let rt: Runtime;

poisonedGpu((be) => (rt = be.rt), () => setElementwiseLaunch(null));

const SEED = 42;
const DTYPES: DType[] = ['f32', 'i32', 'u32'];

/** Random 32-bit patterns (as floats: finite values in [-1000, 1000)). */
function values(n: number, seed: number, dtype: DType): TypedArray {
  const out = allocArray(dtype, n);
  for (let i = 0; i < n; i++) {
    const h = hash32(seed, i);
    out[i] = dtype === 'f32' ? (h / 4294967296) * 2000 - 1000 : h;
  }
  return out;
}

async function gpuStrided(x: TypedArray, shape: number[], strides: number[], offset: number, dtype: DType): Promise<TypedArray> {
  const xb = rt.upload(x);
  const out = stridedGpu(rt, xb, shape, strides, offset, dtype);
  rt.release(xb);
  const bytes = await rt.read(out, numel(shape) * 4);
  rt.release(out);
  return dtype === 'f32' ? new Float32Array(bytes) : dtype === 'i32' ? new Int32Array(bytes) : new Uint32Array(bytes);
}

/**
 * A random view of a random source tensor: a slice (start offsets, sizes) of a source shape,
 * then a permutation of the axes, then some size-1 axes expanded (stride 0).
 */
const viewArb = fc.integer({ min: 0, max: 6 }).chain((rank) =>
  fc.record({
    src: fc.array(fc.constantFrom(1, 2, 3, 4, 5, 7, 11), { minLength: rank, maxLength: rank }),
    cut: fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: rank, maxLength: rank }),
    perm: fc.shuffledSubarray(Array.from({ length: rank }, (_, i) => i), { minLength: rank, maxLength: rank }),
    expand: fc.array(fc.constantFrom(0, 0, 0, 3), { minLength: rank, maxLength: rank }),
  }).map(({ src, cut, perm, expand }) => {
    const srcStrides = stridesOf(src);
    let offset = 0;
    const shape: number[] = [];
    const strides: number[] = [];
    src.forEach((d, i) => {
      const start = cut[i][0] % d;
      const size = 1 + (cut[i][1] % (d - start));
      offset += start * srcStrides[i];
      // Expanding turns a size-1 slice into `expand[i]` copies of it.
      const e = size === 1 && expand[i] > 0 ? expand[i] : 0;
      shape.push(e || size);
      strides.push(e ? 0 : srcStrides[i]);
    });
    return { n: numel(src), shape: perm.map((p) => shape[p]), strides: perm.map((p) => strides[p]), offset };
  }),
);

describe('strided', () => {
  it('permute / slice / expand views match the reference exactly for every dtype', async () => {
    await fc.assert(
      fc.asyncProperty(viewArb, fc.constantFrom(...DTYPES), fc.integer(), async (v, dtype, seed) => {
        const x = values(v.n, seed, dtype);
        const ref = stridedRef(x, v.shape, v.strides, v.offset);
        const got = await gpuStrided(x, v.shape, v.strides, v.offset, dtype);
        expect(Array.from(got), `shape ${v.shape} strides ${v.strides} offset ${v.offset}`).toEqual(Array.from(ref));
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('transposes large matrices (and with the gpu launch parameters)', async () => {
    for (const launch of [null, LAUNCH.gpu]) {
      setElementwiseLaunch(launch);
      for (const [r, c] of [[1, 1], [97, 13], [513, 1031]]) {
        const x = values(r * c, r + c, 'f32');
        const got = await gpuStrided(x, [c, r], [1, c], 0, 'f32');
        expect(Array.from(got)).toEqual(Array.from(stridedRef(x, [c, r], [1, c], 0)));
      }
    }
    setElementwiseLaunch(null);
  });

  it('rejects views that read past the input, naming the function', () => {
    const x = rt.upload(new Float32Array(6));
    expect(() => stridedGpu(rt, x, [2, 4], [3, 1], 0, 'f32')).toThrow(/stridedGpu.*reads element 6/);
    expect(() => stridedRef(new Float32Array(6), [2, 3], [3, 1], 1)).toThrow(/stridedRef/);
    expect(() => stridedGpu(rt, x, [1, 1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0], 0, 'f32')).toThrow(/rank 7/);
    rt.release(x);
  });

  it('coalesceDims preserves every source offset (host property)', () => {
    fc.assert(
      fc.property(viewArb, (v) => {
        const c = coalesceDims(v.shape, [v.strides]);
        expect(c.shape.length).toBeLessThanOrEqual(v.shape.length);
        expect(Array.from(stridedOffsets(c.shape, c.strides[0], v.offset))).toEqual(Array.from(stridedOffsets(v.shape, v.strides, v.offset)));
      }),
      { seed: SEED, numRuns: 200 },
    );
  });
});

describe('concat2', () => {
  it('matches the reference exactly for random (outer, la, lb, inner) and dtypes', async () => {
    const dim = fc.oneof(fc.constantFrom(0, 1, 2, 3, 7, 13, 64), fc.integer({ min: 1, max: 40 }));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 50 }), dim, dim, fc.integer({ min: 1, max: 70 }), fc.constantFrom(...DTYPES), async (outer, la, lb, inner, dtype) => {
        const a = values(outer * la * inner, 1, dtype);
        const b = values(outer * lb * inner, 2, dtype);
        const ref = concat2Ref(a, b, outer, la, lb, inner);
        const ab = rt.upload(a);
        const bb = rt.upload(b);
        const out = concat2Gpu(rt, ab, bb, outer, la, lb, inner, dtype);
        rt.release(ab);
        rt.release(bb);
        const bytes = await rt.read(out, ref.length * 4);
        rt.release(out);
        const got = dtype === 'f32' ? new Float32Array(bytes) : dtype === 'i32' ? new Int32Array(bytes) : new Uint32Array(bytes);
        expect(Array.from(got)).toEqual(Array.from(ref));
      }),
      { seed: SEED, numRuns: 30 },
    );
  });

  it('rejects inputs smaller than their stated shape', () => {
    expect(() => concat2Ref(new Float32Array(5), new Float32Array(6), 2, 1, 1, 3)).toThrow(/concat2Ref: a has 5 elements/);
  });
});
