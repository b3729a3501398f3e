// Parity: topkGpu against topkRef. Index outputs: values and indices must be identical
// (Object.is on values: same NaN-ness, same sign of zero), including ties (small integer value
// sets), NaN, ±Infinity and ±0, with the default chunking and with tiny chunks that force
// several merge levels.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { WebGpuBackend } from '../../src/tensor/webgpu/backend';
import { poisonedGpu } from '../helpers/gpu';
import { TOPK_PASS_K, topkGpu, topkRef, type TopkOptions } from '../../src/kernels/topk';
import { Rng } from '../../src/util/rng';

let be: WebGpuBackend;
poisonedGpu((b) => (be = b));

type Dist = 'normal' | 'ties' | 'special';

function values(rng: Rng, n: number, dist: Dist): Float32Array {
  const x = new Float32Array(n);
  const specials = [NaN, Infinity, -Infinity, 0, -0, 1, -1];
  for (let i = 0; i < n; i++) {
    if (dist === 'ties') x[i] = rng.int(5) - 2;
    else if (dist === 'special' && rng.next() < 0.3) x[i] = specials[rng.int(specials.length)];
    else x[i] = rng.normal();
  }
  return x;
}

async function runBoth(x: Float32Array, rows: number, cols: number, k: number, chunk?: number, more: TopkOptions = {}): Promise<void> {
  const xb = be.rt.upload(x);
  const r = topkGpu(be.rt, xb, rows, cols, k, { chunk, ...more });
  const vals = new Float32Array(await be.rt.read(r.values, rows * k * 4));
  const idx = new Int32Array(await be.rt.read(r.indices, rows * k * 4));
  for (const b of [xb, r.values, r.indices]) be.rt.release(b);
  const ref = topkRef(x, rows, cols, k);
  let bad = -1;
  for (let i = 0; i < rows * k && bad < 0; i++) {
    if (idx[i] !== ref.indices[i] || !Object.is(vals[i], ref.values[i])) bad = i;
  }
  const what = `(${rows}x${cols}, k=${k}, chunk=${chunk}, ${JSON.stringify(more)})`;
  expect(bad, bad < 0 ? what : `${what}: first mismatch at ${bad}: gpu (${vals[bad]}, ${idx[bad]}) ref (${ref.values[bad]}, ${ref.indices[bad]})`).toBe(-1);
}

