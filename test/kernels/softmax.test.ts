// Parity: softmaxGpu / softmaxGradGpu (both variants) against the float64 reference.
// Tolerance: relative error ||out - ref|| / ||ref|| < 1e-4 over finite entries (a row reduction
// in f32); non-finite entries (-Infinity from masking, NaN from fully masked rows) must match.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { WebGpuBackend } from '../../src/tensor/webgpu/backend';
import { poisonedGpu } from '../helpers/gpu';
import { softmaxGpu, softmaxGradGpu, softmaxRef, softmaxGradRef, type RowVariant } from '../../src/kernels/softmax';
import { Rng } from '../../src/util/rng';

let be: WebGpuBackend;
poisonedGpu((b) => (be = b));

const TOL = 1e-4;

/** Non-finite entries must agree exactly; finite ones within TOL relative norm error. */
function expectClose(out: Float32Array, ref: ArrayLike<number>, what: string): void {
  expect(out.length).toBe(ref.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(ref[i])) {
      expect(Object.is(out[i], ref[i]) || (Number.isNaN(out[i]) && Number.isNaN(ref[i])), `${what}: element ${i}: ${out[i]} vs ${ref[i]}`).toBe(true);
      continue;
    }
    num += (out[i] - ref[i]) ** 2;
    den += ref[i] ** 2;
  }
  const rel = Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
  expect(rel, `${what}: relative error ${rel}`).toBeLessThan(TOL);
}

/** Random logits; with `mask`, about 1 in 5 entries is -Infinity but never a whole row. */
function logits(rng: Rng, rows: number, cols: number, mask: boolean): Float32Array {
  const x = new Float32Array(rows * cols);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal() * 3;
  if (mask) {
    for (let i = 0; i < x.length; i++) if (rng.next() < 0.2) x[i] = -Infinity;
    for (let r = 0; r < rows; r++) x[r * cols + rng.int(cols)] = rng.normal();
  }
  return x;
}

async function readF32(buf: GPUBuffer, n: number): Promise<Float32Array> {
  return new Float32Array(await be.rt.read(buf, n * 4));
}

const shapeArb = fc.record({
  rows: fc.oneof(fc.constantFrom(1, 2, 3, 16, 63, 64, 65, 97), fc.integer({ min: 1, max: 300 })),
  cols: fc.oneof(fc.constantFrom(1, 2, 7, 32, 33, 255, 257, 1031), fc.integer({ min: 1, max: 600 })),
  variant: fc.constantFrom<RowVariant>('row', 'wg'),
  log: fc.boolean(),
  mask: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1 << 30 }),
});

describe('softmax kernels (webgpu vs reference)', () => {
  it('forward matches on random shapes, both variants, with and without -Infinity masks', async () => {
    await fc.assert(
      fc.asyncProperty(shapeArb, async ({ rows, cols, variant, log, mask, seed }) => {
        const x = logits(new Rng(seed), rows, cols, mask);
        const xb = be.rt.upload(x);
        const yb = softmaxGpu(be.rt, xb, rows, cols, log, { variant });
        const out = await readF32(yb, rows * cols);
        be.rt.release(xb);
        be.rt.release(yb);
        expectClose(out, softmaxRef(Float64Array.from(x), rows, cols, log), `softmax ${variant} log=${log} (${rows}x${cols})`);
      }),
      { seed: 42, numRuns: 40 },
    );
  });

  it('backward matches on random shapes, both variants', async () => {
    await fc.assert(
      fc.asyncProperty(shapeArb, async ({ rows, cols, variant, log, mask, seed }) => {
        const rng = new Rng(seed);
        const y = Float32Array.from(softmaxRef(Float64Array.from(logits(rng, rows, cols, mask)), rows, cols, log));
        const dy = logits(rng, rows, cols, false);
        const yb = be.rt.upload(y);
        const dyb = be.rt.upload(dy);
        const dxb = softmaxGradGpu(be.rt, yb, dyb, rows, cols, log, { variant });
        const out = await readF32(dxb, rows * cols);
        for (const b of [yb, dyb, dxb]) be.rt.release(b);
        expectClose(out, softmaxGradRef(Float64Array.from(y), Float64Array.from(dy), rows, cols, log), `softmaxGrad ${variant} log=${log}`);
      }),
      { seed: 42, numRuns: 40 },
    );
  });

  it('a fully masked row gives NaN on both backends; others are unaffected', async () => {
    const rows = 3;
    const cols = 5;
    const x = new Float32Array([1, 2, 3, 4, 5, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity, 0, -Infinity, 1, -Infinity, 2]);
    for (const variant of ['row', 'wg'] as const) {
      for (const log of [false, true]) {
        const ref = softmaxRef(Float64Array.from(x), rows, cols, log);
        for (let c = 0; c < cols; c++) expect(Number.isNaN(ref[cols + c])).toBe(true);
        expect(ref[11]).toBe(log ? -Infinity : 0);
        const xb = be.rt.upload(x);
        const yb = softmaxGpu(be.rt, xb, rows, cols, log, { variant });
        expectClose(await readF32(yb, rows * cols), ref, `masked ${variant} log=${log}`);
        be.rt.release(xb);
        be.rt.release(yb);
      }
    }
  });

  it('the reference handles f32 and f64 and sums rows to 1', () => {
    const x = new Float32Array([1000, 1001, 1002, -5, 0, 5]);
    const y32 = softmaxRef(x, 2, 3, false);
    const y64 = softmaxRef(Float64Array.from(x), 2, 3, false);
    expect(y32).toBeInstanceOf(Float32Array);
    expect(y64).toBeInstanceOf(Float64Array);
    for (let r = 0; r < 2; r++) expect(y64[r * 3] + y64[r * 3 + 1] + y64[r * 3 + 2]).toBeCloseTo(1, 12);
    expect(() => softmaxRef(x, 3, 3, false)).toThrow(/softmaxRef: x has 6 elements/);
  });
});
