// The one place that chooses a WebGPU adapter: a real GPU first, then Dawn's OpenGL backend on
// Mesa's llvmpipe (software, compatibility mode), then a clear error saying what to install.
//
// Two Dawn facts shape this file (measured on Debian 12, see issue 2):
// - The object returned by `create()` must stay strongly referenced while the device lives,
//   or Dawn crashes the process later. We keep it in a module-level variable.
// - A device left alive keeps node from exiting; we destroy it on process exit.

import { create, globals } from 'webgpu';

export type AdapterKind = 'gpu' | 'llvmpipe';

export interface GpuContext {
  device: GPUDevice;
  adapter: GPUAdapter;
  kind: AdapterKind;
  /** e.g. "NVIDIA H100 (vulkan)" or "llvmpipe (LLVM 15.0.6, 256 bits) (opengl, compatibility)". */
  name: string;
  /** Dawn's backend the adapter came from: "vulkan" or "opengl, compatibility". */
  backend: string;
  /** Errors reported by Dawn that no error scope captured, oldest first. */
  uncaptured: string[];
}

let gpuRoot: unknown = null; // strong reference to Dawn's GPU object (see above)
let context: Promise<GpuContext> | null = null;

const INSTALL_HINT =
  'No WebGPU adapter found. On a machine without a GPU, install Mesa\'s software OpenGL for EGL ' +
  '(Debian/Ubuntu: apt-get install -y libegl1 libegl-mesa0 libgl1-mesa-dri libegl-dev); with a GPU, ' +
  'install its Vulkan driver (libvulkan1 and the vendor ICD). Set NGAME_WEBGPU_BACKEND=opengl|vulkan to force one.';

function describe(adapter: GPUAdapter, backend: string): string {
  const info = adapter.info;
  const parts = [info.description, info.device, info.vendor, info.architecture].filter((s) => s && s.length > 0);
  return `${parts.join(' / ') || 'unknown adapter'} (${backend})`;
}

/**
 * Whether an adapter renders in software (llvmpipe, lavapipe, SwiftShader, softpipe). "Mesa"
 * alone does not say so: AMD and Intel GPUs run Mesa's drivers too (RADV, ANV: "radv Mesa 24.0").
 */
export function isSoftwareAdapter(info: Pick<GPUAdapterInfo, 'description' | 'device' | 'vendor' | 'architecture'>): boolean {
  const text = `${info.description} ${info.device} ${info.vendor} ${info.architecture}`.toLowerCase();
  return /llvmpipe|lavapipe|swiftshader|softpipe|software/.test(text);
}

function isSoftware(adapter: GPUAdapter): boolean {
  return isSoftwareAdapter(adapter.info);
}

async function tryBackend(flags: string[], options: GPURequestAdapterOptions): Promise<GPUAdapter | null> {
  try {
    const gpu = create(flags) as GPU;
    const adapter = await gpu.requestAdapter(options);
    if (adapter) gpuRoot = gpu;
    return adapter;
  } catch {
    return null;
  }
}

async function pickAdapter(): Promise<{ adapter: GPUAdapter; backend: string }> {
  Object.assign(globalThis, globals);
  const forced = process.env.NGAME_WEBGPU_BACKEND;
  if (!forced || forced === 'vulkan') {
    // A real GPU: Dawn's default backend (Vulkan on Linux). Software Vulkan (lavapipe) is skipped:
    // Dawn rejects Debian 12's Mesa there, and GL below is the tested software path.
    const a = await tryBackend([], { powerPreference: 'high-performance' });
    if (a && !isSoftware(a)) return { adapter: a, backend: 'vulkan' };
    if (forced === 'vulkan') throw new Error(`NGAME_WEBGPU_BACKEND=vulkan but no hardware Vulkan adapter. ${INSTALL_HINT}`);
  }
  // Fallback: OpenGL ES through EGL without a display, compatibility feature level.
  if (!process.env.EGL_PLATFORM) process.env.EGL_PLATFORM = 'surfaceless';
  const a = await tryBackend(['backend=opengl'], { featureLevel: 'compatibility' });
  if (a) return { adapter: a, backend: 'opengl, compatibility' };
  throw new Error(INSTALL_HINT);
}

async function open(): Promise<GpuContext> {
  const { adapter, backend } = await pickAdapter();
  const lim = adapter.limits;
  // Ask for the adapter's own limits where kernels need them (compatibility mode defaults are small).
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize,
      maxBufferSize: lim.maxBufferSize,
      maxStorageBuffersPerShaderStage: lim.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupStorageSize: lim.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: lim.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: lim.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupSizeY: lim.maxComputeWorkgroupSizeY,
    },
  });
  const ctx: GpuContext = {
    device,
    adapter,
    kind: isSoftware(adapter) ? 'llvmpipe' : 'gpu',
    name: describe(adapter, backend),
    backend,
    uncaptured: [],
  };
  device.addEventListener('uncapturederror', (ev) => {
    ctx.uncaptured.push((ev as GPUUncapturedErrorEvent).error.message);
  });
  process.once('exit', () => device.destroy());
  return ctx;
}

/** The process-wide WebGPU context, created on first use. */
export function gpuContext(): Promise<GpuContext> {
  if (!context) context = open();
  return context;
}

/**
 * Destroys the device (tests call this in afterAll; exit does it too). Where no adapter was found
 * there is nothing to destroy: the failed attempt is forgotten, not thrown again (a training that
 * fell back to the cpu backend must not fail in its clean-up).
 */
export async function closeGpu(): Promise<void> {
  if (!context) return;
  const pending = context;
  context = null;
  gpuRoot = null;
  let ctx: GpuContext;
  try {
    ctx = await pending;
  } catch {
    return;
  }
  ctx.device.destroy();
}
