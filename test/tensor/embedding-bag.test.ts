// T.embeddingBag on the cpu backend: float64 finite-difference checks of its row-sparse gradient
// (scattered to dense to compare), coalescing when one table is used twice or across backward
// calls, the densified path through a non-leaf, host validation before any backend work, and
// lifetimes of sparse gradients.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as T from '../../src/tensor';
import { cpu, gradCheck, leafGrad } from './gradcheck';
import { Rng } from '../../src/util/rng';

const TOL = 1e-6;
const run = (p: fc.IProperty<unknown>) => fc.assert(p, { seed: 42, numRuns: 15 });

/** Random bags over V rows: lengths 0..4, repeats likely, f64 weights. */
function bagsOf(rng: Rng, B: number, V: number): T.Bags {
  const offsets = new Int32Array(B + 1);
  for (let b = 0; b < B; b++) offsets[b + 1] = offsets[b] + rng.int(5);
  const ids = Int32Array.from({ length: offsets[B] }, () => rng.int(V));
  const weights = Float64Array.from({ length: offsets[B] }, () => rng.normal());
  return { ids, weights, offsets };
}

const denseGradOf = leafGrad;

/**
 * Relative error of the analytic gradient (dense + sparse) of Σ f(table) ⊙ w against central
 * differences, table (V, C) f64; also returns the leaf's sparse rows.
 */
function sparseGradCheck(f: (t: T.Tensor) => T.Tensor, V: number, C: number, seed: number, calls = 1) {
  const rng = new Rng(seed);
  const vals = Float64Array.from({ length: V * C }, () => rng.normal());
  let w: T.Tensor | null = null;
  const lossOf = (t: T.Tensor) => {
    const y = f(t);
    w ??= T.keep(T.tensor(Float64Array.from({ length: y.size }, () => rng.normal()), y.shape, { backend: cpu, dtype: 'f64' }));
    return T.sumAll(T.mul(y, w));
  };
  const table = T.tensor(vals, [V, C], { backend: cpu, dtype: 'f64', requiresGrad: true });
  for (let k = 0; k < calls; k++) T.scope(() => T.backward(lossOf(table)));
  const analytic = denseGradOf(table);
  const rows = table.sparseGrad ? Array.from(table.sparseGrad.rows) : null;
  let num2 = 0;
  let diff2 = 0;
  const h = 1e-6;
  T.noGrad(() => {
    for (let j = 0; j < vals.length; j++) {
      const at = (d: number) => T.scope(() => {
        const v = vals.slice();
        v[j] += d;
        return lossOf(T.tensor(v, [V, C], { backend: cpu, dtype: 'f64' })).dataSync()[0];
      });
      const numeric = (calls * (at(h) - at(-h))) / (2 * h);
      num2 += numeric ** 2;
      diff2 += (analytic[j] - numeric) ** 2;
    }
  });
  table.release();
  w!.release();
  return { err: Math.sqrt(diff2) / Math.max(Math.sqrt(num2), 1e-8), rows };
}

const sortedUnique = (a: ArrayLike<number>) => [...new Set(Array.from(a))].sort((x, y) => x - y);

describe('embeddingBag: forward', () => {
  it('weighted bag sums, empty bags give zeros, B = 0 gives (0, C)', () => {
    const table = T.tensor(Float64Array.from([1, 2, 10, 20, 100, 200]), [3, 2], { backend: cpu, dtype: 'f64' });
    const out = T.embeddingBag(table, { ids: new Int32Array([2, 0, 2, 1]), weights: new Float64Array([1, 0.5, -1, 2]), offsets: new Int32Array([0, 3, 3, 4]) });
    expect(out.shape).toEqual([3, 2]);
    expect(Array.from(out.dataSync())).toEqual([0.5, 1, 0, 0, 20, 40]);
    const none = T.embeddingBag(table, { ids: new Int32Array(0), weights: new Float64Array(0), offsets: new Int32Array([0]) });
    expect(none.shape).toEqual([0, 2]);
  });
});

