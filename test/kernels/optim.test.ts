// Parity: adamwGpu and adamRowsGpu against the float64 reference over a few steps.
// Tolerance: relative error ||out - ref|| / ||ref|| < 1e-5 for param, m and v (elementwise);
// rows that adamRows does not list must stay bit-identical.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { WebGpuBackend } from '../../src/tensor/webgpu/backend';
import { poisonedGpu, randn } from '../helpers/gpu';
import { adamRowsGpu, adamRowsRef, adamwGpu, adamwRef } from '../../src/kernels/optim';
import type { AdamHyper } from '../../src/kernels/op-types';
import { Rng } from '../../src/util/rng';
import { relErr } from '../helpers/relerr';

let be: WebGpuBackend;
poisonedGpu((b) => (be = b));

const TOL = 1e-5;

function hyperAt(base: Omit<AdamHyper, 'bc1' | 'bc2'>, t: number): AdamHyper {
  return { ...base, bc1: 1 - base.beta1 ** t, bc2: 1 - base.beta2 ** t };
}

const hyperArb = fc.record({
  lr: fc.constantFrom(1e-3, 1e-2, 0.1),
  beta1: fc.constantFrom(0.9, 0.8),
  beta2: fc.constantFrom(0.999, 0.99),
  eps: fc.constantFrom(1e-8, 1e-6),
  weightDecay: fc.constantFrom(0, 0.01, 0.1),
  gradScale: fc.constantFrom(1, 0.5),
});

interface State { param: Float32Array; grad: Float32Array; m: Float32Array; v: Float32Array }

function initState(rng: Rng, n: number): State {
  return { param: randn(rng, n), grad: randn(rng, n), m: randn(rng, n, 0.1), v: randn(rng, n, 0.1).map(Math.abs) };
}

async function gpuRun(s: State, step: (bufs: GPUBuffer[], t: number) => void, steps: number): Promise<Float32Array[]> {
  const bufs = [s.param, s.grad, s.m, s.v].map((a) => be.rt.upload(a));
  for (let t = 1; t <= steps; t++) step(bufs, t);
  const n = s.param.length;
  const out: Float32Array[] = [];
  for (const i of [0, 2, 3]) out.push(new Float32Array(await be.rt.read(bufs[i], n * 4)));
  for (const b of bufs) be.rt.release(b);
  return out;
}

describe('optimizer kernels (webgpu vs reference)', () => {
  it('adamw: param, m, v match after 3 steps', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constantFrom(1, 2, 63, 64, 65, 4099), fc.integer({ min: 1, max: 5000 })), hyperArb,
        fc.integer({ min: 0, max: 1 << 30 }), async (n, base, seed) => {
          const s = initState(new Rng(seed), n);
          const ref = { param: Float64Array.from(s.param), m: Float64Array.from(s.m), v: Float64Array.from(s.v) };
          const grad64 = Float64Array.from(s.grad);
          for (let t = 1; t <= 3; t++) adamwRef(ref.param, grad64, ref.m, ref.v, hyperAt(base, t));
          const [p, m, v] = await gpuRun(s, (b, t) => adamwGpu(be.rt, b[0], b[1], b[2], b[3], n, hyperAt(base, t)), 3);
          expect(relErr(p, ref.param)).toBeLessThan(TOL);
          expect(relErr(m, ref.m)).toBeLessThan(TOL);
          expect(relErr(v, ref.v)).toBeLessThan(TOL);
        }),
      { seed: 42, numRuns: 25 },
    );
  });

  it('adamRows: listed rows match, other rows untouched', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constantFrom(1, 2, 7, 300), fc.integer({ min: 1, max: 400 })),
        fc.oneof(fc.constantFrom(1, 3, 64, 65), fc.integer({ min: 1, max: 100 })), hyperArb,
        fc.integer({ min: 0, max: 1 << 30 }), async (numRows, cols, base, seed) => {
          const rng = new Rng(seed);
          const s = initState(rng, numRows * cols);
          const rows = rng.permutation(numRows).subarray(0, 1 + rng.int(numRows)).slice();
          const ref = { param: Float64Array.from(s.param), m: Float64Array.from(s.m), v: Float64Array.from(s.v) };
          const grad64 = Float64Array.from(s.grad);
          for (let t = 1; t <= 2; t++) adamRowsRef(ref.param, grad64, ref.m, ref.v, rows, cols, hyperAt(base, t));
          const [p, m, v] = await gpuRun(s, (b, t) => adamRowsGpu(be.rt, b[0], b[1], b[2], b[3], rows, cols, hyperAt(base, t)), 2);
          expect(relErr(p, ref.param)).toBeLessThan(TOL);
          expect(relErr(m, ref.m)).toBeLessThan(TOL);
          expect(relErr(v, ref.v)).toBeLessThan(TOL);
          const listed = new Set(rows);
          let changedUnlisted = 0;
          for (let r = 0; r < numRows; r++) {
            if (listed.has(r)) continue;
            for (let c = 0; c < cols; c++) {
              const i = r * cols + c;
              if (p[i] !== s.param[i] || m[i] !== s.m[i] || v[i] !== s.v[i]) changedUnlisted++;
            }
          }
          expect(changedUnlisted).toBe(0);
        }),
      { seed: 42, numRuns: 25 },
    );
  });

  it('the reference follows the update formula and rejects bad rows', () => {
    const h: AdamHyper = { lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.5, bc1: 0.1, bc2: 0.01, gradScale: 2 };
    const p = new Float64Array([1]);
    const m = new Float64Array([0]);
    const v = new Float64Array([0]);
    adamwRef(p, new Float64Array([0.5]), m, v, h);
    // g = 1, m = 0.1, v = 0.01, update = (0.1/0.1) / (sqrt(0.01/0.01) + 1e-8) ≈ 1
    expect(m[0]).toBeCloseTo(0.1, 12);
    expect(v[0]).toBeCloseTo(0.01, 12);
    expect(p[0]).toBeCloseTo(1 - 0.1 * (0.5 + 1 / (1 + 1e-8)), 12);
    expect(() => adamRowsRef(p, p, m, v, new Int32Array([1]), 1, h)).toThrow(/adamRowsRef: rows\[0\] = 1 is out of range \[0, 1\)/);
    const b = be.rt.upload(new Float32Array(4));
    expect(() => adamRowsGpu(be.rt, b, b, b, b, new Int32Array([2]), 2, h)).toThrow(/adamRowsGpu: rows\[0\] = 2/);
    be.rt.release(b);
  });
});
