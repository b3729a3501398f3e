// The one top-k (src/util/topk.ts): its order is a strict total order on (value, id) pairs (NaN
// last, -0 equal to +0), the heap keeps exactly the k first pairs of that order, and every top-k
// in the project (the kernels' reference, the tensor op, search, the score-matrix builders)
// returns the same list for the same row, ties and NaN included.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compareRanked, ranksBefore, TopKHeap } from '../../src/util/topk';
import { topkRef } from '../../src/kernels/topk';
import * as T from '../../src/tensor';
import { topKFromDense } from '../../src/ngame/metrics';
import { hostTopK } from '../../src/ngame/ann';
import { mat } from '../../src/ngame/matrix';

const SPECIALS = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 2];
/** Values with many ties, ±0, ±Infinity and NaN; all exact in f32. */
const value = fc.oneof(fc.constantFrom(...SPECIALS), fc.integer({ min: -3, max: 3 }), fc.float({ noNaN: true }).map(Math.fround));
const row = fc.array(value, { minLength: 1, maxLength: 40 });

/** The first k (value, id) pairs of `xs` in the one order, by sorting. */
function bySort(xs: number[], k: number): { ids: number[]; values: number[] } {
  const ids = xs.map((_, i) => i).sort((a, b) => compareRanked(xs[a], a, xs[b], b)).slice(0, k);
  return { ids, values: ids.map((i) => xs[i]) };
}

describe('ranksBefore', () => {
  it('is a strict total order on pairs with distinct ids: NaN last, -0 equal to +0', () => {
    const pair = fc.tuple(value, fc.integer({ min: 0, max: 5 }));
    fc.assert(
      fc.property(pair, pair, pair, ([a, ia], [b, ib], [c, ic]) => {
        expect(ranksBefore(a, ia, a, ia)).toBe(false); // irreflexive
        if (ia !== ib) expect(ranksBefore(a, ia, b, ib)).not.toBe(ranksBefore(b, ib, a, ia)); // total, antisymmetric
        if (ranksBefore(a, ia, b, ib) && ranksBefore(b, ib, c, ic)) expect(ranksBefore(a, ia, c, ic)).toBe(true); // transitive
      }),
      { seed: 7, numRuns: 2000 },
    );
    expect(ranksBefore(-Infinity, 9, NaN, 0)).toBe(true);
    expect(ranksBefore(NaN, 1, NaN, 2)).toBe(true);
    expect(ranksBefore(-0, 1, 0, 2)).toBe(true);
    expect(ranksBefore(0, 2, -0, 1)).toBe(false);
    expect(ranksBefore(2, 5, 1, 0)).toBe(true);
  });
});

describe('TopKHeap', () => {
  it('keeps the k first pairs of the order, best first, in f32 and in f64', () => {
    fc.assert(
      fc.property(row, fc.integer({ min: 1, max: 12 }), (xs, k) => {
        const want = bySort(xs, k);
        for (const heap of [new TopKHeap(k), new TopKHeap(k, Float64Array)]) {
          xs.forEach((x, i) => heap.push(i, x));
          const got = heap.sorted();
          expect(Array.from(got.indices)).toEqual(want.ids);
          expect(Array.from(got.values).map((v, i) => Object.is(v, want.values[i]) || (v === 0 && want.values[i] === 0))).toEqual(want.ids.map(() => true));
        }
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('drainSorted pads a short row with -1 / -Infinity and empties the heap', () => {
    const heap = new TopKHeap(4);
    heap.push(3, 0.5);
    heap.push(1, NaN);
    const ids = new Int32Array(6).fill(99);
    const vals = new Float32Array(6).fill(99);
    heap.drainSorted(ids, vals, 1);
    expect(Array.from(ids)).toEqual([99, 3, 1, -1, -1, 99]);
    expect(Array.from(vals)).toEqual([99, 0.5, NaN, -Infinity, -Infinity, 99]);
    expect(heap.size).toBe(0);
  });

  it('a heap of size 0 keeps nothing', () => {
    const heap = new TopKHeap(0);
    heap.push(0, 1);
    expect(heap.sorted().indices.length).toBe(0);
  });
});

describe('every top-k agrees', () => {
  it('kernel reference, tensor op (cpu), score rows and the similarity engine return the same list', () => {
    const cpu = new T.CpuBackend();
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 12 }), (rows, kk) => {
        const cols = Math.min(...rows.map((r) => r.length));
        const k = Math.min(kk, cols);
        const x = Float32Array.from(rows.flatMap((r) => r.slice(0, cols)));
        const want = rows.map((r) => bySort(r.slice(0, cols), k).ids).flat();
        expect(Array.from(topkRef(x, rows.length, cols, k).indices)).toEqual(want);
        const t = T.topk(T.tensor(x, [rows.length, cols], { backend: cpu }), k);
        expect(Array.from(t.indices.dataSync())).toEqual(want);
        expect(Array.from(topKFromDense(x, rows.length, cols, k).indices)).toEqual(want);
        // The host's blocked top-k scores q · item: with dim 1 and q = 1 the scores are the values
        // (matrices hold no NaN: those rows are left to the other three).
        if (!x.some(Number.isNaN)) {
          const top = hostTopK(mat(rows.length, 1, new Float32Array(rows.length).fill(1)), mat(cols, 1, x.slice(0, cols)), k, { itemBlock: 3 });
          expect(Array.from(top.indices.subarray(0, k))).toEqual(want.slice(0, k));
        }
      }),
      { seed: 3, numRuns: 200 },
    );
  });
});
