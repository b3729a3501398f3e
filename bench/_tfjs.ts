// Helper of bench/kernels.ts and bench/_tfjs-encoder.ts: @tensorflow/tfjs-backend-webgpu's matmul on the same kind of
// adapter as ours. tfjs looks for `navigator.gpu` when it is imported, and asks for an adapter
// without a feature level; on a machine without a GPU only a compatibility-mode adapter of
// Dawn's OpenGL backend exists, so the `navigator.gpu` we hand it forces that (and the
// adapter's storage-buffer limit, which compatibility mode otherwise caps low).
// Our runtime's own device comes from src/kernels/webgpu/device.ts; tfjs gets its own device.

import { create, globals } from 'webgpu';
import { buildSync } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TfjsMatmul {
  /** Adapter description tfjs got. */
  adapter: string;
  /** Median ms of an n×n×n f32 matmul (submit + a 1-element readback), after a warm-up. */
  time(n: number, runs: number): Promise<number>;
  dispose(): void;
}

let gpuRoot: unknown = null; // strong reference: Dawn crashes if this is collected while a device lives

export type Tf = typeof import('@tensorflow/tfjs-core');
let loaded: Promise<{ tf: Tf; adapter: string }> | null = null;

/**
 * Loads tfjs on the webgpu backend (once per process; bench/_tfjs-encoder.ts uses it too), or
 * throws an Error saying why it cannot run.
 */
export function loadTfjs(kind: 'gpu' | 'llvmpipe'): Promise<{ tf: Tf; adapter: string }> {
  if (!loaded) loaded = load(kind);
  return loaded;
}

async function load(kind: 'gpu' | 'llvmpipe'): Promise<{ tf: Tf; adapter: string }> {
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
  return { tf, adapter: adapterName };
}

let gradients = false;

/**
 * Registers tfjs-core's gradient functions (tf.grad / tf.variableGrads need them). The union
 * package @tensorflow/tfjs does this by importing tfjs-core's dist/register_all_gradients.js,
 * which exists only as extensionless ESM that node cannot load, and the CommonJS bundle node
 * loads (dist/tf-core.node.js) leaves it out. So it is bundled here with esbuild (tsx's own
 * dependency) into one CommonJS file and required. The copy of tfjs-core ops inside it shares
 * the engine and the kernel and gradient registries with the main one (tfjs keeps those on the
 * global object, and its Tensor instanceof check is structural), so the gradients it registers
 * run on the webgpu backend like any op.
 */
export function registerTfjsGradients(): void {
  if (gradients) return;
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  const out = buildSync({ entryPoints: [entry], bundle: true, format: 'cjs', platform: 'node', write: false, logLevel: 'silent' });
  const dir = mkdtempSync(join(tmpdir(), 'tfjs-grads-'));
  const file = join(dir, 'register_all_gradients.cjs');
  writeFileSync(file, out.outputFiles[0].text);
  try {
    require(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  gradients = true;
}

/** Sets up tfjs on the webgpu backend, or throws an Error saying why it cannot run. */
export async function openTfjs(kind: 'gpu' | 'llvmpipe'): Promise<TfjsMatmul> {
  const { tf, adapter: adapterName } = await loadTfjs(kind);
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
