// Optimizers: AdamW against a scalar hand computation, the learning-rate schedule, global-norm
// clipping, one readback per step, row-sparse Adam against dense Adam, and state round trips.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as T from '../../src/tensor';
import { CpuBackend } from '../../src/tensor';
import { WebGpuBackend } from '../../src/tensor/webgpu/backend';
import { closeGpu } from '../../src/kernels/webgpu/device';
import { Rng } from '../../src/util/rng';
import { Params } from '../../src/model/params';
import { AdamW, scheduledLr } from '../../src/model/optim';
import { SparseAdam } from '../../src/model/sparse-adam';
import { uniqueRows } from '../../src/model/adam-update';

const cpu = new CpuBackend();
let gpu: WebGpuBackend;
beforeAll(async () => {
  gpu = await WebGpuBackend.create();
});
afterAll(async () => {
  await closeGpu();
});

/** Sets p.grad to the given values (as backward would). */
function setGrad(p: T.Tensor, values: ArrayLike<number>): void {
  if (p.grad) p.grad.release();
  p.grad = T.keep(T.tensor(Float64Array.from(values), p.shape, { backend: p.backend, dtype: p.dtype }));
}

/** PyTorch's AdamW on one scalar, in double precision. */
function handAdamW(p0: number, grads: number[], o: { lr: number[]; b1: number; b2: number; eps: number; wd: number; scale?: number[] }): number {
  let p = p0;
  let m = 0;
  let v = 0;
  grads.forEach((g0, i) => {
    const t = i + 1;
    const g = g0 * (o.scale?.[i] ?? 1);
    p -= o.lr[i] * o.wd * p;
    m = o.b1 * m + (1 - o.b1) * g;
    v = o.b2 * v + (1 - o.b2) * g * g;
    p -= (o.lr[i] * (m / (1 - o.b1 ** t))) / (Math.sqrt(v / (1 - o.b2 ** t)) + o.eps);
  });
  return p;
}

