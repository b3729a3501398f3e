// The size-class buffer pool: what a request is rounded to, and that steps whose shapes vary a
// little from batch to batch stop making new buffers. Counts, not timing.
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sizeClass } from '../../../src/kernels/webgpu/pool';
import { WebGpuBackend } from '../../../src/tensor/webgpu/backend';
import { closeGpu } from '../../../src/kernels/webgpu/device';
import * as T from '../../../src/tensor';
import { Rng } from '../../../src/util/rng';

afterAll(closeGpu);

describe('sizeClass', () => {
  it('covers the request, wastes at most 25% (16 bytes below 256), is monotone, and has four classes per power of two', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1 << 30 }), fc.integer({ min: 0, max: 1 << 20 }), (bytes, extra) => {
      const size = Math.max(4, Math.ceil(bytes / 4) * 4);
      const c = sizeClass(bytes);
      expect(c).toBeGreaterThanOrEqual(size);
      expect(c % 16).toBe(0);
      expect(c).toBeLessThanOrEqual(size <= 256 ? size + 12 : 1.25 * size);
      expect(sizeClass(bytes + extra)).toBeGreaterThanOrEqual(c);
    }), { seed: 11, numRuns: 2000 });
    for (const n of [10, 17, 24]) {
      const classes = new Set<number>();
      for (let b = 2 ** n + 1; b <= 2 ** (n + 1); b += 4) classes.add(sizeClass(b));
      expect([...classes]).toEqual([1.25, 1.5, 1.75, 2].map((f) => f * 2 ** n));
    }
  });

  it('never rounds past the limit a request fits in', () => {
    expect(sizeClass(100_000_004, 100_000_004)).toBe(100_000_004);
    expect(sizeClass(100_000_004)).toBe(100_663_296); // 1.5 · 2^26
    expect(sizeClass(200_000_000, 100_000_004)).toBe(sizeClass(200_000_000)); // does not fit anyway
  });
});

describe('BufferPool on the device', () => {
  it('steps whose sizes vary a little reuse parked buffers instead of making new ones', async () => {
    const be = await WebGpuBackend.create();
    const rng = new Rng(5);
    const step = async (n = 1000 + rng.int(200)) => { // like a bag batch's token count
      const y = T.scope(() => T.scale(T.add(T.tensor(new Float32Array(n).fill(1), [n], { backend: be }), T.full([n], 2, 'f32', be)), 2));
      const v = await y.data();
      y.release();
      expect(v[n - 1]).toBe(6);
    };
    await step(1000); // both size classes the sizes fall in (4,000 → 4,096 and 4,796 → 5,120 bytes)
    await step(1199);
    const c0 = be.rt.pool.created;
    for (let i = 0; i < 40; i++) await step();
    expect(be.rt.pool.created - c0).toBe(0);
  });
});
