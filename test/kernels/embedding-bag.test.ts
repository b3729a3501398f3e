// Parity: embeddingBagGpu against embeddingBagRef (outputs poisoned with NaN first), the compact
// row-sparse Adam kernel against its reference, and T.embeddingBag / sparse AdamW end to end on
// webgpu against the cpu backend. The bag sums add in the same order on both sides: relative
// error < 1e-6 (in practice exact), and rows of empty bags are exactly zero.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as T from '../../src/tensor';
import type { WebGpuBackend } from '../../src/tensor/webgpu/backend';
import type { AdamHyper } from '../../src/kernels/op-types';
import { poisonedGpu, randn } from '../helpers/gpu';
import { relErr } from '../helpers/relerr';
import { BAG_CHUNK, bagChunks, embeddingBagGpu, embeddingBagRef } from '../../src/kernels/embedding-bag';
import { adamRowsGpu, adamRowsRef } from '../../src/kernels/optim';
import { Params } from '../../src/model/params';
import { AdamW } from '../../src/model/optim';
import { Rng } from '../../src/util/rng';

let be: WebGpuBackend;
poisonedGpu((b) => (be = b));

const dimArb = (consts: number[], max: number) => fc.oneof(fc.constantFrom(...consts), fc.integer({ min: 1, max }));

/** B random bags over V rows: lengths 0, 1 or up to 12, few distinct ids (repeats), ids 0 and V − 1 present. */
function randomBags(rng: Rng, B: number, V: number) {
  const lens = Array.from({ length: B }, () => [0, 1, 1 + rng.int(12)][rng.int(3)]);
  const offsets = new Int32Array(B + 1);
  for (let b = 0; b < B; b++) offsets[b + 1] = offsets[b] + lens[b];
  const nnz = offsets[B];
  const distinct = 1 + rng.int(Math.min(V, 6));
  const ids = Int32Array.from({ length: nnz }, () => (rng.int(2) === 0 ? rng.int(distinct) : rng.int(V)));
  if (nnz > 0) ids[0] = 0;
  if (nnz > 1) ids[nnz - 1] = V - 1;
  const weights = Float32Array.from({ length: nnz }, () => (rng.int(4) === 0 ? 1 : rng.normal()));
  return { ids, weights, offsets, lens };
}

async function gpuBag(table: Float32Array, ids: Int32Array, w: Float32Array, offsets: Int32Array, B: number, V: number, C: number, chunk = BAG_CHUNK) {
  const tb = be.rt.upload(table.length > 0 ? table : new Float32Array(1));
  const ob = embeddingBagGpu(be.rt, tb, ids, w, offsets, B, V, C, chunk);
  const out = new Float32Array(await be.rt.read(ob, B * C * 4));
  be.rt.release(tb);
  be.rt.release(ob);
  return out;
}

