import { defineConfig } from 'vitest/config';

// One worker per file, and the WebGPU device is created once per file (see src/kernels/webgpu/device.ts).
// Kernel tests are CPU-heavy on llvmpipe, so files run two at a time at most (2-core CI machine).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
