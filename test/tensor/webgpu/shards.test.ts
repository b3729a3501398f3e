// Row-sharded tables (src/tensor/webgpu/shards.ts): a backend forced to a small binding limit
// keeps larger 2-D tables as row shards; the ops that take shards give the same results bit for
// bit as the same ops on the whole table (and match the plain-TS references), the others refuse.
// Then M1 steps of the bag encoder, M2 epochs and inference with a 1 MiB limit against none.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as T from '../../../src/tensor';
import { WebGpuBackend } from '../../../src/tensor/webgpu/backend';
import { ShardedBuffer, shardPlan } from '../../../src/tensor/webgpu/shards';
import { embeddingBagRef } from '../../../src/kernels/embedding-bag';
import { adamRowsRef } from '../../../src/kernels/optim';
import type { AdamHyper } from '../../../src/kernels/op-types';
import { BagEncoder } from '../../../src/model/bag-encoder';
import { AdamW } from '../../../src/model/optim';
import { M2Trainer } from '../../../src/ngame/train-m2';
import { retrieve } from '../../../src/ngame/inference';
import { csrFromRows } from '../../../src/ngame/data';
import { Rng } from '../../../src/util/rng';
import { poisonedGpu, randn } from '../../helpers/gpu';

let whole: WebGpuBackend;
/** 4 KiB bindings: small random tables get several shards. */
let tiny: WebGpuBackend;
/** 1 MiB bindings (the forced limit) for the training and inference checks. */
let mib: WebGpuBackend;
poisonedGpu((be) => {
  whole = be;
  tiny = new WebGpuBackend(be.rt, { maxBindingBytes: 4096 });
  mib = new WebGpuBackend(be.rt, { maxBindingBytes: 1 << 20 });
});

const hyper: AdamHyper = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, bc1: 0.19, bc2: 0.002, gradScale: 0.5 };

function relClose(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(b[i])));
}

describe('shardPlan', () => {
  it('shards only 2-D tables over the limit, in whole rows that fit it', () => {
    expect(shardPlan(1024, 16, 4096)).toBeNull(); // exactly the limit: one binding
    expect(shardPlan(1025 * 16, 16, 4096)).toEqual({ numRows: 1025, rowsPer: 64, count: 17 });
    expect(shardPlan(5000, undefined, 4096)).toBeNull(); // no row length: not a table
    expect(shardPlan(2 * 2000, 2000, 4096)).toBeNull(); // one row over the limit cannot be split
  });
});