describe('AdamW', () => {
  it('matches a scalar hand computation, with decay on weights only', async () => {
    const params = new Params(cpu, 'f64');
    params.define('w', [1], { kind: 'ones' });
    params.define('b', [1], { kind: 'ones' }, { decay: false });
    const cfg = { lr: 0.1, beta1: 0.8, beta2: 0.9, eps: 1e-3, weightDecay: 0.5, clipNorm: 0 };
    const opt = new AdamW(params, cfg);
    const grads = [0.3, -1.2, 0.7];
    for (const g of grads) {
      setGrad(params.get('w'), [g]);
      setGrad(params.get('b'), [g]);
      await opt.step();
    }
    const o = { lr: [0.1, 0.1, 0.1], b1: 0.8, b2: 0.9, eps: 1e-3 };
    expect(params.get('w').dataSync()[0]).toBeCloseTo(handAdamW(1, grads, { ...o, wd: 0.5 }), 12);
    expect(params.get('b').dataSync()[0]).toBeCloseTo(handAdamW(1, grads, { ...o, wd: 0 }), 12);
    expect(opt.stepCount).toBe(3);
  });

  it('schedule: linear warmup, then linear decay to zero', () => {
    const c = { lr: 1, warmupSteps: 4, totalSteps: 10 };
    expect([0, 1, 2, 3, 4, 7, 10, 12].map((s) => scheduledLr(s, c))).toEqual([0.25, 0.5, 0.75, 1, 1, 0.5, 0, 0]);
    expect(scheduledLr(100, { lr: 2, warmupSteps: 0, totalSteps: 0 })).toBe(2);
    fc.assert(fc.property(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 200 }), (w, extra, s) => {
      const lr = scheduledLr(s, { lr: 1, warmupSteps: w, totalSteps: w + extra });
      expect(lr).toBeGreaterThanOrEqual(0);
      expect(lr).toBeLessThanOrEqual(1);
    }), { seed: 42, numRuns: 200 });
  });

  it('uses the scheduled learning rate per step', async () => {
    const params = new Params(cpu, 'f64');
    params.define('w', [1], { kind: 'ones' });
    const opt = new AdamW(params, { lr: 0.2, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1, clipNorm: 0, warmupSteps: 2, totalSteps: 4 });
    const grads = [1, 2, -1, 0.5];
    const lrs: number[] = [];
    for (const g of grads) {
      setGrad(params.get('w'), [g]);
      lrs.push((await opt.step()).lr);
    }
    expect(lrs).toEqual([0.1, 0.2, 0.2, 0.1]);
    expect(params.get('w').dataSync()[0]).toBeCloseTo(handAdamW(1, grads, { lr: lrs, b1: 0.9, b2: 0.99, eps: 1e-8, wd: 0.1 }), 12);
  });

  it('clips the global gradient norm', async () => {
    const params = new Params(cpu, 'f64');
    params.define('a', [2], { kind: 'zeros' });
    params.define('b', [1], { kind: 'zeros' });
    // eps = 0.5 makes the update depend on the gradient's scale, so clipping shows.
    const opt = new AdamW(params, { lr: 1, beta1: 0.9, beta2: 0.999, eps: 0.5, weightDecay: 0, clipNorm: 1 });
    setGrad(params.get('a'), [3, 4]);
    setGrad(params.get('b'), [12]); // global norm 13
    const info = await opt.step();
    expect(info.gradNorm).toBeCloseTo(13, 12);
    expect(info.gradScale).toBeCloseTo(1 / 13, 6);
    const o = { lr: [1], b1: 0.9, b2: 0.999, eps: 0.5, wd: 0, scale: [info.gradScale] };
    expect(params.get('a').dataSync()[1]).toBeCloseTo(handAdamW(0, [4], o), 12);
    expect(params.get('b').dataSync()[0]).toBeCloseTo(handAdamW(0, [12], o), 12);
    // Below the threshold nothing is scaled.
    setGrad(params.get('a'), [0.3, 0.4]);
    setGrad(params.get('b'), [0]);
    const info2 = await opt.step();
    expect(info2.gradNorm).toBeCloseTo(0.5, 12);
    expect(info2.gradScale).toBe(1);
    // A non-finite norm stops the run with a clear error instead of corrupting the weights.
    setGrad(params.get('b'), [NaN]);
    await expect(opt.step()).rejects.toThrow(/gradient norm is NaN/);
  });

  it('reads back once per step (norm and loss together)', async () => {
    const be = new CpuBackend();
    let reads = 0;
    const read = be.read.bind(be);
    be.read = (...args) => {
      reads++;
      return read(...args);
    };
    const params = new Params(be, 'f32', 1);
    params.define('w', [4, 3], { kind: 'normal', std: 1 });
    params.define('b', [4], { kind: 'zeros' }, { decay: false });
    const opt = new AdamW(params, { clipNorm: 0.5 });
    const x = T.keep(T.tensor(Float32Array.from({ length: 12 }, (_, i) => i / 10), [4, 3], { backend: be }));
    for (let s = 0; s < 3; s++) {
      const loss = T.scope(() => {
        const l = T.meanAll(T.square(T.linear(x, params.get('w'), params.get('b'))));
        T.backward(l);
        return l;
      });
      const before = reads;
      const info = await opt.step({ loss });
      expect(reads - before).toBe(1);
      expect(info.loss).toBeCloseTo(loss.dataSync()[0], 6);
      expect(info.gradNorm).toBeGreaterThan(0);
      loss.release();
      opt.zeroGrad();
    }
    // Without clipping and without a loss, a step reads nothing.
    opt.config.clipNorm = 0;
    setGrad(params.get('w'), new Float32Array(12).fill(1));
    const before = reads;
    await opt.step();
    expect(reads).toBe(before);
  });

  it('export -> import continues identically', async () => {
    const make = () => {
      const p = new Params(cpu, 'f32', 5);
      p.define('w', [4, 2], { kind: 'normal', std: 1 });
      return p;
    };
    const a = make();
    const b = make();
    const optA = new AdamW(a, { lr: 0.05 });
    const rng = new Rng(3);
    const grads = Array.from({ length: 4 }, () => Float32Array.from({ length: 8 }, () => rng.normal()));
    for (const g of grads.slice(0, 2)) {
      setGrad(a.get('w'), g);
      await optA.step();
    }
    b.load(await a.toHost());
    const optB = new AdamW(b, { lr: 0.05 });
    optB.importState(await optA.exportState());
    for (const g of grads.slice(2)) {
      setGrad(a.get('w'), g);
      setGrad(b.get('w'), g);
      await optA.step();
      await optB.step();
    }
    expect(b.get('w').dataSync()).toEqual(a.get('w').dataSync());
    expect(() => optB.importState({ step: 1, tensors: {} })).toThrow(/moment "m.w" is missing/);
  });

  it('webgpu matches cpu over a few steps (dense and row-sparse)', async () => {
    const results: Float32Array[] = [];
    for (const backend of [cpu, gpu]) {
      const params = new Params(backend, 'f32', 8);
      params.define('w', [5, 3], { kind: 'normal', std: 1 });
      params.define('table', [6, 3], { kind: 'normal', std: 1 }, { sparse: true });
      const opt = new AdamW(params, { lr: 0.1, weightDecay: 0.1, clipNorm: 1 });
      const rng = new Rng(2);
      for (let s = 0; s < 3; s++) {
        setGrad(params.get('w'), Float32Array.from({ length: 15 }, () => rng.normal()));
        const g = new Float32Array(18);
        for (const r of [1, 4]) for (let c = 0; c < 3; c++) g[r * 3 + c] = rng.normal();
        setGrad(params.get('table'), g);
        await opt.step({ rows: { table: [4, 1, 4] } });
      }
      results.push(Float32Array.from([...(await params.get('w').data()), ...(await params.get('table').data())]));
    }
    results[1].forEach((v, i) => expect(v).toBeCloseTo(results[0][i], 5));
  });
});