describe('embeddingBag: row-sparse gradient (f64 finite differences)', () => {
  it('matches central differences; the sparse rows are exactly the ids that occur', () => {
    run(fc.property(fc.constantFrom(1, 2, 5, 7), fc.constantFrom(1, 3, 4), fc.constantFrom(1, 2, 6), fc.integer({ min: 1, max: 1000 }), (V, C, B, seed) => {
      const bags = bagsOf(new Rng(seed), B, V);
      const { err, rows } = sparseGradCheck((t) => T.embeddingBag(t, bags), V, C, seed);
      expect(err).toBeLessThan(TOL);
      expect(rows).toEqual(sortedUnique(bags.ids));
    }));
  });

  it('a table used twice in one graph (documents and labels): coalesced, sorted unique rows', () => {
    run(fc.property(fc.constantFrom(2, 5, 9), fc.constantFrom(1, 3), fc.integer({ min: 1, max: 1000 }), (V, C, seed) => {
      const rng = new Rng(seed);
      const docs = bagsOf(rng, 3, V);
      const labels = bagsOf(rng, 4, V);
      const f = (t: T.Tensor) => T.matmul(T.embeddingBag(t, docs), T.embeddingBag(t, labels), { transB: true });
      const { err, rows } = sparseGradCheck(f, V, C, seed);
      expect(err).toBeLessThan(TOL);
      expect(rows).toEqual(sortedUnique([...docs.ids, ...labels.ids]));
    }));
  });

  it('accumulates across two backward calls (coalesced again)', () => {
    const rng = new Rng(5);
    const bags = [bagsOf(rng, 4, 6), bagsOf(rng, 4, 6)];
    // Two calls with the same graph: twice the gradient.
    const { err } = sparseGradCheck((t) => T.embeddingBag(t, bags[0]), 6, 3, 5, 2);
    expect(err).toBeLessThan(TOL);
    // Two calls touching different rows equal one graph with both uses, exactly.
    const table = T.tensor(Float64Array.from({ length: 18 }, () => rng.normal()), [6, 3], { backend: cpu, dtype: 'f64', requiresGrad: true });
    T.backward(T.sumAll(T.embeddingBag(table, bags[0])));
    T.backward(T.sumAll(T.embeddingBag(table, bags[1])));
    expect(Array.from(table.sparseGrad!.rows)).toEqual(sortedUnique([...bags[0].ids, ...bags[1].ids]));
    const once = T.tensor(table.dataSync(), [6, 3], { backend: cpu, dtype: 'f64', requiresGrad: true });
    T.backward(T.add(T.sumAll(T.embeddingBag(once, bags[0])), T.sumAll(T.embeddingBag(once, bags[1]))));
    expect(denseGradOf(table)).toEqual(denseGradOf(once));
    expect(table.grad).toBeNull();
  });

  it('through a non-leaf the gradient is densified (plain gradCheck on .grad)', () => {
    run(fc.property(fc.constantFrom(1, 4, 7), fc.constantFrom(1, 3), fc.integer({ min: 1, max: 1000 }), (V, C, seed) => {
      const bags = bagsOf(new Rng(seed), 3, V);
      expect(gradCheck(([t]) => T.embeddingBag(T.scale(t, 1.5), bags), [{ shape: [V, C] }], seed)).toBeLessThan(TOL);
    }));
  });

  it('with a dense gradient on the same leaf (embedding + embeddingBag): grad + sparseGrad is the gradient', () => {
    const rng = new Rng(9);
    const bags = bagsOf(rng, 3, 5);
    const idx = T.keep(T.tensor(Int32Array.from([4, 0, 4]), [3], { backend: cpu, dtype: 'i32' }));
    const { err } = sparseGradCheck((t) => T.add(T.embeddingBag(t, bags), T.embedding(t, idx)), 5, 2, 9);
    expect(err).toBeLessThan(TOL);
    idx.release();
  });

  it('the backward sums each row in token order and is deterministic', () => {
    const table = T.tensor(new Float32Array(8), [4, 2], { backend: cpu, requiresGrad: true });
    const bags = { ids: new Int32Array([3, 1, 3, 3]), weights: new Float32Array([1, 2, 3, 4]), offsets: new Int32Array([0, 2, 4]) };
    const dOut = T.tensor(Float32Array.from([1, 10, 100, 1000]), [2, 2], { backend: cpu });
    T.backward(T.embeddingBag(table, bags), dOut);
    const s = table.sparseGrad!;
    expect(Array.from(s.rows)).toEqual([1, 3]);
    // row 1: 2·g0; row 3: 1·g0 + 3·g1 + 4·g1
    expect(Array.from(s.values.dataSync())).toEqual([2, 20, 1 + 300 + 400, 10 + 3000 + 4000]);
  });

  it('groupByKey is stable, and its comparison fallback agrees', () => {
    const keys = Int32Array.from([5, 1, 5, 0, 1, 5]);
    const g = T.groupByKey(keys, 6);
    expect(Array.from(g.order)).toEqual([3, 1, 4, 0, 2, 5]);
    expect(Array.from(g.unique)).toEqual([0, 1, 5]);
    expect(Array.from(g.segOffsets)).toEqual([0, 1, 3, 6]);
    const big = T.groupByKey(keys, 2 ** 52); // numKeys · n > 2^53: comparison sort
    expect(big).toEqual(g);
  });
});