describe('sharded tables on webgpu', () => {
  it('embeddingBag over shards equals the whole table bit for bit, and the reference', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 331 }), fc.constantFrom(1, 3, 13, 17), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 1e6 }),
        async (numRows, cols, B, seed) => {
          const rng = new Rng(seed);
          const table = randn(rng, numRows * cols);
          const offsets = new Int32Array(B + 1);
          for (let b = 0; b < B; b++) offsets[b + 1] = offsets[b] + rng.int(12);
          const ids = Int32Array.from({ length: offsets[B] }, () => rng.int(numRows));
          const weights = randn(rng, ids.length);
          const run = async (be: WebGpuBackend) => {
            const t = T.tensor(table, [numRows, cols], { backend: be });
            const out = T.embeddingBag(t, { ids, weights, offsets });
            const sharded = t.buf instanceof ShardedBuffer ? t.buf.shards.length : 0;
            const data = (await out.data()) as Float32Array;
            out.release();
            t.release();
            return { data, sharded };
          };
          const a = await run(whole);
          const b = await run(tiny);
          expect(a.sharded).toBe(0);
          expect(b.sharded).toBe(numRows * cols * 4 > 4096 ? Math.ceil(numRows / Math.floor(4096 / (cols * 4))) : 0);
          expect(b.data).toEqual(a.data);
          relClose(a.data, embeddingBagRef(table, ids, weights, offsets, B, numRows, cols) as Float32Array, 1e-4);
        },
      ),
      { seed: 27, numRuns: 40 },
    );
  });

  it('adamRows over shards (compact and dense gradients) equals the whole table bit for bit, and the reference', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 307 }), fc.constantFrom(1, 5, 16, 19), fc.boolean(), fc.integer({ min: 0, max: 1e6 }), async (numRows, cols, compact, seed) => {
        const rng = new Rng(seed);
        const init = [randn(rng, numRows * cols), randn(rng, numRows * cols, 0.1), Float32Array.from(randn(rng, numRows * cols), (x) => x * x)];
        const rows = rng.permutation(numRows).subarray(0, 1 + rng.int(numRows));
        const grad = randn(rng, (compact ? rows.length : numRows) * cols);
        const run = async (be: WebGpuBackend) => {
          const [p, m, v] = init.map((a) => T.tensor(a, [numRows, cols], { backend: be }));
          // a compact gradient is a kernel's output, one buffer (1-D here: never sharded)
          const g = T.tensor(grad, compact ? [rows.length * cols] : [numRows, cols], { backend: be });
          be.adamRows(p.buf, g.buf, m.buf, v.buf, rows, cols, hyper, compact);
          const out = await Promise.all([p, m, v].map(async (t) => (await t.data()) as Float32Array));
          for (const t of [p, m, v, g]) t.release();
          return out;
        };
        const a = await run(whole);
        const b = await run(tiny);
        expect(b).toEqual(a);
        const ref = init.map((x) => x.slice());
        adamRowsRef(ref[0], grad, ref[1], ref[2], rows, cols, hyper, compact);
        for (let i = 0; i < 3; i++) relClose(a[i], ref[i], 1e-4);
      }),
      { seed: 28, numRuns: 30 },
    );
  });

  it('gather (T.embedding) over shards and its gradient, scatterAdd into shards: the same values as the whole table', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 301 }), fc.constantFrom(1, 4, 13), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 1e6 }), async (numRows, cols, n, seed) => {
        const rng = new Rng(seed);
        const table = randn(rng, numRows * cols);
        const idx = Int32Array.from({ length: n }, () => rng.int(numRows));
        const w = randn(rng, n * cols);
        const run = async (be: WebGpuBackend) => {
          const t = T.tensor(table, [numRows, cols], { backend: be, requiresGrad: true });
          const out = T.scope(() => {
            const e = T.embedding(t, T.tensor(idx, [n], { backend: be, dtype: 'i32' }));
            T.backward(T.sumAll(T.mul(e, T.tensor(w, [n, cols], { backend: be }))));
            return e;
          });
          const grad = t.grad!;
          const res = { out: (await out.data()) as Float32Array, grad: (await grad.data()) as Float32Array, sharded: grad.buf instanceof ShardedBuffer };
          out.release();
          T.zeroGrad([t]);
          t.release();
          return res;
        };
        const a = await run(whole);
        const b = await run(tiny);
        expect(b.sharded).toBe(numRows * cols * 4 > 4096);
        expect(b.out).toEqual(a.out);
        expect(b.grad).toEqual(a.grad);
      }),
      { seed: 29, numRuns: 25 },
    );
  });

  it('dense AdamW over shards equals the whole table bit for bit', async () => {
    const rng = new Rng(3);
    const n = 211 * 9;
    const init = [randn(rng, n), randn(rng, n), randn(rng, n, 0.1), Float32Array.from(randn(rng, n), (x) => x * x)];
    const run = async (be: WebGpuBackend) => {
      const [p, g, m, v] = init.map((a) => T.tensor(a, [211, 9], { backend: be }));
      be.adamw(p.buf, g.buf, m.buf, v.buf, n, hyper);
      const out = await Promise.all([p, m, v].map(async (t) => (await t.data()) as Float32Array));
      const sharded = p.buf instanceof ShardedBuffer;
      for (const t of [p, g, m, v]) t.release();
      return { out, sharded };
    };
    const a = await run(whole);
    const b = await run(tiny);
    expect(b.sharded).toBe(true);
    expect(b.out).toEqual(a.out);
  });

  it('fill and read go through every shard; other ops refuse a sharded table, saying why', async () => {
    const z = T.full([300, 7], 2.5, 'f32', tiny);
    expect(z.buf).toBeInstanceOf(ShardedBuffer);
    expect(Array.from((await z.data()) as Float32Array).every((x) => x === 2.5)).toBe(true);
    expect(() => T.scale(z, 2)).toThrow(/split into 3 row shards/);
    z.release();
    const raw = tiny.alloc(300 * 7, 'f32', 7);
    expect(raw).toBeInstanceOf(ShardedBuffer);
    tiny.release(raw);
    expect(() => tiny.release(raw)).toThrow(/released twice/);
    await expect(tiny.read(raw, 2100, 'f32')).rejects.toThrow(/released buffer/);
  });
});