describe('top-k kernel (webgpu vs reference)', () => {
  it('matches exactly on random shapes, ties and special values, default and tiny chunks', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constantFrom(1, 2, 3, 64, 65), fc.integer({ min: 1, max: 100 })),
        fc.oneof(fc.constantFrom(1, 2, 7, 16, 17, 257, 1031, 3001), fc.integer({ min: 1, max: 2000 })),
        fc.oneof(fc.constantFrom<number | 'cols'>(1, 'cols'), fc.integer({ min: 1, max: 130 })),
        fc.constantFrom<Dist>('normal', 'ties', 'special'),
        fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
        fc.integer({ min: 0, max: 1 << 30 }),
        async (rows, cols, kDraw, dist, chunk, seed) => {
          const k = Math.min(kDraw === 'cols' ? cols : kDraw, cols, TOPK_PASS_K);
          await runBoth(values(new Rng(seed), rows * cols, dist), rows, cols, k, chunk);
        },
      ),
      { seed: 42, numRuns: 60 },
    );
  });

  it('matches at retrieval scale: 4 queries x 42,000 labels, k = 10 and 100, ties forced', async () => {
    const rng = new Rng(3);
    for (const k of [10, 100]) {
      await runBoth(values(rng, 4 * 42000, 'normal'), 4, 42000, k);
      // Values from {0..9}: every selected value is tied with thousands of others.
      await runBoth(Float32Array.from({ length: 4 * 42000 }, () => rng.int(10)), 4, 42000, k);
    }
  });

  it('k above one pass (TOPK_PASS_K): several passes, each after the last pick of the previous one', async () => {
    // Small passes (passK 1..20) force many passes on small shapes, with ties and special values.
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 2, max: 400 }),
        fc.integer({ min: 1, max: 20 }),
        fc.constantFrom<Dist>('normal', 'ties', 'special'),
        fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
        fc.integer({ min: 0, max: 1 << 30 }),
        async (rows, cols, passK, dist, chunk, seed) => {
          const rng = new Rng(seed);
          const k = Math.min(cols, passK + 1 + rng.int(3 * passK + 1)); // at least 2 passes unless cols is small
          await runBoth(values(rng, rows * cols, dist), rows, cols, k, chunk, { passK });
        },
      ),
      { seed: 7, numRuns: 40 },
    );
    // The real pass size: k = 257, 300, 600 and k = cols, ties forced.
    const rng = new Rng(11);
    await runBoth(values(rng, 3 * 700, 'normal'), 3, 700, 300);
    await runBoth(values(rng, 2 * 1200, 'ties'), 2, 1200, 600, 50);
    await runBoth(values(rng, 2 * 257, 'special'), 2, 257, 257);
    await runBoth(values(rng, 4 * 5000, 'special'), 4, 5000, TOPK_PASS_K + 1);
    // Row blocks with several passes: a binding limit of 2 rows.
    await runBoth(values(rng, 7 * 300, 'ties'), 7, 300, 40, undefined, { passK: 16, maxBindingBytes: 2 * 300 * 4 });
  });

  it('edge shapes: cols = 1, k = 1, k = cols = TOPK_PASS_K; inputs over the binding limit', async () => {
    const rng = new Rng(5);
    await runBoth(values(rng, 7, 'normal'), 7, 1, 1);
    await runBoth(values(rng, 5 * 999, 'ties'), 5, 999, 1);
    await runBoth(values(rng, 3 * TOPK_PASS_K, 'special'), 3, TOPK_PASS_K, TOPK_PASS_K, 10);
    // Row blocks: a binding limit of 3 rows forces copies in and out of 4 blocks.
    const x = values(rng, 11 * 500, 'normal');
    const xb = be.rt.upload(x);
    const r = topkGpu(be.rt, xb, 11, 500, 7, { maxBindingBytes: 3 * 500 * 4 });
    const ref = topkRef(x, 11, 500, 7);
    expect(new Int32Array(await be.rt.read(r.indices, 11 * 7 * 4))).toEqual(ref.indices);
    expect(new Float32Array(await be.rt.read(r.values, 11 * 7 * 4))).toEqual(ref.values);
    for (const b of [xb, r.values, r.indices]) be.rt.release(b);
  });

  it('reference semantics: descending, ties to the lower index, NaN last', () => {
    const x = new Float32Array([3, 1, 3, NaN, -Infinity, 2, 3, NaN]);
    const r = topkRef(x, 1, 8, 8);
    expect(Array.from(r.indices)).toEqual([0, 2, 6, 5, 1, 4, 3, 7]);
    expect(Array.from(r.values).slice(0, 6)).toEqual([3, 3, 3, 2, 1, -Infinity]);
    expect(topkRef(new Float64Array([1, 5]), 1, 2, 1).values).toBeInstanceOf(Float64Array);
  });

  it('rejects bad k with a clear error', () => {
    const xb = be.rt.upload(new Float32Array(300));
    expect(() => topkRef(new Float32Array(4), 2, 2, 3)).toThrow(/topkRef: k = 3 must be in \[1, cols = 2\]/);
    expect(() => topkGpu(be.rt, xb, 1, 300, 301)).toThrow(/topkGpu: k = 301 must be in \[1, cols = 300\]/);
    expect(() => topkGpu(be.rt, xb, 1, 300, 5, { passK: TOPK_PASS_K + 1 })).toThrow(/passK = 257/);
    expect(() => topkGpu(be.rt, xb, 1, 300, 0)).toThrow(/topkGpu: k = 0/);
    be.rt.release(xb);
  });
});
