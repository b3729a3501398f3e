// Parity: layerNormGpu / layerNormGradGpu (both row variants) against the float64 reference.
// Tolerance: relative error ||out - ref|| / ||ref|| < 1e-4 per output (row and column reductions in f32).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { WebGpuBackend } from '../../src/tensor/webgpu/backend';
import { poisonedGpu, randn } from '../helpers/gpu';
import { layerNormGpu, layerNormGradGpu, layerNormRef, layerNormGradRef } from '../../src/kernels/layernorm';
import type { RowVariant } from '../../src/kernels/softmax';
import { Rng } from '../../src/util/rng';
import { relErr } from '../helpers/relerr';

let be: WebGpuBackend;
poisonedGpu((b) => (be = b));

const TOL = 1e-4;

function expectClose(out: Float32Array, ref: ArrayLike<number>, what: string): void {
  expect(out.length).toBe(ref.length);
  const e = relErr(out, ref);
  expect(e, `${what}: relative error ${e}`).toBeLessThan(TOL); // NaN (unwritten) fails too
}

async function readF32(buf: GPUBuffer, n: number): Promise<Float32Array> {
  return new Float32Array(await be.rt.read(buf, n * 4));
}

const f64 = (a: Float32Array) => Float64Array.from(a);

const shapeArb = fc.record({
  rows: fc.oneof(fc.constantFrom(1, 2, 3, 8, 17, 64, 65, 257), fc.integer({ min: 1, max: 300 })),
  cols: fc.oneof(fc.constantFrom(1, 2, 5, 31, 64, 127, 768, 1031), fc.integer({ min: 1, max: 500 })),
  variant: fc.constantFrom<RowVariant>('row', 'wg'),
  seed: fc.integer({ min: 0, max: 1 << 30 }),
});

describe('layerNorm kernels (webgpu vs reference)', () => {
  it('forward: y, mean and rstd match', async () => {
    await fc.assert(
      fc.asyncProperty(shapeArb, async ({ rows, cols, variant, seed }) => {
        const rng = new Rng(seed);
        // An offset mean makes a one-pass variance formula fail; the two-pass one must not.
        const x = randn(rng, rows * cols, 2, 3);
        const gamma = randn(rng, cols, 0.5, 1);
        const beta = randn(rng, cols);
        const bufs = [x, gamma, beta].map((a) => be.rt.upload(a));
        const r = layerNormGpu(be.rt, bufs[0], bufs[1], bufs[2], rows, cols, 1e-5, { variant });
        const ref = layerNormRef(f64(x), f64(gamma), f64(beta), rows, cols, 1e-5);
        const what = `layerNorm ${variant} (${rows}x${cols})`;
        expectClose(await readF32(r.y, rows * cols), ref.y, `${what} y`);
        expectClose(await readF32(r.mean, rows), ref.mean, `${what} mean`);
        expectClose(await readF32(r.rstd, rows), ref.rstd, `${what} rstd`);
        for (const b of [...bufs, r.y, r.mean, r.rstd]) be.rt.release(b);
      }),
      { seed: 42, numRuns: 30 },
    );
  });

  it('backward: dx, dgamma and dbeta match', async () => {
    await fc.assert(
      fc.asyncProperty(shapeArb, async ({ rows, cols, variant, seed }) => {
        const rng = new Rng(seed);
        const x = randn(rng, rows * cols, 2, 1);
        const gamma = randn(rng, cols, 0.5, 1);
        const beta = randn(rng, cols);
        const dy = randn(rng, rows * cols);
        // Statistics from the reference (rounded to f32) so both backwards see the same inputs.
        const fwd = layerNormRef(x, gamma, beta, rows, cols, 1e-5);
        const mean = fwd.mean as Float32Array;
        const rstd = fwd.rstd as Float32Array;
        const bufs = [dy, x, gamma, mean, rstd].map((a) => be.rt.upload(a));
        const r = layerNormGradGpu(be.rt, bufs[0], bufs[1], bufs[2], bufs[3], bufs[4], rows, cols, { variant });
        const ref = layerNormGradRef(f64(dy), f64(x), f64(gamma), f64(mean), f64(rstd), rows, cols);
        const what = `layerNormGrad ${variant} (${rows}x${cols})`;
        expectClose(await readF32(r.dx, rows * cols), ref.dx, `${what} dx`);
        expectClose(await readF32(r.dgamma, cols), ref.dgamma, `${what} dgamma`);
        expectClose(await readF32(r.dbeta, cols), ref.dbeta, `${what} dbeta`);
        for (const b of [...bufs, r.dx, r.dgamma, r.dbeta]) be.rt.release(b);
      }),
      { seed: 42, numRuns: 30 },
    );
  });

  it('backward column sums are deterministic (bit-identical across runs)', async () => {
    const rows = 1000;
    const cols = 37;
    const rng = new Rng(7);
    const x = randn(rng, rows * cols);
    const dy = randn(rng, rows * cols);
    const gamma = randn(rng, cols);
    const fwd = layerNormRef(x, gamma, gamma, rows, cols, 1e-5);
    const bufs = [dy, x, gamma, fwd.mean, fwd.rstd].map((a) => be.rt.upload(a));
    const runs: Float32Array[] = [];
    for (let t = 0; t < 2; t++) {
      const r = layerNormGradGpu(be.rt, bufs[0], bufs[1], bufs[2], bufs[3], bufs[4], rows, cols);
      runs.push(await readF32(r.dgamma, cols));
      for (const b of [r.dx, r.dgamma, r.dbeta]) be.rt.release(b);
    }
    expect(runs[1]).toEqual(runs[0]);
    for (const b of bufs) be.rt.release(b);
  });

  it('the reference rejects short inputs with a message naming the argument', () => {
    expect(() => layerNormRef(new Float32Array(5), new Float32Array(3), new Float32Array(3), 2, 3, 1e-5)).toThrow(/layerNormRef: x has 5 elements/);
    expect(() => layerNormRef(new Float32Array(6), new Float32Array(2), new Float32Array(3), 2, 3, 1e-5)).toThrow(/gamma/);
  });
});
