// Row-sparse gradients (param.sparseGrad, from T.embeddingBag) in AdamW and SparseAdam, on the
// cpu backend: a sparse step equals the dense-gradient step restricted to the touched rows
// exactly (f64 and f32), untouched rows and moments stay bit-identical, weight decay is lazy,
// clipping counts the sparse values, one readback per step, and the update costs O(R · cols).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as T from '../../src/tensor';
import { CpuBackend, RowSparse } from '../../src/tensor';
import { Params } from '../../src/model/params';
import { AdamW } from '../../src/model/optim';
import { SparseAdam } from '../../src/model/sparse-adam';
import { Rng } from '../../src/util/rng';

const V = 9;
const C = 3;

/** Sets p.sparseGrad to the given rows (ascending unique) and (R, C) values. */
function setSparse(p: T.Tensor, rows: number[], values: ArrayLike<number>): void {
  p.sparseGrad?.release();
  const v = T.keep(T.tensor(Float64Array.from(values), [rows.length, C], { backend: p.backend, dtype: p.dtype }));
  p.sparseGrad = new RowSparse(Int32Array.from(rows), v, p.shape[0]);
}

/** Sets p.grad to the dense (V, C) gradient the sparse one stands for (0 elsewhere). */
function setDense(p: T.Tensor, rows: number[], values: ArrayLike<number>, garbage?: Rng): void {
  p.grad?.release();
  const g = new Float64Array(V * C).map(() => (garbage ? garbage.normal() : 0));
  rows.forEach((r, j) => {
    for (let c = 0; c < C; c++) g[r * C + c] = values[j * C + c];
  });
  p.grad = T.keep(T.tensor(g, [V, C], { backend: p.backend, dtype: p.dtype }));
}

function makeParams(be: CpuBackend, dtype: 'f32' | 'f64', seed: number): Params {
  const p = new Params(be, dtype, seed);
  p.define('table', [V, C], { kind: 'normal', std: 1 }, { sparse: true });
  p.define('w', [2, 2], { kind: 'normal', std: 1 });
  return p;
}

const touchedArb = fc.array(fc.uniqueArray(fc.integer({ min: 0, max: V - 1 }), { minLength: 1, maxLength: 5 }).map((a) => a.sort((x, y) => x - y)), { minLength: 3, maxLength: 3 });

