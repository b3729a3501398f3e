// Parity: gatherGpu, scatterAddGpu and scatterColsGpu against the references.
// gather and scatterCols move data: outputs must be bit-identical. scatterAdd sums in the same
// order as the reference: relative error < 1e-6 (it is in practice exact).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { WebGpuBackend } from '../../src/tensor/webgpu/backend';
import { poisonedGpu, randn } from '../helpers/gpu';
import { gatherGpu, gatherRef, scatterAddGpu, scatterAddRef, scatterColsGpu, scatterColsRef, scatterPlan } from '../../src/kernels/gather';
import { Rng } from '../../src/util/rng';

let be: WebGpuBackend;
poisonedGpu((b) => (be = b));

const dimArb = (consts: number[], max: number) => fc.oneof(fc.constantFrom(...consts), fc.integer({ min: 1, max }));

describe('gather kernels (webgpu vs reference)', () => {
  it('gather: f32 and i32 tables, bit-identical', async () => {
    await fc.assert(
      fc.asyncProperty(
        dimArb([1, 2, 3, 7, 64, 257], 300), dimArb([1, 2, 3, 4, 5, 31, 64, 129], 200), dimArb([1, 3, 13, 97], 500),
        fc.boolean(), fc.integer({ min: 0, max: 1 << 30 }),
        async (n, cols, numRows, asInt, seed) => {
          const rng = new Rng(seed);
          const table = asInt ? Int32Array.from({ length: numRows * cols }, () => rng.int(1 << 30) - (1 << 29)) : randn(rng, numRows * cols);
          const idx = Int32Array.from({ length: n }, () => rng.int(numRows));
          const tb = be.rt.upload(table);
          const ib = be.rt.upload(idx);
          const ob = gatherGpu(be.rt, tb, ib, n, numRows, cols);
          const raw = await be.rt.read(ob, n * cols * 4);
          const out = asInt ? new Int32Array(raw) : new Float32Array(raw);
          expect(out).toEqual(gatherRef(table, idx, n, numRows, cols));
          for (const b of [tb, ib, ob]) be.rt.release(b);
        },
      ),
      { seed: 42, numRuns: 30 },
    );
  });

  it('gather: out-of-range indices throw in the reference and read nothing out of bounds on the GPU', async () => {
    const table = new Float32Array([1, 2, 3, 4]);
    expect(() => gatherRef(table, new Int32Array([0, 2]), 2, 2, 2)).toThrow(/gatherRef: idx\[1\] = 2 is out of range \[0, 2\)/);
    const tb = be.rt.upload(table);
    const ib = be.rt.upload(new Int32Array([1, -1, 2, 0]));
    const ob = gatherGpu(be.rt, tb, ib, 4, 2, 2);
    expect(new Float32Array(await be.rt.read(ob, 32))).toEqual(new Float32Array([3, 4, 0, 0, 0, 0, 1, 2]));
    for (const b of [tb, ib, ob]) be.rt.release(b);
  });

  it('gather over row shards (one call per shard, lo and rows): together the reference, bit-identical; bad indices give 0', async () => {
    await fc.assert(
      fc.asyncProperty(
        dimArb([1, 2, 7, 64], 200), dimArb([1, 3, 4, 5, 31], 70), dimArb([1, 2, 13, 97], 300), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 1 << 30 }),
        async (n, cols, numRows, rowsPer, seed) => {
          const rng = new Rng(seed);
          const table = randn(rng, numRows * cols);
          // one index in 8 out of range: the lo = 0 call writes its zeros
          const idx = Int32Array.from({ length: n }, () => (rng.int(8) === 0 ? numRows + rng.int(3) : rng.int(numRows)));
          const ib = be.rt.upload(idx);
          const shards: GPUBuffer[] = [];
          let out: GPUBuffer | undefined;
          for (let lo = 0; lo < numRows; lo += rowsPer) {
            const rows = Math.min(rowsPer, numRows - lo);
            const tb = be.rt.upload(table.subarray(lo * cols, (lo + rows) * cols));
            shards.push(tb);
            out = gatherGpu(be.rt, tb, ib, n, numRows, cols, { lo, rows, out });
          }
          const got = new Float32Array(await be.rt.read(out!, n * cols * 4));
          const want = gatherRef(table, Int32Array.from(idx, (t) => (t < numRows ? t : 0)), n, numRows, cols);
          idx.forEach((t, i) => t >= numRows && want.fill(0, i * cols, (i + 1) * cols));
          expect(got).toEqual(want);
          for (const b of [...shards, ib, out!]) be.rt.release(b);
        },
      ),
      { seed: 44, numRuns: 30 },
    );
  });

  it('scatterAdd into row shards (range lo, rows): the shards concatenated equal the whole result, bit-identical', async () => {
    await fc.assert(
      fc.asyncProperty(
        dimArb([0, 1, 5, 64, 300], 400), dimArb([1, 3, 4, 5, 33], 70), dimArb([1, 2, 7, 61], 300), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 1 << 30 }),
        async (n, cols, numRows, rowsPer, seed) => {
          const rng = new Rng(seed);
          const idx = Int32Array.from({ length: n }, () => rng.int(1 + rng.int(numRows)));
          const src = randn(rng, n * cols);
          const sb = be.rt.upload(src.length > 0 ? src : new Float32Array(1));
          const whole = scatterAddGpu(be.rt, sb, idx, numRows, cols);
          const want = new Float32Array(await be.rt.read(whole, numRows * cols * 4));
          const got = new Float32Array(numRows * cols);
          for (let lo = 0; lo < numRows; lo += rowsPer) {
            const rows = Math.min(rowsPer, numRows - lo);
            const ob = scatterAddGpu(be.rt, sb, idx, numRows, cols, { lo, rows });
            got.set(new Float32Array(await be.rt.read(ob, rows * cols * 4)), lo * cols);
            be.rt.release(ob);
          }
          expect(got).toEqual(want);
          const ref = scatterAddRef(src, idx, numRows, cols) as Float32Array;
          for (let i = 0; i < ref.length; i++) expect(Math.abs(got[i] - ref[i])).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(ref[i])));
          for (const b of [sb, whole]) be.rt.release(b);
        },
      ),
      { seed: 45, numRuns: 30 },
    );
  });

  it('scatterAdd: matches, repeated targets summed in order, untouched rows zero', async () => {
    await fc.assert(
      fc.asyncProperty(
        dimArb([0, 1, 2, 5, 64, 300], 400), dimArb([1, 2, 3, 4, 5, 33, 128], 200), dimArb([1, 2, 7, 61, 1000], 300),
        fc.integer({ min: 0, max: 1 << 30 }),
        async (n, cols, numRows, seed) => {
          const rng = new Rng(seed);
          // Few distinct targets make heavy collisions; numRows > n leaves rows untouched.
          const distinct = 1 + rng.int(numRows);
          const idx = Int32Array.from({ length: n }, () => rng.int(distinct));
          const src = randn(rng, n * cols);
          const sb = be.rt.upload(src.length > 0 ? src : new Float32Array(1));
          const ob = scatterAddGpu(be.rt, sb, idx, numRows, cols);
          const out = new Float32Array(await be.rt.read(ob, numRows * cols * 4));
          const ref = scatterAddRef(src, idx, numRows, cols);
          let num = 0;
          let den = 0;
          let nonzeroWhereRefZero = 0;
          for (let i = 0; i < ref.length; i++) {
            num += (out[i] - ref[i]) ** 2;
            den += ref[i] ** 2;
            if (ref[i] === 0 && out[i] !== 0) nonzeroWhereRefZero++;
          }
          expect(nonzeroWhereRefZero).toBe(0);
          expect(Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30)).toBeLessThan(1e-6);
          be.rt.release(sb);
          be.rt.release(ob);
        },
      ),
      { seed: 42, numRuns: 30 },
    );
  });

  it('scatterPlan groups sources by target in increasing order and rejects bad indices', () => {
    const { offsets, positions } = scatterPlan(new Int32Array([2, 0, 2, 2, 0]), 4);
    expect(Array.from(offsets)).toEqual([0, 2, 2, 5, 5]);
    expect(Array.from(positions)).toEqual([1, 4, 0, 2, 3]);
    expect(() => scatterPlan(new Int32Array([0, 4]), 4)).toThrow(/scatterAddGpu: idx\[1\] = 4 is out of range/);
    expect(() => scatterAddRef(new Float32Array(2), new Int32Array([-1, 0]), 3, 1)).toThrow(/scatterAddRef: idx\[0\] = -1/);
  });

  it('scatterCols: bit-identical, zero elsewhere', async () => {
    await fc.assert(
      fc.asyncProperty(
        dimArb([1, 2, 3, 17, 64, 65], 200), dimArb([1, 2, 3, 10, 31, 100], 300), fc.integer({ min: 0, max: 1 << 30 }),
        async (rows, cols, seed) => {
          const rng = new Rng(seed);
          const k = 1 + rng.int(cols);
          const idx = new Int32Array(rows * k);
          for (let r = 0; r < rows; r++) idx.set(rng.permutation(cols).subarray(0, k), r * k);
          const src = randn(rng, rows * k);
          const sb = be.rt.upload(src);
          const ib = be.rt.upload(idx);
          const ob = scatterColsGpu(be.rt, sb, ib, rows, k, cols);
          expect(new Float32Array(await be.rt.read(ob, rows * cols * 4))).toEqual(scatterColsRef(src, idx, rows, k, cols));
          for (const b of [sb, ib, ob]) be.rt.release(b);
        },
      ),
      { seed: 42, numRuns: 30 },
    );
  });
});