describe('embeddingBag kernel (webgpu vs reference)', () => {
  it('matches the reference: empty and one-token bags, repeated ids, ids 0 and V − 1, odd C, chunked bags', async () => {
    await fc.assert(
      fc.asyncProperty(
        dimArb([1, 2, 3, 7, 64, 257], 300), dimArb([1, 2, 3, 4, 5, 31, 64, 65, 129], 200), dimArb([1, 2, 3, 13, 97], 500),
        fc.constantFrom(BAG_CHUNK, BAG_CHUNK, 2, 3), fc.integer({ min: 0, max: 1 << 30 }),
        async (B, C, V, chunk, seed) => {
          const rng = new Rng(seed);
          const { ids, weights, offsets, lens } = randomBags(rng, B, V);
          const table = randn(rng, V * C);
          const ref = embeddingBagRef(table, ids, weights, offsets, B, V, C, chunk);
          const out = await gpuBag(table, ids, weights, offsets, B, V, C, chunk);
          expect(relErr(out, ref, { floor: 1e-6 })).toBeLessThan(1e-6);
          for (let b = 0; b < B; b++) {
            if (lens[b] === 0) for (let c = 0; c < C; c++) expect(out[b * C + c]).toBe(0);
          }
        },
      ),
      { seed: 42, numRuns: 40 },
    );
  });

  it('a bag longer than the loop limit: summed in chunks, exactly', async () => {
    // llvmpipe stops a loop after 65,535 iterations per invocation; 70,001 ones must sum to 70,001.
    const n = 70001;
    const C = 5;
    const V = 3;
    const table = new Float32Array(V * C).fill(1);
    const ids = Int32Array.from({ length: n }, (_, t) => t % V);
    const offsets = new Int32Array([0, 0, n, n]); // empty, long, empty
    const w = new Float32Array(n).fill(1);
    expect(bagChunks(offsets, 3)!.perBag).toEqual(new Int32Array([0, 0, Math.ceil(n / BAG_CHUNK), Math.ceil(n / BAG_CHUNK)]));
    const out = await gpuBag(table, ids, w, offsets, 3, V, C);
    expect(Array.from(out)).toEqual([...new Array(C).fill(0), ...new Array(C).fill(n), ...new Array(C).fill(0)]);
    expect(out).toEqual(embeddingBagRef(table, ids, w, offsets, 3, V, C));
  });

  it('B = 1, C = 1, and B = 0', async () => {
    const out = await gpuBag(new Float32Array([2, 3]), new Int32Array([1, 0, 1]), new Float32Array([0.5, 2, -1]), new Int32Array([0, 3]), 1, 2, 1);
    expect(Array.from(out)).toEqual([0.5 * 3 + 2 * 2 - 3]);
    const tb = be.rt.upload(new Float32Array(4));
    const ob = embeddingBagGpu(be.rt, tb, new Int32Array(0), new Float32Array(0), new Int32Array([0]), 0, 2, 2);
    be.rt.release(tb);
    be.rt.release(ob);
  });

  it('rejects malformed bags before recording any dispatch', () => {
    const tb = be.rt.upload(new Float32Array(4));
    const before = be.rt.counters.dispatches;
    expect(() => embeddingBagGpu(be.rt, tb, new Int32Array([0, 2]), new Float32Array(2), new Int32Array([0, 2]), 1, 2, 2))
      .toThrow(/embeddingBagGpu: ids\[1\] = 2 is out of range \[0, 2\)/);
    expect(() => embeddingBagGpu(be.rt, tb, new Int32Array([0]), new Float32Array(1), new Int32Array([0, 2]), 1, 2, 2))
      .toThrow(/embeddingBagGpu: offsets\[1\] = 2 must equal the number of ids \(1\)/);
    expect(be.rt.counters.dispatches).toBe(before);
    be.rt.release(tb);
  });
});