describe('embeddingBag: validation before any backend work', () => {
  const table = T.tensor(new Float32Array(6), [3, 2], { backend: cpu });
  const flat = T.reshape(table, [6]);
  const ints = T.tensor(new Int32Array(6), [3, 2], { backend: cpu });
  const ok = { ids: new Int32Array([0, 2, 1]), weights: new Float32Array([1, 1, 1]), offsets: new Int32Array([0, 2, 3]) };
  const cases: [string, T.Tensor, T.Bags, RegExp][] = [
    ['id < 0', table, { ...ok, ids: new Int32Array([0, -1, 1]) }, /^embeddingBag: ids\[1\] = -1 is out of range \[0, 3\)/],
    ['id >= V', table, { ...ok, ids: new Int32Array([0, 2, 3]) }, /^embeddingBag: ids\[2\] = 3 is out of range \[0, 3\)/],
    ['offsets[0] != 0', table, { ...ok, offsets: new Int32Array([1, 2, 3]) }, /^embeddingBag: offsets\[0\] = 1, must be 0/],
    ['decreasing offsets', table, { ...ok, offsets: new Int32Array([0, 2, 1, 3]) }, /^embeddingBag: offsets decrease at position 2 \(1 after 2\)/],
    ['offsets[B] != nnz', table, { ...ok, offsets: new Int32Array([0, 2]) }, /^embeddingBag: offsets\[1\] = 2 must equal the number of ids \(3\)/],
    ['empty offsets', table, { ...ok, offsets: new Int32Array(0) }, /^embeddingBag: offsets is empty/],
    ['weights length', table, { ...ok, weights: new Float32Array(2) }, /^embeddingBag: weights has 2 elements but ids has 3/],
    ['non-finite weight', table, { ...ok, weights: new Float32Array([1, NaN, 1]) }, /^embeddingBag: weights\[1\] = NaN is not finite/],
    ['infinite weight', table, { ...ok, weights: new Float64Array([1, 1, -Infinity]) }, /^embeddingBag: weights\[2\] = -Infinity is not finite/],
    ['weight overflowing f32', table, { ...ok, weights: new Float64Array([1, 1e300, 1]) }, /^embeddingBag: weights\[1\] = 1e\+300 overflows f32/],
    ['table not rank 2', flat, ok, /^embeddingBag: table must be a float \(rows, cols\) tensor, got f32\(6\)/],
    ['integer table', ints, ok, /^embeddingBag: table must be a float \(rows, cols\) tensor, got i32\(3, 2\)/],
    ['ids not an Int32Array', table, { ...ok, ids: [0, 2, 1] as unknown as Int32Array }, /^embeddingBag: bags.ids must be an Int32Array/],
  ];
  for (const [name, t, bags, re] of cases) {
    it(name, () => {
      // Count every backend call that would allocate or run a kernel: none may happen.
      let calls = 0;
      const spied = ['embeddingBag', 'upload', 'alloc', 'fill', 'scatterAdd', 'gather'] as const;
      const target = cpu as unknown as Record<string, (...a: unknown[]) => unknown>;
      const saved = spied.map((k) => target[k]);
      spied.forEach((k, i) => (target[k] = (...a: unknown[]) => (calls++, saved[i].apply(cpu, a))));
      try {
        expect(() => T.embeddingBag(t, bags)).toThrow(re);
      } finally {
        spied.forEach((k, i) => (target[k] = saved[i]));
      }
      expect(calls).toBe(0);
    });
  }
});

describe('sparse gradients: lifetimes', () => {
  it('zeroGrad and release free sparse gradients; memory stays flat over many steps', () => {
    const be = new T.CpuBackend();
    const table = T.keep(T.tensor(new Float32Array(40).fill(0.5), [10, 4], { backend: be, requiresGrad: true }));
    const rng = new Rng(1);
    const bags = Array.from({ length: 4 }, () => {
      const b = bagsOf(rng, 5, 10);
      return { ...b, weights: Float32Array.from(b.weights) };
    });
    let live = -1;
    for (let s = 0; s < 60; s++) {
      T.scope(() => {
        const a = T.embeddingBag(table, bags[s % 4]);
        const b = T.embeddingBag(table, bags[(s + 1) % 4]);
        T.backward(T.sumAll(T.mul(a, a)));
        T.backward(T.sumAll(T.mul(b, b)));
      });
      expect(table.sparseGrad).not.toBeNull();
      T.zeroGrad([table]);
      expect(table.sparseGrad).toBeNull();
      if (s === 5) live = be.memory().liveBytes;
      if (s > 5) expect(be.memory().liveBytes).toBe(live);
    }
    T.scope(() => T.backward(T.sumAll(T.embeddingBag(table, bags[0]))));
    const values = table.sparseGrad!.values;
    table.release();
    expect(values.isReleased).toBe(true);
    expect(be.memory().liveBytes).toBe(0);
  });
});