describe('row-sparse Adam', () => {
  it('uniqueRows sorts, deduplicates and range-checks', () => {
    expect([...uniqueRows([5, 1, 5, 0, 1], 6)]).toEqual([0, 1, 5]);
    expect(() => uniqueRows([6], 6)).toThrow(/ids\[0\] = 6 is out of range/);
  });

  it('touches only the given rows and matches dense Adam on them', async () => {
    await fc.assert(fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 99 }), async (touched, seed) => {
      const rng = new Rng(seed);
      const make = () => {
        const p = new Params(cpu, 'f64', seed);
        p.define('table', [8, 3], { kind: 'normal', std: 1 }, { sparse: true });
        return p;
      };
      const sp = make();
      const dense = make();
      const coeffs = { lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0 };
      const sparse = new SparseAdam([{ name: 'table', get: () => sp.get('table') }], coeffs);
      const adam = new AdamW(dense, { ...coeffs, clipNorm: 0 });
      const before = sp.get('table').dataSync().slice();
      for (let s = 0; s < 3; s++) {
        // Gradient: random on the touched rows, and garbage elsewhere that must never be read.
        const g = Float64Array.from({ length: 24 }, () => rng.normal());
        const gDense = g.map((v, i) => (touched.includes(Math.floor(i / 3)) ? v : 0));
        setGrad(sp.get('table'), g);
        setGrad(dense.get('table'), gDense);
        sparse.step({ table: touched });
        await adam.step();
      }
      const a = sp.get('table').dataSync();
      const b = dense.get('table').dataSync();
      for (let i = 0; i < 24; i++) {
        if (touched.includes(Math.floor(i / 3))) expect(a[i]).toBeCloseTo(b[i], 12);
        else expect(a[i]).toBe(before[i]);
      }
      const st = await sparse.exportState();
      for (let i = 0; i < 24; i++) if (!touched.includes(Math.floor(i / 3))) expect(st.tensors['m.table'].data[i]).toBe(0);
    }), { seed: 42, numRuns: 20 });
  });
});
