// The WebGPU backend must be present wherever the suite runs: CI installs Mesa so Dawn's
// OpenGL backend runs our WGSL on llvmpipe; a machine with a GPU uses it. No adapter = failure.
import { afterAll, describe, expect, it } from 'vitest';
import { WebGpuBackend } from '../../../src/tensor/webgpu/backend';
import { closeGpu, isSoftwareAdapter } from '../../../src/kernels/webgpu/device';
import * as T from '../../../src/tensor';

afterAll(closeGpu);

describe('webgpu adapter', () => {
  it('tells software renderers from GPUs, a GPU on Mesa\'s drivers included', () => {
    const info = (description: string, device = '', vendor = '') => ({ description, device, vendor, architecture: '' });
    expect(isSoftwareAdapter(info('OpenGL version 4.5 (Core Profile) Mesa 22.3.6', 'llvmpipe-llvm-15-0-6-256-bits-'))).toBe(true);
    expect(isSoftwareAdapter(info('Mesa 23.2.1', 'llvmpipe (LLVM 15.0.7, 256 bits)'))).toBe(true); // lavapipe's device name
    expect(isSoftwareAdapter(info('SwiftShader driver', 'SwiftShader Device (Subzero)', 'google'))).toBe(true);
    expect(isSoftwareAdapter(info('radv Mesa 24.0.5', 'AMD Radeon RX 7900 XTX (RADV NAVI31)', 'amd'))).toBe(false);
    expect(isSoftwareAdapter(info('Intel open-source Mesa driver Mesa 23.2.1', 'Intel(R) Arc(tm) A770 Graphics (DG2)', 'intel'))).toBe(false);
    expect(isSoftwareAdapter(info('NVIDIA driver 550.54.15', 'NVIDIA H100 80GB HBM3', 'nvidia'))).toBe(false);
  });

  it('opens an adapter and runs a kernel on it', async () => {
    const be = await WebGpuBackend.create();
    expect(be.deviceName.length).toBeGreaterThan(0);
    console.log(`webgpu adapter: ${be.deviceName} (kind ${be.rt.ctx.kind})`);
    const x = T.tensor([1, 2, 3, 4], [2, 2], { backend: be });
    const y = T.matmul(x, x);
    expect(Array.from(await y.data())).toEqual([7, 10, 15, 22]);
  });

  it('batches dispatches: many ops, one submit at the read', async () => {
    const be = await WebGpuBackend.create();
    be.flush();
    const before = { ...be.rt.counters };
    let x = T.tensor(new Float32Array(64).fill(1), [8, 8], { backend: be });
    for (let i = 0; i < 20; i++) x = T.shift(x, 1);
    const v = await x.data();
    expect(v[0]).toBe(21);
    expect(be.rt.counters.dispatches - before.dispatches).toBeGreaterThanOrEqual(20);
    expect(be.rt.counters.submits - before.submits).toBe(1);
  });

  it('the pool reuses released buffers: live bytes stay flat over 1,000 iterations', async () => {
    const be = await WebGpuBackend.create();
    const w = T.tensor(Float32Array.from({ length: 5 * 3 }, (_, i) => Math.cos(i) / 3), [5, 3], { backend: be, requiresGrad: true });
    const x = T.tensor(Float32Array.from({ length: 8 * 5 }, (_, i) => Math.sin(i)), [8, 5], { backend: be });
    const live: number[] = [];
    for (let it = 0; it < 1000; it++) {
      T.scope(() => {
        const loss = T.meanAll(T.neg(T.logSoftmax(T.gelu(T.matmul(x, w)))));
        T.backward(loss);
        T.zeroGrad([w]);
      });
      if (it % 100 === 99) be.flush();
      live.push(be.memory().liveBytes);
    }
    expect(live[999]).toBe(live[9]);
    w.release();
    x.release();
  });
});