describe('training and inference with a 1 MiB binding limit', () => {
  it('M1 steps of the bag encoder: the same losses and parameters as without shards', async () => {
    const V = 2113, C = 128; // 1.03 MiB term table: 2 shards
    const run = async (be: WebGpuBackend) => {
      const enc = new BagEncoder({ vocabSize: V, dim: C, dropout: 0 }, { backend: be, seed: 3 });
      const opt = new AdamW(enc.params, { lr: 5e-3 });
      const rng = new Rng(9);
      const losses: number[] = [];
      const bags = (B: number) => {
        const offsets = Int32Array.from({ length: B + 1 }, (_, b) => 6 * b);
        return { kind: 'bag' as const, B, offsets, ids: Int32Array.from({ length: 6 * B }, () => rng.int(V)), weights: Float32Array.from({ length: 6 * B }, () => rng.next()) };
      };
      for (let step = 0; step < 3; step++) {
        const docs = bags(16), labels = bags(16);
        const loss = T.scope(() => {
          const S = T.scale(T.matmul(enc.encode(docs), enc.encode(labels), { transB: true }), 20);
          const diag = T.tensor(Float32Array.from({ length: 16 * 16 }, (_, i) => (i % 17 === 0 ? -1 / 16 : 0)), [16, 16], { backend: be });
          const l = T.sumAll(T.mul(T.logSoftmax(S), diag));
          T.backward(l);
          return l;
        });
        await opt.step();
        losses.push(await loss.item());
        loss.release();
      }
      const terms = enc.params.get('embed.terms');
      const sharded = terms.buf instanceof ShardedBuffer;
      const params = await Promise.all(enc.params.list().map(async (t) => (await t.data()) as Float32Array));
      enc.dispose();
      return { losses, params, sharded };
    };
    const a = await run(whole);
    const b = await run(mib);
    expect(a.sharded).toBe(false);
    expect(b.sharded).toBe(true);
    expect(b.losses).toEqual(a.losses);
    expect(b.params).toEqual(a.params);
  });

  it('M2 epochs (pool softmax with shortlist, and triplet) and inference: the same losses, classifiers and top-k as without shards', async () => {
    const L = 4211, D = 64, N = 96; // 1.03 MiB classifier table
    const rng = new Rng(4);
    const unit = (n: number) => {
      const x = randn(rng, n * D);
      for (let i = 0; i < n; i++) {
        const r = x.subarray(i * D, (i + 1) * D);
        const s = Math.hypot(...r);
        r.forEach((v, j) => (r[j] = v / s));
      }
      return x;
    };
    const labelEmb = unit(L);
    const docEmb = unit(N);
    const Y = csrFromRows(L, Array.from({ length: N }, () => [...new Set([rng.int(L), rng.int(L)])].sort((p, q) => p - q)));
    const run = async (be: WebGpuBackend, kind: 'pool-softmax' | 'triplet' = 'pool-softmax') => {
      const m2 = new M2Trainer(be, Y, docEmb, labelEmb, D, {
        epochs: 2, batchSize: 16, lr: 2e-3, seed: 1, kind, tau: 0.05, shortlist: 5,
        curriculum: { warmupEpochs: 0, startSize: 8, doubleAt: [], maxSize: 8, reclusterEvery: 1000 },
        loss: { numPositives: 3, numNegatives: 5, margin: 0.2, tau: 0.1 },
      });
      const losses = [(await m2.trainEpoch()).loss, (await m2.trainEpoch()).loss];
      const sharded = m2.W.buf instanceof ShardedBuffer;
      const clf = await m2.classifiers();
      m2.dispose();
      const top = await retrieve(be, docEmb, clf, D, 7);
      return { losses, clf, sharded, top };
    };
    const a = await run(whole);
    const b = await run(mib);
    expect(a.sharded).toBe(false);
    expect(b.sharded).toBe(true);
    expect(b.losses).toEqual(a.losses);
    expect(b.clf).toEqual(a.clf);
    expect(Array.from(b.top.indices)).toEqual(Array.from(a.top.indices));
    expect(Array.from(b.top.values)).toEqual(Array.from(a.top.values));
    // the triplet loss gathers W's rows (T.embedding) and updates them from a dense, sharded gradient
    const c = await run(whole, 'triplet');
    const d = await run(mib, 'triplet');
    expect(d.sharded).toBe(true);
    expect(d.losses).toEqual(c.losses);
    expect(d.clf).toEqual(c.clf);
  });
});
