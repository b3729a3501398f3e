// Helper of bench/kernels.ts: @tensorflow/tfjs-backend-webgpu's matmul on the same kind of
// adapter as ours. tfjs looks for `navigator.gpu` when it is imported, and asks for an adapter
// without a feature level; on a machine without a GPU only a compatibility-mode adapter of
// Dawn's OpenGL backend exists, so the `navigator.gpu` we hand it forces that (and the
// adapter's storage-buffer limit, which compatibility mode otherwise caps low).
// Our runtime's own device comes from src/tensor/webgpu/device.ts; tfjs gets its own device.

import { create, globals } from 'webgpu';

export interface TfjsMatmul {
  /** Adapter description tfjs got. */
  adapter: string;
  /** Median ms of an n×n×n f32 matmul (submit + a 1-element readback), after a warm-up. */
  time(n: number, runs: number): Promise<number>;
  dispose(): void;
}

let gpuRoot: unknown = null; // strong reference: Dawn crashes if this is collected while a device lives

/** Sets up tfjs on the webgpu backend, or throws an Error saying why it cannot run. */
export async function openTfjs(kind: 'gpu' | 'llvmpipe'): Promise<TfjsMatmul> {
  Object.assign(globalThis, globals);
  if (kind === 'llvmpipe' && !process.env.EGL_PLATFORM) process.env.EGL_PLATFORM = 'surfaceless';
  const gpu = (kind === 'llvmpipe' ? create(['backend=opengl']) : create([])) as GPU;
  gpuRoot = gpu;
  let adapterName = 'unknown';
  const wrapper = {
    async requestAdapter(opts: GPURequestAdapterOptions = {}): Promise<GPUAdapter | null> {
      const adapter = await gpu.requestAdapter(kind === 'llvmpipe' ? { ...opts, featureLevel: 'compatibility' } : opts);
      if (!adapter) return null;
      adapterName = [adapter.info.description, adapter.info.device, adapter.info.vendor].filter(Boolean).join(' / ');
      const requestDevice = adapter.requestDevice.bind(adapter);
      // tfjs does not ask for maxStorageBuffersPerShaderStage; compatibility mode defaults it to 4.
      (adapter as { requestDevice: GPUAdapter['requestDevice'] }).requestDevice = (desc: GPUDeviceDescriptor = {}) =>
        requestDevice({
          ...desc,
          requiredLimits: { ...desc.requiredLimits, maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage },
        });
      return adapter;
    },
    getPreferredCanvasFormat: () => 'rgba8unorm',
    wgslLanguageFeatures: new Set<string>(),
  };
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: wrapper }, configurable: true, writable: true });
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-webgpu');
  const ok = await tf.setBackend('webgpu');
  if (!ok || tf.getBackend() !== 'webgpu') throw new Error('tf.setBackend("webgpu") failed (see the warnings above)');
  await tf.ready();
  return {
    adapter: adapterName,
    async time(n: number, runs: number): Promise<number> {
      const a = tf.randomUniform([n, n], -1, 1, 'float32', 1);
      const b = tf.randomUniform([n, n], -1, 1, 'float32', 2);
      const once = async (): Promise<number> => {
        const t0 = performance.now();
        const c = tf.matMul(a, b);
        const corner = tf.slice(c, [0, 0], [1, 1]);
        await corner.data(); // submits the matmul and waits for it
        const ms = performance.now() - t0;
        tf.dispose([c, corner]);
        return ms;
      };
      await once(); // warm-up: shader compile, buffer allocation
      const times: number[] = [];
      for (let r = 0; r < runs; r++) times.push(await once());
      tf.dispose([a, b]);
      times.sort((x, y) => x - y);
      return times[Math.floor(times.length / 2)];
    },
    dispose(): void {
      tf.disposeVariables();
      // gpuRoot stays referenced: tfjs's device lives until the process exits.
    },
  };
}
