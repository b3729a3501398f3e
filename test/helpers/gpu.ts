// The set-up every kernel parity test shares: one WebGPU backend per test file, its outputs
// poisoned with NaN bits before each kernel runs (so an element a kernel fails to write fails the
// comparison), and the device closed after the file (an open device keeps node from exiting).
import { afterAll, beforeAll } from 'vitest';
import { WebGpuBackend } from '../../src/tensor/webgpu/backend';
import { closeGpu } from '../../src/kernels/webgpu/device';
import type { Rng } from '../../src/util/rng';

/** Registers the file's set-up and tear-down; `ready` gets the backend before the first test. */
export function poisonedGpu(ready: (be: WebGpuBackend) => void, teardown?: () => void): void {
  beforeAll(async () => {
    const be = await WebGpuBackend.create();
    be.rt.poison = true;
    ready(be);
  });
  afterAll(async () => {
    teardown?.();
    await closeGpu();
  });
}

/** n normal samples · scale + shift, as float32. */
export function randn(rng: Rng, n: number, scale = 1, shift = 0): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * scale + shift;
  return a;
}