describe('compact row-sparse Adam kernel (webgpu vs reference)', () => {
  const hyperArb = fc.record({
    lr: fc.constantFrom(1e-3, 0.1), beta1: fc.constantFrom(0.9, 0.8), beta2: fc.constantFrom(0.999, 0.99),
    eps: fc.constantFrom(1e-8, 1e-6), weightDecay: fc.constantFrom(0, 0.1), gradScale: fc.constantFrom(1, 0.5),
  });
  it('listed rows match, other rows bit-identical, and compact equals the dense-gradient variant', async () => {
    await fc.assert(
      fc.asyncProperty(dimArb([1, 2, 7, 300], 400), dimArb([1, 3, 5, 64, 65], 100), hyperArb, fc.integer({ min: 0, max: 1 << 30 }),
        async (numRows, cols, base, seed) => {
          const rng = new Rng(seed);
          const n = numRows * cols;
          const param = randn(rng, n);
          const m = randn(rng, n, 0.1);
          const v = randn(rng, n, 0.1).map(Math.abs);
          const rows = Int32Array.from(rng.permutation(numRows).subarray(0, 1 + rng.int(numRows))).sort();
          const R = rows.length;
          const compactGrad = randn(rng, R * cols);
          const denseGrad = randn(rng, n); // garbage outside the listed rows: must never be read
          rows.forEach((r, j) => denseGrad.set(compactGrad.subarray(j * cols, (j + 1) * cols), r * cols));
          const h = (t: number): AdamHyper => ({ ...base, bc1: 1 - base.beta1 ** t, bc2: 1 - base.beta2 ** t });
          const ref = [param, m, v].map((a) => Float64Array.from(a));
          for (let t = 1; t <= 2; t++) adamRowsRef(ref[0], Float64Array.from(compactGrad), ref[1], ref[2], rows, cols, h(t), true);
          const run = async (grad: Float32Array, compact: boolean) => {
            const bufs = [param, grad, m, v].map((a) => be.rt.upload(a));
            for (let t = 1; t <= 2; t++) adamRowsGpu(be.rt, bufs[0], bufs[1], bufs[2], bufs[3], rows, cols, h(t), compact);
            const out = [];
            for (const i of [0, 2, 3]) out.push(new Float32Array(await be.rt.read(bufs[i], n * 4)));
            for (const b of bufs) be.rt.release(b);
            return out;
          };
          const [p, mm, vv] = await run(compactGrad, true);
          expect(relErr(p, ref[0])).toBeLessThan(1e-5);
          expect(relErr(mm, ref[1])).toBeLessThan(1e-5);
          expect(relErr(vv, ref[2])).toBeLessThan(1e-5);
          const listed = new Set(rows);
          let changed = 0;
          for (let i = 0; i < n; i++) {
            if (!listed.has(Math.floor(i / cols)) && (p[i] !== param[i] || mm[i] !== m[i] || vv[i] !== v[i])) changed++;
          }
          expect(changed).toBe(0);
          const dense = await run(denseGrad, false);
          expect(dense[0]).toEqual(p);
          expect(dense[1]).toEqual(mm);
          expect(dense[2]).toEqual(vv);
        }),
      { seed: 42, numRuns: 20 },
    );
  });

  it('rejects a compact gradient of the wrong size', () => {
    const h: AdamHyper = { lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0, bc1: 0.1, bc2: 0.01, gradScale: 1 };
    const b = be.rt.upload(new Float32Array(8));
    const small = be.rt.upload(new Float32Array(2));
    expect(() => adamRowsGpu(be.rt, b, small, b, b, new Int32Array([0, 1]), 2, h, true)).toThrow(/adamRowsGpu: compact grad holds 8 bytes/);
    expect(() => adamRowsRef(new Float32Array(4), new Float32Array(2), new Float32Array(4), new Float32Array(4), new Int32Array([0, 1]), 2, h, true))
      .toThrow(/adamRowsRef: compact grad has 2 elements, need rows · cols = 2 · 2/);
    be.rt.release(b);
    be.rt.release(small);
  });
});

describe('T.embeddingBag and sparse AdamW on webgpu (vs cpu)', () => {
  it('forward, row-sparse gradient of a table used twice, and two AdamW steps agree', async () => {
    const cpu = new T.CpuBackend();
    const rng = new Rng(11);
    const V = 37;
    const C = 7;
    const bagsA = randomBags(rng, 9, V);
    const bagsB = randomBags(rng, 5, V);
    const init = randn(rng, V * C);
    const results = [];
    for (const backend of [cpu, be]) {
      const params = new Params(backend, 'f32', 3);
      params.define('table', [V, C], { kind: 'zeros' }, { sparse: true });
      params.load({ table: { shape: [V, C], data: init } });
      const opt = new AdamW(params, { lr: 0.05, weightDecay: 0.1, clipNorm: 0.5 });
      let fwd: Float32Array | null = null;
      let grad: { rows: Int32Array; values: Float32Array } | null = null;
      for (let s = 0; s < 2; s++) {
        const loss = T.scope(() => {
          const a = T.embeddingBag(params.get('table'), bagsA);
          const b = T.embeddingBag(params.get('table'), bagsB);
          const l = T.add(T.sumAll(T.square(a)), T.sumAll(T.mul(b, b)));
          T.backward(l);
          return T.concat([T.reshape(a, [-1]), T.reshape(l, [1])], 0);
        });
        if (s === 0) {
          fwd = (await loss.data()) as Float32Array;
          const sg = params.get('table').sparseGrad!;
          grad = { rows: sg.rows.slice(), values: (await sg.values.data()) as Float32Array };
        }
        loss.release();
        await opt.step();
        opt.zeroGrad();
      }
      results.push({ fwd: fwd!, grad: grad!, table: (await params.get('table').data()) as Float32Array });
      opt.dispose();
    }
    const [c, g] = results;
    expect(relErr(g.fwd, c.fwd)).toBeLessThan(1e-6);
    expect(g.grad.rows).toEqual(c.grad.rows);
    expect(relErr(g.grad.values, c.grad.values)).toBeLessThan(1e-6);
    expect(relErr(g.table, c.table)).toBeLessThan(1e-5);
  });
});