describe('AdamW with row-sparse gradients', () => {
  for (const dtype of ['f64', 'f32'] as const) {
    it(`${dtype}: equals the dense-gradient step on the touched rows exactly; other rows and moments untouched`, async () => {
      await fc.assert(fc.asyncProperty(touchedArb, fc.integer({ min: 1, max: 99 }), fc.boolean(), async (steps, seed, clip) => {
        const cpu = new CpuBackend();
        const sp = makeParams(cpu, dtype, seed);
        const de = makeParams(cpu, dtype, seed);
        const cfg = { lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1, clipNorm: clip ? 0.5 : 0 };
        const optS = new AdamW(sp, cfg);
        const optD = new AdamW(de, cfg);
        const rng = new Rng(seed);
        const before = sp.get('table').dataSync().slice();
        const everTouched = new Set<number>();
        for (const rows of steps) {
          rows.forEach((r) => everTouched.add(r));
          const vals = Float64Array.from({ length: rows.length * C }, () => rng.normal());
          const w = Float64Array.from({ length: 4 }, () => rng.normal());
          setSparse(sp.get('table'), rows, vals);
          // The reference: the same gradient dense, zeros elsewhere, restricted to the same rows.
          setDense(de.get('table'), rows, vals);
          for (const p of [sp, de]) {
            p.get('w').grad?.release();
            p.get('w').grad = T.keep(T.tensor(w, [2, 2], { backend: cpu, dtype }));
          }
          const a = await optS.step();
          const b = await optD.step({ rows: { table: rows } });
          expect(a.gradNorm).toBe(b.gradNorm);
          expect(a.gradScale).toBe(b.gradScale);
        }
        const ts = sp.get('table').dataSync();
        expect(ts).toEqual(de.get('table').dataSync());
        expect(sp.get('w').dataSync()).toEqual(de.get('w').dataSync());
        for (let i = 0; i < V * C; i++) if (!everTouched.has(Math.floor(i / C))) expect(ts[i]).toBe(before[i]);
        const [ss, sd] = [await optS.exportState(), await optD.exportState()];
        expect(ss.tensors['m.table'].data).toEqual(sd.tensors['m.table'].data);
        expect(ss.tensors['v.table'].data).toEqual(sd.tensors['v.table'].data);
        for (let i = 0; i < V * C; i++) if (!everTouched.has(Math.floor(i / C))) expect(ss.tensors['m.table'].data[i]).toBe(0);
      }), { seed: 42, numRuns: 15 });
    });
  }

  it('clipping includes the sparse values; the update is one compact row kernel and one readback', async () => {
    const cpu = new CpuBackend();
    const params = makeParams(cpu, 'f64', 1);
    const opt = new AdamW(params, { lr: 1, eps: 0.5, weightDecay: 0, clipNorm: 1 });
    setSparse(params.get('table'), [2, 7], [3, 0, 0, 0, 4, 0]); // Σ = 25
    params.get('w').grad = T.keep(T.tensor(Float64Array.from([0, 12, 0, 0]), [2, 2], { backend: cpu, dtype: 'f64' })); // 144
    const calls: { rows: number; compact: boolean | undefined; gradBytes: number }[] = [];
    const adamRows = cpu.adamRows.bind(cpu);
    cpu.adamRows = (p, g, m, v, rows, cols, h, compact) => {
      calls.push({ rows: rows.length, compact, gradBytes: g.bytes });
      adamRows(p, g, m, v, rows, cols, h, compact);
    };
    let reads = 0;
    const read = cpu.read.bind(cpu);
    cpu.read = (...a) => (reads++, read(...a));
    const info = await opt.step();
    expect(info.gradNorm).toBeCloseTo(13, 12);
    expect(info.gradScale).toBeCloseTo(1 / 13, 6);
    expect(reads).toBe(1);
    // O(R · C): the table's update reads a (2, C) gradient, never a (V, C) one.
    expect(calls).toEqual([{ rows: 2, compact: true, gradBytes: 2 * C * 8 }]);
  });

  it('from a real backward: one readback per step (norm and loss), sparse gradients released by zeroGrad', async () => {
    const be = new CpuBackend();
    const params = makeParams(be, 'f32', 4);
    const opt = new AdamW(params, { clipNorm: 0.5 });
    const rng = new Rng(3);
    let reads = 0;
    const read = be.read.bind(be);
    be.read = (...a) => (reads++, read(...a));
    let live = -1;
    for (let s = 0; s < 4; s++) {
      const ids = Int32Array.from({ length: 6 }, () => rng.int(V));
      const bags = { ids, weights: new Float32Array(6).fill(1), offsets: new Int32Array([0, 2, 6]) };
      const loss = T.scope(() => {
        const x = T.embeddingBag(params.get('table'), bags); // (2, C), the table used twice
        const y = T.embeddingBag(params.get('table'), { ...bags, offsets: new Int32Array([0, 6]) });
        const l = T.add(T.meanAll(T.square(x)), T.meanAll(T.square(y)));
        T.backward(l);
        return l;
      });
      expect(params.get('table').grad).toBeNull();
      expect(Array.from(params.get('table').sparseGrad!.rows)).toEqual([...new Set(ids)].sort((a, b) => a - b));
      const r0 = reads;
      const info = await opt.step({ loss });
      expect(reads - r0).toBe(1);
      expect(info.loss).toBeCloseTo(loss.dataSync()[0], 6);
      loss.release();
      opt.zeroGrad();
      expect(params.get('table').sparseGrad).toBeNull();
      if (s === 1) live = be.memory().liveBytes;
      if (s > 1) expect(be.memory().liveBytes).toBe(live);
    }
  });

  it('dense and sparse gradients on one table: their sum, dense update (or the listed rows and the sparse rows)', async () => {
    const rng = new Rng(8);
    const dense = Float64Array.from({ length: V * C }, () => rng.normal());
    const vals = Float64Array.from({ length: 2 * C }, () => rng.normal());
    const sum = dense.slice();
    [1, 6].forEach((r, j) => {
      for (let c = 0; c < C; c++) sum[r * C + c] += vals[j * C + c];
    });
    for (const rowsOpt of [undefined, [0, 6]]) {
      const cpu = new CpuBackend();
      const [a, b] = [makeParams(cpu, 'f64', 2), makeParams(cpu, 'f64', 2)];
      const [oa, ob] = [new AdamW(a, { clipNorm: 1 }), new AdamW(b, { clipNorm: 1 })];
      a.get('table').grad = T.keep(T.tensor(dense, [V, C], { backend: cpu, dtype: 'f64' }));
      setSparse(a.get('table'), [1, 6], vals);
      b.get('table').grad = T.keep(T.tensor(sum, [V, C], { backend: cpu, dtype: 'f64' }));
      const live = cpu.memory().liveBytes;
      const ia = await oa.step(rowsOpt ? { rows: { table: rowsOpt } } : {});
      const ib = await ob.step(rowsOpt ? { rows: { table: [0, 1, 6] } } : {});
      expect(cpu.memory().liveBytes).toBe(live); // the summed temporary is released
      expect(ia.gradNorm).toBeCloseTo(ib.gradNorm!, 12);
      expect(a.get('table').dataSync()).toEqual(b.get('table').dataSync());
    }
  });
});

describe('SparseAdam with row-sparse gradients', () => {
  it('equals the dense-gradient step on the listed rows, needs no rows entry, and leaves other rows bit-identical', async () => {
    await fc.assert(fc.asyncProperty(touchedArb, fc.integer({ min: 1, max: 99 }), async (steps, seed) => {
      const cpu = new CpuBackend();
      const [sp, de] = [makeParams(cpu, 'f32', seed), makeParams(cpu, 'f32', seed)];
      const coeffs = { lr: 0.05, weightDecay: 0.2 };
      const target = (p: Params) => [{ name: 'table', get: () => p.get('table') }];
      const [os, od] = [new SparseAdam(target(sp), coeffs), new SparseAdam(target(de), coeffs)];
      const rng = new Rng(seed);
      const before = sp.get('table').dataSync().slice();
      const touched = new Set(steps.flat());
      for (const rows of steps) {
        const vals = Float64Array.from({ length: rows.length * C }, () => rng.normal());
        setSparse(sp.get('table'), rows, vals);
        setDense(de.get('table'), rows, vals, rng); // garbage outside the rows: never read
        os.step({}, { gradScale: 0.5 });
        od.step({ table: rows }, { gradScale: 0.5 });
      }
      const a = sp.get('table').dataSync();
      expect(a).toEqual(de.get('table').dataSync());
      for (let i = 0; i < V * C; i++) if (!touched.has(Math.floor(i / C))) expect(a[i]).toBe(before[i]);
    }), { seed: 42, numRuns: 15 });
  });
});
